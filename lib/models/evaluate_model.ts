/**
 * Honest held-out evaluation of a dynamics model: one-step errors, open-loop multi-step
 * rollout errors and calibration of the predicted uncertainty.
 *
 * @module
 */
import type { SequenceBatch, TransitionBatch } from "../buffer/types.ts";
import type { DynamicsModel, TransitionSource } from "./types.ts";

/**
 * `batchSize` windows of `length` consecutive transitions: the fields of the replay buffer's
 * `sampleSequences` result that model evaluation reads, `states` `[batchSize, length + 1,
 * stateDim]` (the window's first state then each step's next state), `actions`
 * `[batchSize, length, actionDim]`, `rewards` `[batchSize, length]`.
 */
export type ModelSequences = Pick<
  SequenceBatch,
  "batchSize" | "length" | "stateDim" | "actionDim" | "states" | "actions" | "rewards"
>;

/**
 * The two open-loop error metrics of the workbook, each named where it is reported:
 * - `"state-mse"`: {@linkcode evaluateModel}'s `rolloutMse`, the mean squared error of the
 *   predicted state after k steps, in raw state units, averaged over windows and dimensions
 *   (so a dimension with a large scale, such as CartPole's angular velocity, dominates);
 * - `"normalized-rmse"`: `openLoopErrors` in `lib/demos/prediction_checks.ts`, the root mean
 *   squared error after each dimension is divided by its standard deviation in the recorded
 *   data (dimensions weigh alike; 1 is an error as large as the data's own spread).
 * They are not comparable with each other: plot one kind per figure.
 */
export type OpenLoopMetric = "state-mse" | "normalized-rmse";

/** Options of {@linkcode evaluateModel}. */
export interface EvaluateModelOptions {
  /** Longest open-loop rollout `H`; errors are reported for k = 1..H. @default {10} */
  horizons?: number;
  /**
   * Held-out sequences for the rollout errors: a {@linkcode ModelSequences} (e.g. from
   * `ReplayBuffer.sampleSequences`) or an array of batches whose rows are consecutive steps.
   * When left out, windows of `horizons` consecutive rows are found in the data itself
   * (rows `i`, `i+1` are consecutive when `nextStates[i]` equals `states[i+1]` and row `i`
   * did not end its episode).
   */
  sequences?: ModelSequences | readonly TransitionBatch[];
  /** At most this many rollout windows (evenly spaced). @default {1000} */
  maxSequences?: number;
}

/** What {@linkcode evaluateModel} returns. All errors are in state space (not normalised). */
export interface ModelEvaluation {
  /** Held-out transitions evaluated. */
  n: number;
  /** One-step next-state MSE, averaged over rows and dimensions (the design's `state_mse`). */
  stateMse: number;
  /** One-step reward MSE (the design's `reward_mse`). */
  rewardMse: number;
  /** One-step MSE per state dimension, `[stateDim]`. */
  stateMsePerDim: number[];
  /** The "next state = current state" baseline's MSE, for scale. */
  baselineStateMse: number;
  /** Baseline MSE per dimension, `[stateDim]`. */
  baselineStateMsePerDim: number[];
  /**
   * Open-loop rollout MSE after k = 1..H steps, raw state units, averaged over windows and
   * dimensions, `[H]` (the `"state-mse"` {@linkcode OpenLoopMetric}).
   */
  rolloutMse: number[];
  /** Open-loop rollout MSE per step and dimension, `[H][stateDim]`. */
  rolloutMsePerDim: number[][];
  /** Windows used for the rollout errors (0 when none were available). */
  numSequences: number;
  /**
   * Fraction of true next states inside the predicted mean +- 1 and 2 std, per dimension,
   * against the Gaussian 0.6827 and 0.9545; absent when the model predicts no std.
   */
  calibration?: {
    within1Sigma: number[];
    within2Sigma: number[];
    expected1Sigma: number;
    expected2Sigma: number;
  };
  /** Accuracy of `terminationProb > 0.5` against `terminated`, when the model predicts it. */
  terminationAccuracy?: number;
}

function isSource(data: TransitionBatch | TransitionSource): data is TransitionSource {
  return typeof (data as TransitionSource).all === "function";
}

