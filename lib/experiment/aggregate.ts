/**
 * Aggregation over seeds: medians, a distribution-free confidence interval for the median,
 * and ratios of medians.
 *
 * The statistics themselves (`median`, the order-statistic interval, the binomial CDF) live in
 * `lib/stats.ts` and are re-exported here under the names the comparison has always used.
 *
 * Runs that never solved count as their step budget (flagged `solved: false`), so the median
 * stays honest: it can only be pulled towards the budget, never flattered by dropping seeds.
 *
 * @module
 */
import { median, orderStatisticInterval } from "../stats.ts";

export { binomialHalfCdf, median, type MedianInterval } from "../stats.ts";

/** One seed's outcome as the aggregation sees it. */
export interface SeedOutcome {
  seed: number;
  /** Steps to solve, or `null` when the run never solved within its budget. */
  stepsToSolve: number | null;
  wallSeconds: number;
}

/** A method's aggregate over seeds. */
export interface MethodAggregate {
  /** Median steps to solve, unsolved seeds counted as `budget`. */
  medianStepsToSolve: number;
  /** Order-statistic interval for that median, `[low, high]`. */
  interval: [number, number];
  /** Coverage of `interval` (see {@linkcode medianInterval}). */
  intervalConfidence: number;
  /** Median wall-clock seconds per run. */
  medianWallSeconds: number;
  /** How many seeds solved. */
  solvedCount: number;
}

/**
 * The order-statistic confidence interval for the median of `values`: the same function as
 * {@linkcode orderStatisticInterval} in `lib/stats.ts`, under the name the comparison uses.
 *
 * @example
 * ```ts
 * medianInterval([5, 1, 4, 2, 3]); // { low: 1, high: 5, confidence: 0.9375, k: 1 }
 * ```
 * @param level the coverage wanted, in (0, 1). @default {0.95}
 * @throws {RangeError} on an empty array, a non-finite value or a level outside (0, 1).
 */
export const medianInterval: typeof orderStatisticInterval = orderStatisticInterval;

/**
 * Steps to solve with unsolved runs replaced by `budget`.
 *
 * @throws {RangeError} when `budget` is not a positive number.
 */
export function stepsOrBudget(outcomes: readonly SeedOutcome[], budget: number): number[] {
  if (!(budget > 0)) throw new RangeError(`Expected budget to be positive but found ${budget}`);
  return outcomes.map((o) => o.stepsToSolve ?? budget);
}

/**
 * Median steps-to-solve (unsolved seeds counted as `budget`), its interval, median wall-clock
 * and the solved count for one method.
 *
 * @example
 * ```ts
 * aggregateMethod([
 *   { seed: 0, stepsToSolve: 300, wallSeconds: 40 },
 *   { seed: 1, stepsToSolve: null, wallSeconds: 90 },
 *   { seed: 2, stepsToSolve: 700, wallSeconds: 50 },
 * ], 5000); // medianStepsToSolve 700, interval [300, 5000], solvedCount 2
 * ```
 */
export function aggregateMethod(
  outcomes: readonly SeedOutcome[],
  budget: number,
  options: { level?: number } = {},
): MethodAggregate {
  const steps = stepsOrBudget(outcomes, budget);
  const interval = medianInterval(steps, options.level ?? 0.95);
  return {
    medianStepsToSolve: median(steps),
    interval: [interval.low, interval.high],
    intervalConfidence: interval.confidence,
    medianWallSeconds: median(outcomes.map((o) => o.wallSeconds)),
    solvedCount: outcomes.filter((o) => o.stepsToSolve !== null).length,
  };
}

/**
 * `numerator / denominator` rounded to `digits` decimals, or `null` when the denominator is 0.
 *
 * @param digits decimals kept. @default {1}
 */
export function ratio(numerator: number, denominator: number, digits = 1): number | null {
  if (denominator === 0) return null;
  const scale = 10 ** digits;
  return Math.round((numerator / denominator) * scale) / scale;
}
