import {
  assert,
  assertEquals,
  assertGreater,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  type Figure,
  jupyterDisplay,
  stateTrace,
  valueMap,
  visitedStates,
} from "../../lib/plots/mod.ts";
import { parseSvg } from "./svg_check.ts";

/** A 3 x 2 grid of V = x + 10 y. */
const grid = [0, 1].flatMap((y) => [0, 0.5, 1].map((x) => ({ x, y, value: x + 10 * y })));

function checkFigure(figure: Figure): ReturnType<typeof parseSvg> {
  const svg = figure.toSvg();
  const parsed = parseSvg(svg);
  assertEquals(parsed.rootName, "svg");
  assertEquals(parsed.rootAttributes.xmlns, "http://www.w3.org/2000/svg");
  assertGreater(parsed.marks, 0);
  assert(!parsed.elements.some((e) => /^(figure|div|span|h2|h3|figcaption)$/i.test(e)));
  assertEquals(figure[jupyterDisplay]()["image/svg+xml"], svg);
  return parsed;
}

Deno.test("valueMap draws one cell per grid point, a colour bar and the path", () => {
  const plain = checkFigure(valueMap(grid, { xLabel: "x (m)", yLabel: "θ", title: "V" }));
  const rects = (svg: ReturnType<typeof parseSvg>) =>
    svg.elements.filter((e) => e === "rect").length;
  // 6 cells + 60 colour-bar bins (+ the background and frames).
  assert(rects(plain) >= 66, `expected at least 66 rects, found ${rects(plain)}`);
  const figure = valueMap(grid, { path: [{ x: 0, y: 0 }, { x: 1, y: 1 }], pathLabel: "seed 0" });
  const svg = figure.toSvg();
  checkFigure(figure);
  assertStringIncludes(svg, "white line: seed 0");
  assertStringIncludes(figure.description, "6 grid points");
  assertStringIncludes(figure.description, "from 0 to 11");
});

Deno.test("valueMap cells span the grid spacing: together they tile the plot area", () => {
  const svg = valueMap([
    { x: 0, y: 0, value: 0 },
    { x: 1, y: 0, value: 1 },
    { x: 0, y: 1, value: 2 },
    { x: 1, y: 1, value: 3 },
  ], { width: 400, height: 300 }).toSvg();
  const group = /<g aria-label="rect"[^>]*>(.*?)<\/g>/.exec(svg)?.[1] ?? "";
  const cells = [...group.matchAll(/<rect ([^>]*)\/>/g)].map((m) => {
    const attr = (name: string) => Number(new RegExp(`\\b${name}="([^"]*)"`).exec(m[1]!)?.[1]);
    return { x: attr("x"), y: attr("y"), width: attr("width"), height: attr("height") };
  });
  assertEquals(cells.length, 4);
  const xs = cells.map((c) => c.x);
  const widths = new Set(cells.map((c) => c.width));
  assertEquals(widths.size, 1);
  const width = [...widths][0]!;
  // Two columns of equal width, side by side, no gap.
  assertEquals(Math.max(...xs) - Math.min(...xs), width);
  const heights = new Set(cells.map((c) => c.height));
  assertEquals(heights.size, 1);
});

Deno.test("valueMap refuses rows that are not a grid of finite values", () => {
  assertThrows(() => valueMap([]), TypeError, "valueMap");
  assertThrows(() => valueMap([{ x: 0, y: 0, value: NaN }, ...grid]), TypeError, "finite");
  assertThrows(
    () => valueMap([{ x: 0, y: 0, value: 1 }, { x: 0, y: 1, value: 2 }]),
    TypeError,
    "2 distinct x",
  );
  assertThrows(
    () => valueMap([{ x: 0, y: 0, value: 1 } as never, { x: 1, y: 0 } as never]),
    TypeError,
    "finite",
  );
});

Deno.test("visitedStates facets by series and draws one dot per row", () => {
  const rows = [
    ...Array.from({ length: 5 }, (_, i) => ({ series: "without bonus", x: -0.5 + i / 100, y: 0 })),
    ...Array.from({ length: 7 }, (_, i) => ({ series: "with bonus", x: -1 + i / 10, y: 0.01 })),
  ];
  const figure = visitedStates(rows, { xRules: [{ x: 0.5, label: "flag" }] });
  const parsed = checkFigure(figure);
  assertEquals(parsed.elements.filter((e) => e === "circle").length, 12);
  assertStringIncludes(figure.toSvg(), "flag");
  assertStringIncludes(figure.description, "without bonus 5, with bonus 7");
  const overlaid = checkFigure(visitedStates(rows, { facet: false }));
  assertEquals(overlaid.elements.filter((e) => e === "circle").length, 12);
});

Deno.test("visitedStates refuses empty rows and rows without a series or finite coordinates", () => {
  assertThrows(() => visitedStates([]), TypeError, "visitedStates");
  assertThrows(() => visitedStates([{ series: "a", x: 0, y: Infinity }]), TypeError, "finite");
  assertThrows(() => visitedStates([{ x: 0, y: 0 } as never]), TypeError, "series");
});

Deno.test("stateTrace draws one panel per component with its limits", () => {
  const rows = ["x", "theta"].flatMap((dim) =>
    [0, 1, 2].map((step) => ({ series: "seed 0", step, dim, value: step / 10 }))
  );
  const figure = stateTrace(rows, { limits: { x: [-2.4, 2.4] }, labels: { theta: "θ (rad)" } });
  const svg = figure.toSvg();
  checkFigure(figure);
  assertStringIncludes(svg, "θ (rad)");
  // The x panel's limits are drawn (two dashed lines), inside its domain although the values
  // stay in [0, 0.2]: the "2" tick is labelled.
  const rules =
    /<g stroke-dasharray="4,3" stroke="#d33" aria-label="rule">(.*?)<\/g>/.exec(svg)?.[1] ?? "";
  assertEquals(rules.match(/<line /g)?.length, 2);
  assertStringIncludes(svg, ">2</text>");
  assertStringIncludes(figure.description, "x, theta over 1 episode");
  assertThrows(() => stateTrace([]), TypeError, "stateTrace");
});