/** Windows of `h` consecutive rows found in a batch (see the `sequences` option). */
function windowsFromBatch(batch: TransitionBatch, h: number, max: number): ModelSequences {
  const s = batch.stateDim;
  const n = batch.size;
  // linked[i]: row i+1 continues row i
  const linked = new Uint8Array(n);
  for (let i = 0; i + 1 < n; i++) {
    if (batch.terminated[i] || batch.truncated[i]) continue;
    let same = true;
    for (let j = 0; j < s && same; j++) {
      same = batch.nextStates[i * s + j] === batch.states[(i + 1) * s + j];
    }
    linked[i] = same ? 1 : 0;
  }
  const starts: number[] = [];
  let run = 0; // consecutive links ending at i (window of h rows needs h - 1 links)
  for (let i = n - 1; i >= 0; i--) {
    run = i + 1 < n && linked[i] ? run + 1 : 0;
    if (run >= h - 1 && i + h <= n) starts.push(i);
  }
  starts.reverse();
  const stride = Math.max(1, Math.ceil(starts.length / max));
  const chosen = starts.filter((_, k) => k % stride === 0);
  return sequencesFromRows(
    chosen.map((start) => ({ batch, start })),
    h,
  );
}

function sequencesFromRows(
  windows: { batch: TransitionBatch; start: number }[],
  h: number,
): ModelSequences {
  const first = windows[0]?.batch;
  const s = first?.stateDim ?? 0;
  const a = first?.actionDim ?? 0;
  const b = windows.length;
  const states = new Float32Array(b * (h + 1) * s);
  const actions = new Float32Array(b * h * a);
  const rewards = new Float32Array(b * h);
  windows.forEach(({ batch, start }, w) => {
    for (let t = 0; t < h; t++) {
      const row = start + t;
      if (t === 0) states.set(batch.states.subarray(row * s, (row + 1) * s), w * (h + 1) * s);
      states.set(
        batch.nextStates.subarray(row * s, (row + 1) * s),
        (w * (h + 1) + t + 1) * s,
      );
      actions.set(batch.actions.subarray(row * a, (row + 1) * a), (w * h + t) * a);
      rewards[w * h + t] = batch.rewards[row]!;
    }
  });
  return { batchSize: b, length: h, stateDim: s, actionDim: a, states, actions, rewards };
}

/**
 * Evaluates `model` on held-out data: one-step state and reward MSE (overall and per
 * dimension, with the copy-the-state baseline), open-loop rollout MSE for k = 1..H using the
 * predicted mean, and calibration of the predicted std.
 *
 * @example
 * ```ts
 * import { LinearDynamicsModel } from "./linear_dynamics_model.ts";
 * const n = 50;
 * const states = Float32Array.from({ length: n }, (_, i) => i / n);
 * const nextStates = states.map((s) => s + 0.5);
 * const heldOut = {
 *   size: n, stateDim: 1, actionDim: 1, states, nextStates,
 *   actions: new Float32Array(n).fill(1), rewards: new Float32Array(n),
 *   terminated: new Uint8Array(n), truncated: new Uint8Array(n),
 * };
 * const model = new LinearDynamicsModel({ stateDim: 1, actionDim: 1 });
 * await model.train(heldOut);
 * const report = evaluateModel(model, heldOut, { horizons: 1 });
 * report.stateMse < 1e-6; // true: the linear model is exact here
 * report.calibration; // undefined: it predicts no std
 * ```
 * @throws {RangeError} on empty data, mismatched dimensions or a bad horizon.
 */
