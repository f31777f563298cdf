/**
 * The smallest learned model: next-state deltas as a linear function of (state, action),
 * fitted by ridge least squares. No tfjs, so the theory notebook shows P-hat in a few
 * milliseconds; the real models are in `lib/models/`.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";

/** Solves `A x = b` for square `A` (`[p * p]`, row-major) by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, p: number, q: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) {
      if (Math.abs(m[r * p + col]!) > Math.abs(m[pivot * p + col]!)) pivot = r;
    }
    if (Math.abs(m[pivot * p + col]!) < 1e-12) {
      throw new RangeError("Expected a well-conditioned system but found a singular one");
    }
    for (let k = 0; k < p; k++) {
      [m[col * p + k], m[pivot * p + k]] = [m[pivot * p + k]!, m[col * p + k]!];
    }
    for (let k = 0; k < q; k++) {
      [x[col * q + k], x[pivot * q + k]] = [x[pivot * q + k]!, x[col * q + k]!];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = m[r * p + col]! / m[col * p + col]!;
      if (f === 0) continue;
      for (let k = 0; k < p; k++) m[r * p + k]! -= f * m[col * p + k]!;
      for (let k = 0; k < q; k++) x[r * q + k]! -= f * x[col * q + k]!;
    }
  }
  for (let r = 0; r < p; r++) {
    for (let k = 0; k < q; k++) x[r * q + k]! /= m[r * p + r]!;
  }
  return x;
}

/** Options of {@linkcode LeastSquaresDynamics.fit}. */
export interface LeastSquaresOptions {
  /** Ridge penalty on the weights (not the bias). @default {1e-6} */
  ridge?: number;
}

/**
 * `s' = s + W [s; a; 1]`, with `W` (`[(stateDim + actionDim + 1) * stateDim]`) fitted by
 * ridge least squares on observed deltas `s' - s`.
 *
 * @example
 * ```ts
 * const model = LeastSquaresDynamics.fit(buffer.all());
 * const next = model.predict(batch.states, batch.actions, batch.size);
 * ```
 */
export class LeastSquaresDynamics {
  readonly stateDim: number;
  readonly actionDim: number;
  #weights: Float64Array;

  private constructor(stateDim: number, actionDim: number, weights: Float64Array) {
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.#weights = weights;
  }

  /** Fits the model to every transition of `batch`. */
  static fit(batch: TransitionBatch, options: LeastSquaresOptions = {}): LeastSquaresDynamics {
    const { ridge = 1e-6 } = options;
    const { size: n, stateDim: d, actionDim: ad } = batch;
    if (n === 0) throw new RangeError("Expected a non-empty batch but found size 0");
    const p = d + ad + 1;
    const xtx = new Float64Array(p * p);
    const xty = new Float64Array(p * d);
    const row = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) row[k] = batch.states[i * d + k]!;
      for (let k = 0; k < ad; k++) row[d + k] = batch.actions[i * ad + k]!;
      row[p - 1] = 1;
      for (let r = 0; r < p; r++) {
        for (let c = 0; c < p; c++) xtx[r * p + c]! += row[r]! * row[c]!;
        for (let k = 0; k < d; k++) {
          xty[r * d + k]! += row[r]! * (batch.nextStates[i * d + k]! - batch.states[i * d + k]!);
        }
      }
    }
    for (let r = 0; r < p - 1; r++) xtx[r * p + r]! += ridge * n;
    return new LeastSquaresDynamics(d, ad, solve(xtx, xty, p, d));
  }

  /** Predicted next states `[n * stateDim]` of `states` `[n * stateDim]` under `actions` `[n * actionDim]`. */
  predict(states: ArrayLike<number>, actions: ArrayLike<number>, n: number): Float32Array {
    const { stateDim: d, actionDim: ad } = this;
    const p = d + ad + 1;
    const w = this.#weights;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        let delta = w[(p - 1) * d + k]!;
        for (let j = 0; j < d; j++) delta += states[i * d + j]! * w[j * d + k]!;
        for (let j = 0; j < ad; j++) delta += actions[i * ad + j]! * w[(d + j) * d + k]!;
        out[i * d + k] = states[i * d + k]! + delta;
      }
    }
    return out;
  }
}

