/**
 * Summary statistics with one definition each: `mean`, `std` (population), `median`,
 * `quantile` (NumPy's default linear interpolation) and the distribution-free
 * order-statistic interval for a median.
 *
 * Every function takes a non-empty array of finite numbers: an empty array or a NaN or
 * infinite value is a `RangeError`, a non-array or a non-number item a `TypeError`, so a
 * summary never turns bad data into a silent NaN.
 *
 * @module
 */
import { assertFiniteArray, assertInRange } from "./validate.ts";

function checked(values: readonly number[], name: string): void {
  assertFiniteArray(values, name);
  if (values.length === 0) {
    throw new RangeError(`Expected ${name} to be non-empty but found []`);
  }
}

/** `values` sorted ascending, as a new array. */
function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The arithmetic mean (the items summed in order, then divided by the count).
 *
 * @example
 * ```ts
 * mean([1, 2, 3, 6]); // 3
 * ```
 * @throws {RangeError} on an empty array or a non-finite item.
 */
export function mean(values: readonly number[]): number {
  checked(values, "values");
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * The population standard deviation `sqrt(sum (x - mean)^2 / n)` (NumPy's `np.std` with its
 * default `ddof=0`; not the `n - 1` sample estimate). One value gives 0.
 *
 * @example
 * ```ts
 * std([2, 4, 4, 4, 5, 5, 7, 9]); // 2
 * ```
 * @throws {RangeError} on an empty array or a non-finite item.
 */
export function std(values: readonly number[]): number {
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return Math.sqrt(sum / values.length);
}

/**
 * The `q`-quantile by linear interpolation between order statistics, NumPy's default
 * (`np.quantile(values, q)`, `method="linear"`, type 7 of Hyndman and Fan): with the values
 * sorted as `x[0] <= ... <= x[n-1]`, `h = (n - 1) q`, the result is
 * `x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])`, evaluated as NumPy's
 * `_lerp` does (from the upper end when the fraction is at least 1/2), so results agree with
 * NumPy to the last bit.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.25); // 1.75
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 * @param q in `[0, 1]`.
 * @throws {RangeError} on an empty array, a non-finite item or `q` outside `[0, 1]`.
 */
export function quantile(values: readonly number[], q: number): number {
  checked(values, "values");
  assertInRange(q, "q", { low: 0, high: 1, closed: true });
  return sortedQuantile(sortedCopy(values), q);
}

function sortedQuantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const below = Math.floor(h);
  const gamma = h - below;
  const a = sorted[below]!;
  const b = sorted[Math.min(below + 1, n - 1)]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * The median: the middle value, or the mean of the two middle values for an even count
 * (`quantile(values, 0.5)`, as `np.median`).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 * ```
 * @throws {RangeError} on an empty array or a non-finite item.
 */
export function median(values: readonly number[]): number {
  checked(values, "values");
  const sorted = sortedCopy(values);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `P(Binomial(n, 1/2) <= j)`, exactly by summing binomial coefficients.
 *
 * @example
 * ```ts
 * binomialHalfCdf(5, 0); // 0.03125
 * ```
 * @throws {RangeError} unless `n` is a non-negative integer.
 */
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

/**
 * The distribution-free (binomial, order-statistic) confidence interval for the median.
 *
 * With sorted values `x(1) <= ... <= x(n)`, `[x(k), x(n+1-k)]` covers the true median with
 * probability `1 - 2 P(Binomial(n, 1/2) <= k - 1)` whatever the (continuous) distribution.
 * The largest `k` (narrowest interval) whose coverage reaches `level` is taken; when `n` is
 * too small to reach it (five values give at most 93.75%) the interval is `[min, max]` and
 * `confidence` reports the coverage actually achieved (0 for a single value). Nothing is
 * random: the same data always give the same interval.
 *
 * @example
 * ```ts
 * orderStatisticInterval([5, 1, 4, 2, 3]); // { low: 1, high: 5, confidence: 0.9375, k: 1 }
 * ```
 * @param level the coverage wanted, in `(0, 1)`. @default {0.95}
 * @throws {RangeError} on an empty array, a non-finite item or a level outside `(0, 1)`.
 */
export function orderStatisticInterval(values: readonly number[], level = 0.95): MedianInterval {
  checked(values, "values");
  assertInRange(level, "level", { low: 0, high: 1, lowOpen: true });
  const sorted = sortedCopy(values);
  const n = sorted.length;
  let k = 1;
  // Coverage of [x(k), x(n+1-k)] shrinks as k grows; keep the largest k that still reaches level.
  while (k + 1 <= (n + 1) / 2 && 1 - 2 * binomialHalfCdf(n, k) >= level) k++;
  const confidence = n === 1 ? 0 : Math.max(0, 1 - 2 * binomialHalfCdf(n, k - 1));
  return { low: sorted[k - 1]!, high: sorted[n - k]!, confidence, k };
}
