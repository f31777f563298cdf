/**
 * The one linkedom document every figure is built on, so Observable Plot runs outside a
 * browser (in `deno test`, scripts and the Jupyter kernel alike).
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/**
 * A detached HTML document (linkedom) that Plot creates its elements in.
 *
 * @example
 * ```ts
 * const div = plotDocument.createElement("div"); // no browser needed
 * div.textContent = "caption";
 * div.outerHTML; // "<div>caption</div>"
 * ```
 */
export const plotDocument: Document = parseHTML(
  "<!DOCTYPE html><html><head></head><body></body></html>",
).document as unknown as Document;

/** What {@linkcode plotElement} returns: Plot's `<svg>` or, with a title or legend, `<figure>`. */
export type PlotElement = ReturnType<typeof Plot.plot>;

/**
 * Runs `Plot.plot` on the shared linkedom document.
 *
 * Continuous colour legends (`color: { legend: true }` on a quantitative scale) need a canvas
 * and fail here; use categorical legends.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * const element = plotElement({ marks: [Plot.dot([{ x: 1, y: 2 }], { x: "x", y: "y" })] });
 * ```
 */
export function plotElement(options: Plot.PlotOptions): PlotElement {
  return Plot.plot({ ...options, document: plotDocument });
}