/** A next-state predictor on row-major batches, as the demos' planners and checks use. */
export type StepPredictor = (
  states: Float32Array,
  actions: Float32Array,
  n: number,
) => Float32Array;

/** One-step predictions as tidy rows `{ dim, actual, predicted, model }` for figures. */
export function predictionRows(
  predict: StepPredictor,
  batch: TransitionBatch,
  options: { dimNames: readonly string[]; model?: string },
): { dim: string; actual: number; predicted: number; model: string }[] {
  const { size: n, stateDim: d } = batch;
  const predicted = predict(batch.states, batch.actions, n);
  const rows = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      rows.push({
        dim: options.dimNames[k] ?? `s${k}`,
        actual: batch.nextStates[i * d + k]!,
        predicted: predicted[i * d + k]!,
        model: options.model ?? "model",
      });
    }
  }
  return rows;
}

/** Options of {@linkcode openLoopErrors}. */
export interface OpenLoopOptions {
  /** Horizons to report. @default {[1, 2, 5, 10, 20, 50]} */
  horizons?: readonly number[];
  /** Model name in the rows. @default {"model"} */
  model?: string;
}

/**
 * Open-loop rollout error: from the start of each recorded episode, the model replays the
 * episode's actions on its own predictions; the error at horizon k is the RMSE over episodes
 * and dimensions of (predicted - actual) state after k steps, each dimension divided by its
 * standard deviation in the recorded data (so dimensions weigh alike). Episodes shorter than k
 * do not count at k.
 */
export function openLoopErrors(
  predict: StepPredictor,
  episodes: readonly {
    observations: readonly Float32Array[];
    actions: readonly (number | number[])[];
  }[],
  options: OpenLoopOptions = {},
): { model: string; horizon: number; error: number; episodes: number }[] {
  const { horizons = [1, 2, 5, 10, 20, 50], model = "model" } = options;
  const d = episodes[0]?.observations[0]?.length ?? 0;
  const all = episodes.flatMap((e) => e.observations);
  const std = Array.from({ length: d }, (_, k) => {
    const values = all.map((o) => o[k]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) || 1;
  });
  const maxH = Math.max(...horizons);
  const sq = new Float64Array(maxH + 1);
  const counts = new Int32Array(maxH + 1);
  for (const episode of episodes) {
    let state: Float32Array = Float32Array.from(episode.observations[0]!);
    const steps = Math.min(maxH, episode.actions.length);
    for (let t = 0; t < steps; t++) {
      const action = Float32Array.from([episode.actions[t]!].flat());
      state = predict(state, action, 1);
      const actual = episode.observations[t + 1]!;
      for (let k = 0; k < d; k++) sq[t + 1]! += ((state[k]! - actual[k]!) / std[k]!) ** 2;
      counts[t + 1]!++;
    }
  }
  return horizons.filter((h) => counts[h]! > 0).map((h) => ({
    model,
    horizon: h,
    error: Math.sqrt(sq[h]! / (counts[h]! * d)),
    episodes: counts[h]!,
  }));
}

/**
 * Per-transition prediction error: the Euclidean norm of (predicted - actual) next state,
 * `[batch.size]` (e.g. as priorities for a prioritized buffer).
 */
export function predictionErrors(predict: StepPredictor, batch: TransitionBatch): Float32Array {
  const { size: n, stateDim: d } = batch;
  const predicted = predict(batch.states, batch.actions, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += (predicted[i * d + k]! - batch.nextStates[i * d + k]!) ** 2;
    out[i] = Math.sqrt(sq);
  }
  return out;
}