export function evaluateModel(
  model: DynamicsModel,
  data: TransitionBatch | TransitionSource,
  options: EvaluateModelOptions = {},
): ModelEvaluation {
  const batch = isSource(data) ? data.all() : data;
  const h = options.horizons ?? 10;
  const maxSequences = options.maxSequences ?? 1000;
  if (!Number.isInteger(h) || h <= 0) {
    throw new RangeError(`Expected horizons to be a positive integer but found ${h}`);
  }
  if (!Number.isInteger(maxSequences) || maxSequences <= 0) {
    throw new RangeError(
      `Expected maxSequences to be a positive integer but found ${maxSequences}`,
    );
  }
  if (batch.size === 0) {
    throw new RangeError("Expected at least one held-out transition but found 0");
  }
  const s = model.stateDim;
  if (batch.stateDim !== s || batch.actionDim !== model.actionDim) {
    throw new RangeError(
      `Expected data with stateDim ${s} and actionDim ${model.actionDim} but found ${batch.stateDim} and ${batch.actionDim}`,
    );
  }
  const n = batch.size;
  const states = batch.states.subarray(0, n * s);
  const pred = model.predict(states, batch.actions.subarray(0, n * model.actionDim));
  const perDim = new Array<number>(s).fill(0);
  const basePerDim = new Array<number>(s).fill(0);
  const in1 = new Array<number>(s).fill(0);
  const in2 = new Array<number>(s).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < s; j++) {
      const k = i * s + j;
      const truth = batch.nextStates[k]!;
      const err = pred.mean[k]! - truth;
      perDim[j]! += err * err;
      basePerDim[j]! += (states[k]! - truth) ** 2;
      if (pred.std) {
        const z = Math.abs(err) / pred.std[k]!;
        if (z <= 1) in1[j]!++;
        if (z <= 2) in2[j]!++;
      }
    }
  }
  let rewardSq = 0;
  for (let i = 0; i < n; i++) rewardSq += (pred.reward[i]! - batch.rewards[i]!) ** 2;
  const mean = (xs: number[]) => xs.reduce((acc, x) => acc + x, 0) / xs.length;
  const stateMsePerDim = perDim.map((x) => x / n);
  const baselineStateMsePerDim = basePerDim.map((x) => x / n);
  const result: ModelEvaluation = {
    n,
    stateMse: mean(stateMsePerDim),
    rewardMse: rewardSq / n,
    stateMsePerDim,
    baselineStateMse: mean(baselineStateMsePerDim),
    baselineStateMsePerDim,
    rolloutMse: [],
    rolloutMsePerDim: [],
    numSequences: 0,
  };
  if (pred.std) {
    result.calibration = {
      within1Sigma: in1.map((x) => x / n),
      within2Sigma: in2.map((x) => x / n),
      expected1Sigma: 0.6827,
      expected2Sigma: 0.9545,
    };
  }
  if (pred.terminationProb) {
    let correct = 0;
    for (let i = 0; i < n; i++) {
      if ((pred.terminationProb[i]! > 0.5 ? 1 : 0) === batch.terminated[i]) correct++;
    }
    result.terminationAccuracy = correct / n;
  }
  let seqs: ModelSequences;
  if (options.sequences === undefined) {
    seqs = windowsFromBatch(batch, h, maxSequences);
  } else if (Array.isArray(options.sequences)) {
    const list = options.sequences as readonly TransitionBatch[];
    for (const b of list) {
      if (b.size < h) {
        throw new RangeError(
          `Expected every sequence to hold at least ${h} transitions but found ${b.size}`,
        );
      }
    }
    seqs = sequencesFromRows(list.slice(0, maxSequences).map((b) => ({ batch: b, start: 0 })), h);
  } else {
    seqs = options.sequences as ModelSequences;
    if (seqs.length < h) {
      throw new RangeError(
        `Expected sequences of length at least ${h} but found ${seqs.length}`,
      );
    }
  }
  if (seqs.batchSize > 0 && (seqs.stateDim !== s || seqs.actionDim !== model.actionDim)) {
    throw new RangeError(
      `Expected sequences with stateDim ${s} and actionDim ${model.actionDim} but found ${seqs.stateDim} and ${seqs.actionDim}`,
    );
  }
  const b = seqs.batchSize;
  result.numSequences = b;
  if (b > 0) {
    const a = model.actionDim;
    const len = seqs.length;
    let current: Float32Array = new Float32Array(b * s);
    for (let w = 0; w < b; w++) {
      current.set(seqs.states.subarray(w * (len + 1) * s, (w * (len + 1) + 1) * s), w * s);
    }
    const act = new Float32Array(b * a);
    for (let t = 0; t < h; t++) {
      for (let w = 0; w < b; w++) {
        act.set(seqs.actions.subarray((w * len + t) * a, (w * len + t + 1) * a), w * a);
      }
      current = model.predict(current, act).mean;
      const sq = new Array<number>(s).fill(0);
      for (let w = 0; w < b; w++) {
        for (let j = 0; j < s; j++) {
          const truth = seqs.states[(w * (len + 1) + t + 1) * s + j]!;
          sq[j]! += (current[w * s + j]! - truth) ** 2;
        }
      }
      const row = sq.map((x) => x / b);
      result.rolloutMsePerDim.push(row);
      result.rolloutMse.push(mean(row));
    }
  }
  return result;
}
