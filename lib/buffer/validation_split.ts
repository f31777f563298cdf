/**
 * The one train/validation split rule of the workbook, shared by `ReplayBuffer.split` and the
 * models' early stopping.
 *
 * @module
 */

/**
 * How many of `n` rows are held out for validation: `floor(n * validationFraction)`, but at
 * least 1 when the fraction is positive and `n >= 2`, and never all rows; 0 when the fraction
 * is 0 or `n < 2`. (Floor, not round: the seeded MBRL runs' recorded numbers were produced
 * with it.)
 *
 * @example
 * ```ts
 * validationCount(25, 0.1); // 2 (round would give 3)
 * validationCount(5, 0.1); // 1
 * ```
 */
export function validationCount(n: number, validationFraction: number): number {
  return validationFraction > 0 && n >= 2
    ? Math.min(n - 1, Math.max(1, Math.floor(n * validationFraction)))
    : 0;
}
