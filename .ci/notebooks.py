#!/usr/bin/python3
"""Type-checks, executes and renders the notebooks in notebooks/ with a fresh Deno kernel each.

Run with Debian's /usr/bin/python3 (python3-nbclient, jupyter-client, python3-nbconvert):

    /usr/bin/python3 .ci/notebooks.py run [NAME ...]    # type-check, execute in order, write
                                                          # outputs back, check every figure
    /usr/bin/python3 .ci/notebooks.py check [NAME ...]  # type-check only
    /usr/bin/python3 .ci/notebooks.py figures [NAME ...]  # check stored figures only
    /usr/bin/python3 .ci/notebooks.py html [NAME ...]   # render to data/html/ with SVG inline

NAME selects notebooks by prefix: "00", "00_theory" or "00_theory.ipynb". Without names, every
notebooks/NN_*.ipynb runs in order. Exits non-zero on the first failure.

Facts this works around (Deno 2.9.6 kernel, Debian nbclient 0.7.2 / nbconvert 6.5.3):
- The kernel can publish a cell's outputs after it reported the cell idle; stock nbclient then
  drops them. LateOutputClient keeps reading IOPub until SETTLE_S of silence after idle.
- The kernel does not type-check and reports syntax errors without a message, so each
  notebook's code cells are concatenated into a temporary .ts beside it and `deno check`ed.
- nbconvert's HTML export strips SVG children; the lab_svg template embeds them as they are.
- The kernelspec lives in .ci/jupyter (JUPYTER_PATH), with NO_COLOR=1, so nothing is written
  to HOME and no colour escapes reach stored outputs.
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
JUPYTER_DIR = ROOT / ".ci" / "jupyter"
HTML_DIR = ROOT / "data" / "html"
CELL_TIMEOUT_S = 600
# NOTEBOOKS_CELL_TIMES=1: print every code cell's run time (to keep a notebook in its budget).
CELL_TIMES = os.environ.get("NOTEBOOKS_CELL_TIMES", "") == "1"
SETTLE_S = float(os.environ.get("NOTEBOOKS_SETTLE_S", "0.25"))  # 0: stock nbclient
SVG_NS = "{http://www.w3.org/2000/svg}"
SHAPES = {"path", "circle", "line", "rect", "polygon", "polyline", "ellipse"}

# Keep Jupyter's runtime files (connection files) out of HOME, and find our kernelspec.
_runtime = tempfile.mkdtemp(prefix="jupyter-runtime-")
os.environ["JUPYTER_PATH"] = str(JUPYTER_DIR)
os.environ.setdefault("JUPYTER_RUNTIME_DIR", _runtime)
os.environ.setdefault("JUPYTER_CONFIG_DIR", _runtime)
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
os.environ["NO_COLOR"] = "1"

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionComplete  # noqa: E402


class LateOutputClient(NotebookClient):
    """nbclient that keeps reading IOPub until SETTLE_S of silence after the cell went idle."""

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        while True:
            msg = await self.kc.iopub_channel.get_msg(timeout=None)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
        while SETTLE_S > 0:
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=SETTLE_S)
            except Empty:
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass


def select(names):
    """The notebooks to process, in order."""
    all_notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return all_notebooks
    chosen = []
    for name in names:
        stem = name.removesuffix(".ipynb").split("/")[-1]
        matches = [p for p in all_notebooks if p.stem == stem or p.stem.startswith(stem + "_")
                   or (len(stem) == 2 and p.stem.startswith(stem))]
        if not matches:
            sys.exit(f"No notebook matches {name!r} in {NOTEBOOKS}")
        chosen.extend(m for m in matches if m not in chosen)
    return sorted(chosen)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


DECL = re.compile(r"^(?:export\s+)?(?:const|let|var|function\*?|async\s+function|class)\s+"
                  r"([A-Za-z_$][\w$]*)", re.M)


def concatenate(nb):
    """The notebook's code cells as one TypeScript module.

    A name declared again in a later cell (`const cfg = ...` in every experiment cell) is
    renamed in that cell and the cells after it, as the kernel's REPL allows redeclaration and
    a module does not.
    """
    declared = set()
    alias = {}
    parts = []
    for index, cell in enumerate(code_cells(nb)):
        source = cell.source
        for name in DECL.findall(source):
            if name in declared:
                alias[name] = f"{name}__cell{index}"
            declared.add(name)
        for name, renamed in alias.items():
            # Not a property (`a.cfg`, `a?.cfg`), but a spread (`...cfg`) is a use.
            source = re.sub(r"(?<![\w$])(?<![^.]\.)" + re.escape(name) + r"(?![\w$])",
                            renamed, source)
        parts.append(f"// ---- code cell {index} ----\n{source}\n")
    # `export {}` keeps it a module even when no cell imports anything.
    # Deno.jupyter is typed in the unstable lib, which the compiler options leave out.
    return ('/// <reference lib="deno.unstable" />\nexport {};\n' + "\n".join(parts))


FUNCTION_STATEMENT = re.compile(
    r"^(?:export\s+)?(?:(?:async\s+)?function\b|(?:const|let|var)\s+[\w$]+\s*(?::[^=]+)?=\s*"
    r"(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*(?::\s*[^=]+)?=>)")


def top_level_statements(source):
    """The cell's statements that start at column 0 (continuation lines are indented or close
    brackets), as text."""
    statements = []
    for line in source.splitlines():
        starts = line[:1] not in ("", " ", "\t", "}", ")", "]", ".", "?", ":", "|", "&", "+", "-",
                                  "`")
        if starts or not statements:
            statements.append(line)
        else:
            statements[-1] += "\n" + line
    return statements


def stale_cfg_reads(nb):
    """Top-level functions that read `cfg`: every cell redefines `cfg` and the kernel keeps one
    global binding, so such a function called later sees a later cell's `cfg`."""
    problems = []
    for index, cell in enumerate(code_cells(nb)):
        for statement in top_level_statements(cell.source):
            if FUNCTION_STATEMENT.match(statement) and re.search(r"(?<![\w$.])cfg\b", statement):
                first = statement.splitlines()[0]
                problems.append(f"code cell {index}: {first.strip()[:80]}")
    return problems


