/**
 * Argument checks shared by the planners, throwing the house-style errors.
 *
 * @module
 */

/** Throws a `RangeError` unless `value` is a positive integer. */
export function assertPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
  }
}

/** Throws a `RangeError` unless `value` is a finite number > 0. */
export function assertPositive(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Expected ${name} to be a positive number but found ${value}`);
  }
}

/** Throws a `RangeError` unless `low <= value < high` (or `<= high` when `closed`). */
export function assertInRange(
  value: number,
  name: string,
  range: { low: number; high: number; closed?: boolean },
): void {
  const { low, high, closed = false } = range;
  const ok = Number.isFinite(value) && value >= low && (closed ? value <= high : value < high);
  if (!ok) {
    const bracket = closed ? "]" : ")";
    throw new RangeError(`Expected ${name} to be in [${low}, ${high}${bracket} but found ${value}`);
  }
}
