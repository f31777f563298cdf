/**
 * The ensemble's epistemic disagreement as a per-row exploration bonus: how much the members'
 * predicted next states differ where the model has seen little data.
 *
 * **Which scalar, and why.** Per row, the mean over state dimensions of the members'
 * variance (`epistemicVar`, the variance of the elites' means) divided by that dimension's
 * variance of one-step state changes in the training data (the model's target normaliser):
 *
 * `d_i = (1 / S) * sum_j epistemicVar[i, j] / deltaStd[j]^2`.
 *
 * - The variance of the members' predictions is the disagreement signal of Pathak et al.
 *   ("Self-Supervised Exploration via Disagreement", 2019) and Plan2Explore (Sekar et al.,
 *   2020), which average it over dimensions; a variance (not a std) shrinks quadratically as
 *   members agree, so the bonus fades fast where the data is dense.
 * - Dividing by each dimension's delta variance makes it scale-free: it is the variance of the
 *   members' outputs in the networks' own normalised target space, "the fraction of a typical
 *   one-step change that the members disagree on". CartPole's angle and velocities, and
 *   Pendulum's angle and speed, then count alike, and one bonus weight means about the same on
 *   every env.
 *
 * @module
 */
import { assertFiniteArray, describeValue } from "../validate.ts";
import type { Normalizer } from "./normalizer.ts";
import type { DynamicsPrediction } from "./types.ts";

/**
 * The per-dimension std of one-step state changes that {@linkcode epistemicDisagreement}
 * divides by: the first `stateDim` columns of a neural model's target normaliser (its
 * `(state delta, reward)` columns), `[stateDim]`.
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * deltaStdOf(model).length; // 2 (all 1 before training)
 * model.dispose();
 * ```
 */
export function deltaStdOf(
  model: { readonly stateDim: number; readonly targetNormalizer: Normalizer },
): Float32Array {
  return model.targetNormalizer.std.slice(0, model.stateDim);
}

/**
 * `d_i = mean_j epistemicVar[i, j] / deltaStd[j]^2` for each of the `n` rows of an ensemble's
 * `predict` output, `[n]` (written into `out` when given). Zero where the members agree;
 * non-negative and finite.
 *
 * @throws {TypeError} when `prediction` has no `epistemicVar` (a single network, or a
 *   `sample` output: only an ensemble's `predict` carries it), or when its length is not a
 *   whole number of rows of `deltaStd.length`, or `out` has the wrong length;
 *   {RangeError} when a `deltaStd` entry is not a positive finite number.
 *
 * @example
 * ```ts
 * // Two rows of a 2-D state; the second dimension changes 10x more per step than the first.
 * const epistemicVar = new Float32Array([0, 0, 0.01, 1]);
 * const bonus = epistemicDisagreement({ epistemicVar }, [0.1, 1]); // Float32Array [0, 1]
 * ```
 */
export function epistemicDisagreement(
  prediction: Pick<DynamicsPrediction, "epistemicVar">,
  deltaStd: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const variance = prediction?.epistemicVar;
  if (!(variance instanceof Float32Array)) {
    throw new TypeError(
      `Expected a prediction with epistemicVar (an ensemble's predict output) but found ${
        describeValue(variance)
      }`,
    );
  }
  assertFiniteArray(deltaStd, "deltaStd");
  const s = deltaStd.length;
  const n = variance.length / s;
  if (s === 0 || !Number.isInteger(n)) {
    throw new TypeError(
      `Expected epistemicVar to hold whole rows of ${s} (deltaStd's length) but found length ${variance.length}`,
    );
  }
  const inv = new Float64Array(s);
  for (let j = 0; j < s; j++) {
    const sd = deltaStd[j]!;
    if (!(sd > 0)) {
      throw new RangeError(`Expected deltaStd[${j}] to be a positive number but found ${sd}`);
    }
    inv[j] = 1 / (s * sd * sd);
  }
  const result = out ?? new Float32Array(n);
  if (result.length !== n) {
    throw new TypeError(`Expected out to have length ${n} but found length ${result.length}`);
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < s; j++) sum += variance[i * s + j]! * inv[j]!;
    result[i] = sum;
  }
  return result;
}
