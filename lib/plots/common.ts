/**
 * Options every figure function accepts.
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