def typecheck(paths):
    """Type-checks every notebook in one `deno check` call (one program: checking lib/ once, not
    once per notebook, is most of the saving), each as a concatenation of its code cells."""
    temps = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        stale = stale_cfg_reads(nb)
        if stale:
            print("\n".join(stale))
            sys.exit(f"{path.name}: a top-level function reads `cfg`, which later cells "
                     "redefine; copy the values it needs first (`const { gain } = cfg;`)")
        temp = path.with_name(f".check_{path.stem}.ts")
        temp.write_text(concatenate(nb))
        temps.append(temp)
    try:
        result = subprocess.run(
            ["deno", "check", "--quiet", *[str(t.relative_to(ROOT)) for t in temps]],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        failing = [p.name for p, t in zip(paths, temps) if t.name in result.stdout + result.stderr]
        sys.exit(f"Type-check failed: {', '.join(failing) or 'see above'} "
                 "(files .check_<notebook>.ts, cells marked '---- code cell N ----')")
    for path in paths:
        print(f"type-check ok: {path.name}")


def expects_result(source):
    """True when a cell ends in an expression: its last code line does not end with ';' or '}'.

    The notebooks' convention: a cell that shows something ends with that expression and no
    semicolon; every other cell ends its last statement with ';' (or a closing brace).
    """
    lines = [line.strip() for line in source.splitlines()]
    lines = [line for line in lines if line and not line.startswith("//")]
    return bool(lines) and not lines[-1].endswith((";", "}"))


def print_cell_times(path, nb):
    """Prints each code cell's run time (NOTEBOOKS_CELL_TIMES=1) and drops the timestamps again,
    so that committed notebooks do not change with every run."""
    from datetime import datetime

    def stamp(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    for index, cell in enumerate(code_cells(nb)):
        timing = cell.get("metadata", {}).pop("execution", None) or {}
        begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if begin and end:
            print(f"  {path.name} code cell {index}: {(stamp(end) - stamp(begin)).total_seconds():.1f} s")


def execute(path):
    nb = nbformat.read(path, as_version=4)
    client = LateOutputClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="deno",
        allow_errors=False,
        record_timing=CELL_TIMES,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.monotonic()
    try:
        client.execute()
    except Exception as error:  # CellExecutionError, TimeoutError, DeadKernelError
        nbformat.write(nb, path)
        print(str(error)[-4000:])
        sys.exit(f"Execution failed: {path.name}: {type(error).__name__}")
    seconds = time.monotonic() - start
    if CELL_TIMES:
        print_cell_times(path, nb)
    for index, cell in enumerate(code_cells(nb)):
        if expects_result(cell.source) and not any(
                o.output_type == "execute_result" for o in cell.get("outputs", [])):
            sys.exit(f"{path.name} code cell {index}: its last line is an expression but no "
                     "result arrived (dropped late output, or the value was undefined)")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                sys.exit(f"{path.name} code cell {index}: {output.ename}: {output.evalue}")
            if output.output_type == "stream" and "Uncaught" in output.text:
                sys.exit(f"{path.name} code cell {index}: {output.text[:2000]}")
    nbformat.write(nb, path)
    print(f"executed: {path.name} in {seconds:.1f} s")
    return seconds


def count_marks(element, in_mark=False):
    marks = 0
    for child in element:
        tag = child.tag.removeprefix(SVG_NS)
        label = child.get("aria-label")
        mark_group = tag == "g" and label is not None and not re.search(r"axis|tick|grid", label)
        if tag in SHAPES and in_mark:
            marks += 1
        marks += count_marks(child, in_mark or mark_group)
    return marks


def check_figures(path):
    nb = nbformat.read(path, as_version=4)
    figures = 0
    for index, cell in enumerate(code_cells(nb)):
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg is None:
                continue
            svg = "".join(svg) if isinstance(svg, list) else svg
            where = f"{path.name} code cell {index}"
            try:
                root = ET.fromstring(svg.strip().removeprefix(
                    '<?xml version="1.0" encoding="UTF-8"?>').strip())
            except ET.ParseError as error:
                sys.exit(f"{where}: image/svg+xml is not well-formed XML: {error}")
            if root.tag != SVG_NS + "svg":
                sys.exit(f"{where}: root is {root.tag}, expected an <svg> with xmlns")
            marks = count_marks(root)
            if marks == 0:
                sys.exit(f"{where}: the SVG has no marks (an empty plot)")
            figures += 1
    print(f"figures ok: {path.name}: {figures} SVG figure(s)")
    return figures


def inline_svgs(html):
    """Each standalone <svg xmlns=...> element in `html`, as text (nested <svg>s included)."""
    found = []
    start = html.find('<svg xmlns="http://www.w3.org/2000/svg"')
    while start != -1:
        depth, i = 0, start
        for tag in re.finditer(r"<(/?)svg\b[^>]*?(/?)>", html[start:]):
            if tag.group(1):
                depth -= 1
            elif not tag.group(2):
                depth += 1
            if depth == 0:
                i = start + tag.end()
                break
        found.append(html[start:i])
        start = html.find('<svg xmlns="http://www.w3.org/2000/svg"', i)
    return found


def render_html(path):
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    exporter = HTMLExporter(
        extra_template_basedirs=[str(JUPYTER_DIR / "nbconvert" / "templates")],
        template_name="lab_svg",
    )
    body, _ = exporter.from_notebook_node(nb)
    HTML_DIR.mkdir(parents=True, exist_ok=True)
    out = HTML_DIR / f"{path.stem}.html"
    out.write_text(body)
    expected = sum(1 for c in code_cells(nb) for o in c.get("outputs", [])
                   if "image/svg+xml" in o.get("data", {}))
    figures = inline_svgs(body)
    empty = [i for i, svg in enumerate(figures) if count_marks(ET.fromstring(svg)) == 0]
    if len(figures) < expected or empty:
        sys.exit(f"{out}: {len(figures)} inline SVG(s) of {expected}; without marks: {empty}")
    print(f"html ok: {out.relative_to(ROOT)} ({expected} figure(s) inline)")


def main(argv):
    if not argv or argv[0] not in {"run", "check", "figures", "html"}:
        sys.exit(__doc__)
    command, names = argv[0], argv[1:]
    notebooks = select(names)
    if not notebooks:
        sys.exit(f"No notebooks found in {NOTEBOOKS}")
    if command in {"run", "check"}:
        typecheck(notebooks)
    if command == "run":
        times = {}
        for path in notebooks:
            times[path.name] = execute(path)
            check_figures(path)
        for name, seconds in times.items():
            print(f"run time: {name}: {seconds:.1f} s")
    if command == "figures":
        for path in notebooks:
            check_figures(path)
    if command == "html":
        for path in notebooks:
            render_html(path)


if __name__ == "__main__":
    main(sys.argv[1:])
