/**
 * Figures about replay-buffer sampling.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import { type FigureLayout, figureLayout } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows } from "./stats.ts";

/** How often one buffer index was drawn by one sampler. */
export interface SamplingCountRow {
  /** Sampler name, e.g. "uniform", "prioritized". */
  sampler: string;
  index: number;
  count: number;
}

/**
 * Counts per buffer index, one panel row per sampler (same scales, so heights compare).
 *
 * @example
 * ```ts
 * samplingHistogram([{ sampler: "uniform", index: 0, count: 3 }]);
 * ```
 */
export function samplingHistogram(
  rows: readonly SamplingCountRow[],
  options: FigureLayout = {},
): Figure {
  assertRows(rows, "samplingHistogram");
  const samplers = [...new Set(rows.map((r) => r.sampler))];
  const element = plotElement({
    ...figureLayout(options, { height: 60 + 120 * samplers.length }),
    marginRight: 90,
    x: { label: "buffer index" },
    y: { label: "times sampled", grid: true },
    fy: { label: null, domain: samplers },
    color: methodColorScale(samplers, false),
    marks: [
      Plot.rectY(rows, {
        x1: "index",
        x2: (r: SamplingCountRow) => r.index + 1,
        y: "count",
        fy: "sampler",
        fill: "sampler",
        inset: 0,
      }),
      Plot.ruleY([0]),
    ],
  });
  return new Figure(element, {
    description: `Sampling histogram: ${samplers.join(", ")} over ${rows.length} index counts`,
  });
}

/** The importance-sampling weight of one transition. */
export interface IsWeightRow {
  /** Series name, e.g. "beta=0.4". */
  series: string;
  priority: number;
  weight: number;
}

/**
 * Importance-sampling weights vs priority: prioritized replay's correction shrinks the updates
 * of often-drawn (high-priority) transitions.
 *
 * @example
 * ```ts
 * isWeights([{ series: "beta=0.4", priority: 1, weight: 0.5 }]);
 * ```
 */
export function isWeights(rows: readonly IsWeightRow[], options: FigureLayout = {}): Figure {
  assertRows(rows, "isWeights");
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    grid: true,
    x: { label: "priority", type: "log" },
    y: { label: "importance-sampling weight" },
    color: methodColorScale(rows.map((r) => r.series)),
    marks: [
      Plot.line(rows, { x: "priority", y: "weight", stroke: "series", sort: "priority" }),
      Plot.dot(rows, { x: "priority", y: "weight", fill: "series", r: 2 }),
    ],
  });
  return new Figure(element, { description: `IS weights: ${rows.length} transitions` });
}
