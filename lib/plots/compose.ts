/**
 * Turns Plot's output into one standalone SVG string.
 *
 * Plot returns an `<svg>` without `xmlns` (which standalone files and some viewers need), or a
 * `<figure>` (HTML) holding a title `<h2>`, subtitle `<h3>`, legend swatches `<div>`, the plot
 * `<svg>` and a `<figcaption>` when those options are used. An HTML `<figure>` is not valid
 * `image/svg+xml`, so it is re-laid out here as SVG: headings and captions become `<text>`,
 * each swatch keeps its own small `<svg>` next to a `<text>` label, and plot `<svg>`s are nested
 * at their offsets. Several elements can be laid out in a grid.
 *
 * @module
 */

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
const FONT = "system-ui, sans-serif";

/**
 * Escapes text for XML character data and attribute values.
 *
 * @example
 * ```ts
 * escapeXml(`return < 500 & "cem"`); // "return &lt; 500 &amp; &quot;cem&quot;"
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A laid-out piece of SVG: its body markup and its size in px. */
interface Block {
  body: string;
  width: number;
  height: number;
}

/** A rough text width in px (no font metrics outside a browser). */
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

function numberAttr(element: Element, name: string, fallback: number): number {
  const value = Number(element.getAttribute(name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function textBlock(text: string, width: number, fontSize: number, weight: string): Block {
  const lineHeight = Math.round(fontSize * 1.4);
  const body = `<text x="0" y="${Math.round(fontSize * 1.05)}" font-size="${fontSize}"` +
    ` font-weight="${weight}" text-anchor="start" fill="currentColor">${
      escapeXml(text.trim())
    }</text>`;
  return { body, width: Math.min(width, textWidth(text, fontSize)), height: lineHeight };
}

/** Lays out a Plot swatches legend (`<div>` of `<span>`s, each an `<svg>` and a label). */
function swatchesBlock(div: Element, maxWidth: number): Block {
  const parts: string[] = [];
  const rowHeight = 20;
  let x = 0;
  let y = 4;
  let width = 0;
  for (const span of Array.from(div.children)) {
    if (span.tagName.toUpperCase() !== "SPAN") continue;
    const swatch = span.querySelector("svg");
    const label = (span.textContent ?? "").trim();
    const itemWidth = (swatch ? 20 : 0) + textWidth(label, 10) + 16;
    if (x > 0 && x + itemWidth > maxWidth) {
      x = 0;
      y += rowHeight;
    }
    if (swatch) {
      swatch.setAttribute("x", String(x));
      swatch.setAttribute("y", String(y));
      parts.push(swatch.outerHTML);
    }
    const labelX = x + (swatch ? 20 : 0);
    parts.push(
      `<text x="${labelX}" y="${y + 11.5}" font-size="10" text-anchor="start"` +
        ` fill="currentColor">${escapeXml(label)}</text>`,
    );
    x += itemWidth;
    width = Math.max(width, x);
  }
  return { body: parts.join(""), width, height: y + rowHeight + 4 };
}

/** Lays out one Plot element (an `<svg>` or a `<figure>`) as a block. */
function elementBlock(element: Element): Block {
  const tag = element.tagName.toUpperCase();
  if (tag === "SVG") {
    const width = numberAttr(element, "width", 640);
    const height = numberAttr(element, "height", 400);
    element.setAttribute("x", "0");
    element.setAttribute("y", "0");
    // Tick labels wider than Plot's margin would be clipped at the plot's edge.
    element.setAttribute("overflow", "visible");
    element.removeAttribute("xmlns");
    return { body: element.outerHTML, width, height };
  }
  const children = Array.from(element.children);
  const plotWidth = Math.max(
    640,
    ...children.filter((c) => c.tagName.toUpperCase() === "SVG").map((c) =>
      numberAttr(c, "width", 640)
    ),
  );
  const blocks: Block[] = [];
  for (const child of children) {
    const childTag = child.tagName.toUpperCase();
    const text = child.textContent ?? "";
    if (childTag === "H2") blocks.push(textBlock(text, plotWidth, 16, "600"));
    else if (childTag === "H3") blocks.push(textBlock(text, plotWidth, 12, "400"));
    else if (childTag === "FIGCAPTION") blocks.push(textBlock(text, plotWidth, 11, "400"));
    else if (childTag === "SVG") blocks.push(elementBlock(child));
    else if (childTag === "DIV" && child.querySelector("span svg")) {
      blocks.push(swatchesBlock(child, plotWidth));
    } else if (childTag !== "STYLE" && text.trim() !== "") {
      blocks.push(textBlock(text, plotWidth, 10, "400"));
    }
  }
  return stack(blocks, 1, 0);
}

/** Places blocks in a grid of `columns` columns with `gap` px between them. */
function stack(blocks: Block[], columns: number, gap: number): Block {
  const parts: string[] = [];
  let y = 0;
  let width = 0;
  for (let row = 0; row * columns < blocks.length; row++) {
    const cells = blocks.slice(row * columns, (row + 1) * columns);
    let x = 0;
    let rowHeight = 0;
    for (const cell of cells) {
      parts.push(
        `<svg x="${x}" y="${y}" width="${cell.width}" height="${cell.height}"` +
          ` overflow="visible">${cell.body}</svg>`,
      );
      x += cell.width + gap;
      rowHeight = Math.max(rowHeight, cell.height);
    }
    width = Math.max(width, x - gap);
    y += rowHeight + gap;
  }
  return { body: parts.join(""), width, height: Math.max(0, y - gap) };
}

/**
 * Rounds decimals in attribute values (coordinates, path data) to 2 places: Plot writes
 * positions like `334.99999999999994`, which triples file sizes for sub-pixel precision no
 * one sees. Text content (tick labels) is left alone.
 */
function compactNumbers(svg: string): string {
  return svg.replace(
    /="([^"]*)"/g,
    (_, value: string) =>
      `="${value.replace(/-?\d+\.\d{3,}/g, (n) => String(Number(Number(n).toFixed(2))))}"`,
  );
}

/** Options of {@linkcode toStandaloneSvg}. */
export interface ComposeOptions {
  /** Columns of the grid when several elements are given. @default {2} */
  columns?: number;
  /** Gap between grid cells in px. @default {16} */
  gap?: number;
  /** A title drawn above everything (useful for grids). */
  title?: string;
}

/**
 * One standalone SVG document string (root `<svg>` with `xmlns` and `xmlns:xlink`, a white
 * background) from one or more Plot elements. The elements are consumed (their attributes are
 * changed); do not reuse them.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { plotElement } from "./document.ts";
 * const svg = toStandaloneSvg(plotElement({ title: "T", marks: [Plot.frame()] }));
 * ```
 */
export function toStandaloneSvg(
  elements: Element | readonly Element[],
  options: ComposeOptions = {},
): string {
  const list = Array.isArray(elements) ? elements : [elements as Element];
  if (list.length === 0) throw new RangeError("Expected at least one element but found 0");
  const { columns = 2, gap = 16, title } = options;
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`Expected columns to be a positive integer but found ${columns}`);
  }
  const blocks = list.map(elementBlock);
  const grid = list.length === 1 ? blocks[0]! : stack(blocks, columns, gap);
  const content = title === undefined
    ? grid
    : stack([textBlock(title, grid.width, 16, "600"), grid], 1, 4);
  // A margin all round for labels that overflow a plot's own margins.
  const pad = 10;
  const width = Math.ceil(content.width) + 2 * pad;
  const height = Math.ceil(content.height) + 2 * pad;
  return compactNumbers(
    `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${width}" height="${height}"` +
      ` viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="10"` +
      ` style="background: white; color: black">` +
      `<rect width="100%" height="100%" fill="white" aria-hidden="true"/>` +
      `<g transform="translate(${pad},${pad})">${content.body}</g></svg>`,
  );
}
