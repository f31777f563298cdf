/**
 * Re-expresses a network's first dense layer for a new input normaliser, so that refitting the
 * normaliser of a warm-started network changes none of its outputs.
 *
 * @module
 */
import type { Normalizer } from "./normalizer.ts";

/**
 * Rewrites, in place, a first layer `z = x W + b` (`W` row-major `[dim, width]`, `b`
 * `[width]`) that reads inputs standardised by `old` so that it gives the same `z` on inputs
 * standardised by `next`. With `x_old = x_new * (std_new / std_old) + (mean_new - mean_old) /
 * std_old`: `W' = diag(std_new / std_old) W` and `b' = b + ((mean_new - mean_old) / std_old) W`.
 *
 * @throws {RangeError} when the normalisers' widths differ or do not match `weights` and `bias`.
 *
 * @example
 * ```ts
 * import { Normalizer } from "./normalizer.ts";
 * const weights = new Float32Array([2]); // [1, 1]
 * const bias = new Float32Array([0]);
 * reexpressInputLayer(weights, bias, Normalizer.identity(1), new Normalizer([1], [3]));
 * // x = 4 gave 2 * 4 = 8; now (4 - 1) / 3 = 1 gives 6 * 1 + 2 = 8
 * ```
 */
export function reexpressInputLayer(
  weights: Float32Array,
  bias: Float32Array,
  old: Normalizer,
  next: Normalizer,
): void {
  const dim = old.dim;
  const width = bias.length;
  if (next.dim !== dim || weights.length !== dim * width) {
    throw new RangeError(
      `Expected normalisers of width ${weights.length / Math.max(1, width)} (the layer's inputs) ` +
        `but found ${old.dim} and ${next.dim}`,
    );
  }
  for (let j = 0; j < dim; j++) {
    const ratio = next.std[j]! / old.std[j]!;
    const shift = (next.mean[j]! - old.mean[j]!) / old.std[j]!;
    for (let k = 0; k < width; k++) {
      bias[k]! += shift * weights[j * width + k]!;
      weights[j * width + k]! *= ratio;
    }
  }
}
