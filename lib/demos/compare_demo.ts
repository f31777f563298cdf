/**
 * The comparison harness's result as the table the notebooks and the README show: one row per
 * method with its budget, solved count, median steps to solve with its interval, the steps
 * per seed (a censored seed, not solved within the budget, as `>budget`), the ratio to the
 * model-based median, the median wall clock and the evaluation interval with its rounding bound.
 *
 * @module
 */
import type { CompareMethod, Comparison } from "../experiment/compare.ts";

/** One method's row of {@linkcode comparisonTable}. */
export type ComparisonTableRow = {
  method: string;
  /** Real-step budget (what an unsolved seed counts as). */
  "budget (real steps)": number;
  solved: string;
  "median steps to solve": number;
  /** `[low, high]` with its coverage, e.g. `[200, 200] (93.75%)`. */
  interval: string;
  /** Steps per seed in seed order; an unsolved seed shows as `>budget`. */
  "per seed": string;
  /** Median steps over the model-based median (`-` for mbrl itself or without mbrl). */
  "ratio to mbrl": number | string;
  "median wall clock (s)": number;
  /**
   * Real steps between evaluations and the largest gap the method had (its rounding bound),
   * e.g. `100 (200)`; `-` in comparisons written before it was recorded.
   */
  "eval every (max gap)": string;
};

/**
 * The table rows of a comparison, methods in `comparison.json` order.
 *
 * @example
 * ```ts
 * import { readComparison } from "../experiment/compare_rows.ts";
 * const rows = comparisonTable(readComparison("data/comparison/CartPole-v1"));
 * rows.map((r) => r.method); // ["mbrl", "dqn", "ppo"]
 * ```
 */
export function comparisonTable(comparison: Comparison): ComparisonTableRow[] {
  const rows: ComparisonTableRow[] = [];
  for (const [method, block] of Object.entries(comparison.methods)) {
    if (block === undefined) continue;
    const ratio = comparison.ratios[`${method}/mbrl`];
    rows.push({
      method,
      "budget (real steps)": block.budget,
      solved: `${block.solvedCount}/${block.perSeed.length}`,
      "median steps to solve": block.medianStepsToSolve,
      interval: `[${block.interval[0].toLocaleString("en-US")}, ` +
        `${block.interval[1].toLocaleString("en-US")}] ` +
        `(${(block.intervalConfidence * 100).toFixed(2)}%)`,
      "per seed": block.perSeed
        .map((s) =>
          s.stepsToSolve === null
            ? `>${block.budget.toLocaleString("en-US")}`
            : s.stepsToSolve.toLocaleString("en-US")
        )
        .join(", "),
      "ratio to mbrl": (method as CompareMethod) === "mbrl" || ratio == null ? "-" : ratio,
      "median wall clock (s)": block.medianWallSeconds,
      "eval every (max gap)": block.evaluation === undefined
        ? "-"
        : `${block.evaluation.every} (${block.evaluation.maxGap})`,
    });
  }
  return rows;
}
