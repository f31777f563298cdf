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
 * plotElement({ ...figureLayout(options, { height: 320 }), grid: true, marks });
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
 * plotElement({ y: logOrLinear("loss", true), marks });
 * ```
 */
export function logOrLinear(
  label: string,
  log = false,
): { type: "log" | "linear"; label: string; tickFormat: string | undefined } {
  return { type: log ? "log" : "linear", label, tickFormat: log ? "~g" : undefined };
}
