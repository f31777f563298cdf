/**
 * Per-column standardisation fitted on data and saved with a model's weights.
 *
 * @module
 */

/** A JSON-safe copy of a {@linkcode Normalizer}. */
export interface NormalizerJson {
  mean: number[];
  std: number[];
}

/**
 * `(x - mean) / std` per column of row-major `[n * dim]` data. Columns whose std is below
 * `minStd` (e.g. CartPole's constant reward) get std 1, as mbrl-lib does, so they stay finite.
 *
 * @example
 * ```ts
 * const data = new Float32Array([1, 10, 3, 10, 5, 10]); // 3 rows of 2 columns
 * const norm = Normalizer.fit(data, 2);
 * const z = norm.normalize(data); // same length, zero mean, unit std per column
 * norm.std[1]; // 1: a constant column keeps std 1
 * ```
 */
export class Normalizer {
  /** Column means, `[dim]`. */
  readonly mean: Float32Array;
  /** Column standard deviations, `[dim]` (never below `minStd`; constant columns get 1). */
  readonly std: Float32Array;

  /** @throws {RangeError} when `mean` and `std` differ in length or a std is not positive. */
  constructor(mean: ArrayLike<number>, std: ArrayLike<number>) {
    if (mean.length !== std.length || mean.length === 0) {
      throw new RangeError(
        `Expected mean and std of the same positive length but found ${mean.length} and ${std.length}`,
      );
    }
    for (let j = 0; j < std.length; j++) {
      if (!(std[j]! > 0) || !Number.isFinite(std[j]!) || !Number.isFinite(mean[j]!)) {
        throw new RangeError(
          `Expected finite means and positive finite stds but found mean ${mean[j]}, std ${
            std[j]
          } in column ${j}`,
        );
      }
    }
    this.mean = Float32Array.from(mean);
    this.std = Float32Array.from(std);
  }

  /** Column count. */
  get dim(): number {
    return this.mean.length;
  }

  /** The identity normaliser (mean 0, std 1) of `dim` columns. */
  static identity(dim: number): Normalizer {
    return new Normalizer(new Float32Array(dim), new Float32Array(dim).fill(1));
  }

  /**
   * Fits column means and stds (population, in float64) to `[n * dim]` data.
   * @throws {RangeError} when the data is empty or its length is not a multiple of `dim`.
   */
  static fit(data: Float32Array, dim: number, options: { minStd?: number } = {}): Normalizer {
    const minStd = options.minStd ?? 1e-6;
    if (!Number.isInteger(dim) || dim <= 0) {
      throw new RangeError(`Expected dim to be a positive integer but found ${dim}`);
    }
    const n = data.length / dim;
    if (!Number.isInteger(n) || n === 0) {
      throw new RangeError(
        `Expected a non-empty multiple of ${dim} values but found ${data.length}`,
      );
    }
    const sum = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) sum[j]! += data[i * dim + j]!;
    }
    const mean = sum.map((s) => s / n);
    const sq = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) {
        const d = data[i * dim + j]! - mean[j]!;
        sq[j]! += d * d;
      }
    }
    const std = sq.map((s) => {
      const sd = Math.sqrt(s / n);
      return sd < minStd ? 1 : sd;
    });
    return new Normalizer(mean, std);
  }

  /** `(x - mean) / std` into a new array (or `out`). */
  normalize(data: Float32Array, out = new Float32Array(data.length)): Float32Array {
    const dim = this.dim;
    for (let i = 0; i < data.length; i++) {
      const j = i % dim;
      out[i] = (data[i]! - this.mean[j]!) / this.std[j]!;
    }
    return out;
  }

  /** `z * std + mean` into a new array (or `out`). */
  denormalize(data: Float32Array, out = new Float32Array(data.length)): Float32Array {
    const dim = this.dim;
    for (let i = 0; i < data.length; i++) {
      const j = i % dim;
      out[i] = data[i]! * this.std[j]! + this.mean[j]!;
    }
    return out;
  }

  /** A JSON-safe copy. */
  toJSON(): NormalizerJson {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  /** Rebuilds a normaliser from {@linkcode Normalizer.toJSON}'s output. */
  static fromJSON(json: NormalizerJson): Normalizer {
    if (!json || !Array.isArray(json.mean) || !Array.isArray(json.std)) {
      throw new TypeError("Expected a normaliser with mean and std arrays");
    }
    return new Normalizer(json.mean, json.std);
  }
}
