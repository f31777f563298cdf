/**
 * Options every figure function accepts, and the small pieces of Plot options that most
 * figures build the same way.
 *
 * @module
 */

/** Layout options shared by all figure functions. */
export interface FigureLayout {
  /** Title above the plot. */
  title?: string;
  /** Caption below the plot. */
  caption?: string;
  /** Width in px (of each panel, for multi-panel figures). @default {640} */
  width?: number;
  /** Height in px (of each panel, for multi-panel figures). */
  height?: number;
}

/**
 * The title, caption and size of a single-plot figure: the caller's `options`, else
 * `defaults` (width 640 unless `defaults.width` says otherwise).
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { plotElement } from "./document.ts";
 * const options: FigureLayout = { title: "Loss" };
 * figureLayout(options, { height: 320 }); // { title: "Loss", caption: undefined, width: 640, height: 320 }
 * const element = plotElement({
 *   ...figureLayout(options, { height: 320 }),
 *   grid: true,
 *   marks: [Plot.lineY([0.9, 0.4, 0.2])],
 * });
 * ```
 */
export function figureLayout(
  options: FigureLayout,
  defaults: { height: number; width?: number },
): { title?: string; caption?: string; width: number; height: number } {
  return {
    title: options.title,
    caption: options.caption,
    width: options.width ?? defaults.width ?? 640,
    height: options.height ?? defaults.height,
  };
}

/**
 * A position scale that is logarithmic (with compact `~g` tick labels) or linear.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { plotElement } from "./document.ts";
 * logOrLinear("loss", true); // { type: "log", label: "loss", tickFormat: "~g" }
 * const element = plotElement({
 *   y: logOrLinear("loss", true),
 *   marks: [Plot.lineY([0.9, 0.1, 0.01])],
 * });
 * ```
 */
export function logOrLinear(
  label: string,
  log = false,
): { type: "log" | "linear"; label: string; tickFormat: string | undefined } {
  return { type: log ? "log" : "linear", label, tickFormat: log ? "~g" : undefined };
}
