/**
 * Small helpers figures need (no d3 import of our own); `mean`, `median` and
 * `quantile` are `lib/stats.ts`'s, re-exported.
 *
 * @module
 */

export { mean, median, quantile } from "../stats.ts";

/**
 * Rows grouped by a string key, in first-seen order.
 *
 * @example
 * ```ts
 * const rows = [{ method: "cem", ms: 12 }, { method: "mppi", ms: 9 }, { method: "cem", ms: 14 }];
 * groupBy(rows, (row) => row.method).get("cem"); // [{ method: "cem", ms: 12 }, { method: "cem", ms: 14 }]
 * ```
 */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/**
 * Throws a `TypeError` naming `figure` when `rows` is empty (or not an array).
 *
 * @example
 * ```ts
 * assertRows([{ step: 0, return: 10 }], "learningCurve"); // passes
 * // assertRows([], "learningCurve") throws a TypeError that names learningCurve
 * ```
 */
export function assertRows(rows: readonly unknown[], figure: string): void {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new TypeError(`Expected ${figure} rows to be a non-empty array but found ${rows}`);
  }
}
