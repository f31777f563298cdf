/**
 * Aggregation over seeds: medians, a distribution-free confidence interval for the median,
 * and ratios of medians.
 *
 * The interval is the order-statistic (binomial) interval for the median: with sorted values
 * `x(1) <= ... <= x(n)`, the interval `[x(k), x(n+1-k)]` covers the true median with
 * probability `1 - 2 * P(Binomial(n, 1/2) <= k - 1)`, whatever the distribution (continuous
 * case). We take the largest `k` (narrowest interval) whose coverage reaches the requested
 * level (95% by default); when `n` is too small to reach it (five seeds give at most 93.75%),
 * we take `[min, max]` and report the coverage actually achieved. No random numbers are
 * involved, so there is nothing to seed and the same data always give the same interval.
 *
 * Runs that never solved count as their step budget (flagged `solved: false`), so the median
 * stays honest: it can only be pulled towards the budget, never flattered by dropping seeds.
 *
 * @module
 */

/** A confidence interval for a median, with the coverage it achieves. */
export interface MedianInterval {
  /** Lower end, `x(k)`. */
  low: number;
  /** Upper end, `x(n+1-k)`. */
  high: number;
  /** The exact coverage `1 - 2 P(Bin(n, 1/2) <= k-1)` (for continuous data). */
  confidence: number;
  /** The order-statistic index `k` (1-based) of the lower end. */
  k: number;
}

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

function assertValues(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`Expected ${what} to be non-empty but found []`);
  for (const v of values) {
    if (!Number.isFinite(v)) {
      throw new TypeError(`Expected ${what} to hold finite numbers but found ${v}`);
    }
  }
}

/**
 * The median of `values` (the mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 * @throws {RangeError} on an empty array. @throws {TypeError} on a non-finite value.
 */
export function median(values: readonly number[]): number {
  assertValues(values, "values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `P(Binomial(n, 1/2) <= j)`, exactly by summing binomial coefficients. */
export function binomialHalfCdf(n: number, j: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Expected n to be a non-negative integer but found ${n}`);
  }
  if (j < 0) return 0;
  let coefficient = 1;
  let sum = 0;
  for (let i = 0; i <= Math.min(j, n); i++) {
    sum += coefficient;
    coefficient = coefficient * (n - i) / (i + 1);
  }
  return sum / 2 ** n;
}

/**
 * The order-statistic confidence interval for the median of `values`.
 *
 * @example
 * ```ts
 * medianInterval([5, 1, 4, 2, 3]); // { low: 1, high: 5, confidence: 0.9375, k: 1 }
 * ```
 * @param level the coverage wanted, in (0, 1). @default {0.95}
 * @throws {RangeError} on an empty array or a level outside (0, 1).
 */
export function medianInterval(values: readonly number[], level = 0.95): MedianInterval {
  assertValues(values, "values");
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Expected level to be in (0, 1) but found ${level}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let k = 1;
  // Coverage of [x(k), x(n+1-k)] shrinks as k grows; keep the largest k that still reaches level.
  while (k + 1 <= (n + 1) / 2 && 1 - 2 * binomialHalfCdf(n, k) >= level) k++;
  const confidence = n === 1 ? 0 : Math.max(0, 1 - 2 * binomialHalfCdf(n, k - 1));
  return { low: sorted[k - 1]!, high: sorted[n - k]!, confidence, k };
}

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
