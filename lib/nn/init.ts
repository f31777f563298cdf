/**
 * Seeded weight initialisers drawn from an {@linkcode Rng} stream (never tfjs's global random),
 * so one seed reproduces a network exactly on every backend.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** How a dense layer's weight matrix is initialised. */
export type InitScheme = "he" | "glorot" | "orthogonal" | "torch";

/**
 * A `[fanIn, fanOut]` row-major weight matrix.
 *
 * - `"he"`: uniform in `±sqrt(6 / fanIn)` (Kaiming uniform for ReLU).
 * - `"glorot"`: uniform in `±sqrt(6 / (fanIn + fanOut))`.
 * - `"torch"`: uniform in `±1 / sqrt(fanIn)` (PyTorch's `nn.Linear` default).
 * - `"orthogonal"`: a random (semi-)orthogonal matrix from modified Gram-Schmidt on Gaussian
 *   draws, as `torch.nn.init.orthogonal_`.
 *
 * Every scheme is then multiplied by `gain`.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const w = initWeights(4, 64, { scheme: "he", rng: new Rng(0) }); // Float32Array(256)
 * ```
 */
export function initWeights(
  fanIn: number,
  fanOut: number,
  options: { scheme: InitScheme; rng: Rng; gain?: number },
): Float32Array {
  const { scheme, rng, gain = 1 } = options;
  const out = new Float32Array(fanIn * fanOut);
  if (scheme === "orthogonal") {
    orthogonalInto(out, fanIn, fanOut, rng);
    for (let i = 0; i < out.length; i++) out[i]! *= gain;
    return out;
  }
  let limit: number;
  if (scheme === "he") limit = Math.sqrt(6 / fanIn);
  else if (scheme === "glorot") limit = Math.sqrt(6 / (fanIn + fanOut));
  else if (scheme === "torch") limit = 1 / Math.sqrt(fanIn);
  else {throw new TypeError(
      `Expected init to be he, glorot, orthogonal or torch but found ${scheme}`,
    );}
  limit *= gain;
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/** Orthonormal rows or columns (whichever count is smaller) via modified Gram-Schmidt. */
function orthogonalInto(out: Float32Array, rows: number, cols: number, rng: Rng): void {
  // Work on k vectors of length m, k <= m, then lay them out as rows or columns.
  const transposed = rows < cols; // orthonormal rows when there are fewer rows
  const k = transposed ? rows : cols;
  const m = transposed ? cols : rows;
  const vecs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = rng.normal();
    for (const u of vecs) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < m; i++) v[i]! -= dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) v[i]! /= norm;
    vecs.push(v);
  }
  for (let j = 0; j < k; j++) {
    const v = vecs[j]!;
    for (let i = 0; i < m; i++) {
      // column j of a [rows, cols] matrix, or row j when transposed
      if (transposed) out[j * cols + i] = v[i]!;
      else out[i * cols + j] = v[i]!;
    }
  }
}
