/**
 * Small summaries figures need (no d3 import of our own).
 *
 * @module
 */

/** The `q`-quantile (linear interpolation, as numpy's default) of finite `values`; NaN if none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/** The median of finite `values`; NaN if none. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Rows grouped by a string key, in first-seen order. */
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

/** Throws a `TypeError` naming `figure` when `rows` is empty. */
export function assertRows(rows: readonly unknown[], figure: string): void {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new TypeError(`Expected ${figure} rows to be a non-empty array but found ${rows}`);
  }
}
