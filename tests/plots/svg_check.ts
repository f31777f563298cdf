/**
 * A strict XML well-formedness check for the SVG our figures produce, and a count of the data
 * marks in it. Test support only (no XML parser is a dependency of the project).
 *
 * @module
 */

/** What {@linkcode parseSvg} found. */
export interface SvgSummary {
  /** The root element's name and attributes. */
  rootName: string;
  rootAttributes: Record<string, string>;
  /** Shapes (path, circle, line, rect, polygon, polyline) inside a mark group (`<g aria-label>` that is not an axis, tick or grid). */
  marks: number;
  /** Every element name, in document order. */
  elements: string[];
}

const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const SHAPES = new Set(["path", "circle", "line", "rect", "polygon", "polyline", "ellipse"]);

function checkText(text: string, where: number): void {
  for (let i = text.indexOf("&"); i !== -1; i = text.indexOf("&", i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new SyntaxError(`Bare & at ${where + i}`);
  }
}

/** Parses `svg` as XML, throwing a `SyntaxError` at the first well-formedness error. */
export function parseSvg(svg: string): SvgSummary {
  const stack: { name: string; markGroup: boolean }[] = [];
  const elements: string[] = [];
  let root: { name: string; attrs: Record<string, string> } | undefined;
  let closedRoot = false;
  let marks = 0;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf("<", i);
    const text = svg.slice(i, lt === -1 ? svg.length : lt);
    if (stack.length === 0 && text.trim() !== "") {
      throw new SyntaxError(`Text outside the root element at ${i}`);
    }
    checkText(text, i);
    if (lt === -1) break;
    if (svg.startsWith("<?", lt)) {
      const end = svg.indexOf("?>", lt);
      if (end === -1 || root) throw new SyntaxError(`Bad processing instruction at ${lt}`);
      i = end + 2;
      continue;
    }
    if (svg.startsWith("<!--", lt)) {
      const end = svg.indexOf("-->", lt);
      if (end === -1) throw new SyntaxError(`Unterminated comment at ${lt}`);
      i = end + 3;
      continue;
    }
    if (svg.startsWith("<![CDATA[", lt)) {
      const end = svg.indexOf("]]>", lt);
      if (end === -1 || stack.length === 0) throw new SyntaxError(`Bad CDATA at ${lt}`);
      i = end + 3;
      continue;
    }
    if (svg[lt + 1] === "/") {
      const name = NAME.exec(svg.slice(lt + 2))?.[0];
      const end = svg.indexOf(">", lt);
      if (!name || end === -1 || svg.slice(lt + 2 + name.length, end).trim() !== "") {
        throw new SyntaxError(`Bad end tag at ${lt}`);
      }
      const open = stack.pop();
      if (open?.name !== name) {
        throw new SyntaxError(`Expected </${open?.name}> but found </${name}> at ${lt}`);
      }
      if (stack.length === 0) closedRoot = true;
      i = end + 1;
      continue;
    }
    const name = NAME.exec(svg.slice(lt + 1))?.[0];
    if (!name) throw new SyntaxError(`Bad start tag at ${lt}`);
    if (closedRoot) throw new SyntaxError(`Second root element <${name}> at ${lt}`);
    let j = lt + 1 + name.length;
    const attrs: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      const ws = /^\s*/.exec(svg.slice(j))![0].length;
      j += ws;
      if (svg.startsWith("/>", j)) {
        selfClosing = true;
        j += 2;
        break;
      }
      if (svg[j] === ">") {
        j += 1;
        break;
      }
      if (ws === 0) throw new SyntaxError(`Expected whitespace before an attribute at ${j}`);
      const attr = NAME.exec(svg.slice(j))?.[0];
      if (!attr) throw new SyntaxError(`Bad attribute name at ${j} in <${name}>`);
      j += attr.length;
      const eq = /^\s*=\s*(["'])/.exec(svg.slice(j));
      if (!eq) throw new SyntaxError(`Attribute ${attr} without a quoted value at ${j}`);
      j += eq[0].length;
      const close = svg.indexOf(eq[1]!, j);
      if (close === -1) throw new SyntaxError(`Unterminated attribute ${attr} at ${j}`);
      const value = svg.slice(j, close);
      if (value.includes("<")) throw new SyntaxError(`< in attribute ${attr} at ${j}`);
      checkText(value, j);
      if (attr in attrs) throw new SyntaxError(`Duplicate attribute ${attr} in <${name}>`);
      attrs[attr] = value;
      j = close + 1;
    }
    if (!root) root = { name, attrs };
    elements.push(name);
    const label = attrs["aria-label"];
    const markGroup = name === "g" && label !== undefined && !/axis|tick|grid/.test(label);
    const inMark = markGroup || stack.some((s) => s.markGroup);
    if (SHAPES.has(name) && inMark) marks++;
    if (!selfClosing) stack.push({ name, markGroup });
    else if (stack.length === 0) closedRoot = true;
    i = j;
  }
  if (!root) throw new SyntaxError("No root element");
  if (stack.length > 0) throw new SyntaxError(`Unclosed <${stack.at(-1)!.name}>`);
  return { rootName: root.name, rootAttributes: root.attrs, marks, elements };
}
