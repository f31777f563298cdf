/**
 * Checks of a next-state predictor on recorded data, as tidy rows and arrays for the
 * notebooks: one-step predictions, open-loop rollout error by horizon, per-transition errors.
 * Any `DynamicsModel` becomes a predictor as `(s, a) => model.predict(s, a).mean`.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import type { OpenLoopMetric } from "../models/evaluate_model.ts";

/** A next-state predictor on row-major batches (`n` rows), e.g. a `DynamicsModel`'s mean. */
export type StepPredictor = (
  states: Float32Array,
  actions: Float32Array,
  n: number,
) => Float32Array;

/**
 * One-step predictions as tidy rows `{ dim, actual, predicted, model }` for figures.
 *
 * @example
 * ```ts
 * const batch = {
 *   size: 2, stateDim: 1, actionDim: 1,
 *   states: new Float32Array([0, 1]), actions: new Float32Array([1, 1]),
 *   nextStates: new Float32Array([1, 2]), rewards: new Float32Array(2),
 *   terminated: new Uint8Array(2), truncated: new Uint8Array(2),
 * };
 * const rows = predictionRows((s, a) => s.map((x, i) => x + a[i]!), batch, { dimNames: ["x"] });
 * rows[1]; // { dim: "x", actual: 2, predicted: 2, model: "model" }
 * ```
 */
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
 * Open-loop rollout error, the `"normalized-rmse"` {@linkcode OpenLoopMetric}: from the start
 * of each recorded episode, the model replays the episode's actions on its own predictions;
 * the error at horizon k is the RMSE over episodes and dimensions of (predicted - actual)
 * state after k steps, each dimension divided by its standard deviation in the recorded data
 * (so dimensions weigh alike). Episodes shorter than k do not count at k. Not comparable with
 * `evaluateModel`'s `rolloutMse` (raw-unit MSE): each row says which metric it holds.
 *
 * @example
 * ```ts
 * const predict = (s: Float32Array, a: Float32Array) => s.map((x, i) => x + a[i]!);
 * const episode = {
 *   observations: [new Float32Array([0]), new Float32Array([1]), new Float32Array([2])],
 *   actions: [1, 1],
 * };
 * openLoopErrors(predict, [episode], { horizons: [1, 2] }); // errors 0 at both horizons
 * ```
 */
export function openLoopErrors(
  predict: StepPredictor,
  episodes: readonly {
    observations: readonly Float32Array[];
    actions: readonly (number | number[])[];
  }[],
  options: OpenLoopOptions = {},
): { model: string; horizon: number; error: number; episodes: number; metric: OpenLoopMetric }[] {
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
    metric: "normalized-rmse" as const,
  }));
}

/**
 * Per-transition prediction error: the Euclidean norm of (predicted - actual) next state,
 * `[batch.size]` (e.g. as priorities for a prioritized buffer).
 *
 * @example
 * ```ts
 * const batch = {
 *   size: 2, stateDim: 1, actionDim: 1,
 *   states: new Float32Array([0, 1]), actions: new Float32Array([1, 1]),
 *   nextStates: new Float32Array([1, 2]), rewards: new Float32Array(2),
 *   terminated: new Uint8Array(2), truncated: new Uint8Array(2),
 * };
 * predictionErrors((s) => s, batch); // Float32Array [1, 1]: "next = current" is off by 1
 * ```
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
