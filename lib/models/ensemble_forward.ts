/**
 * The ensemble's forward pass: pack normalised `(state, action)` rows, run chosen members
 * (one `tf.tidy`, `dataSync` outside it), and combine their raw outputs into one state-space
 * {@linkcode DynamicsPrediction}: the mean over members, the mean of their own variances
 * (aleatoric), the variance of their means (epistemic), and the termination probability.
 *
 * Internal to `lib/models/`: `BaseDynamicsModel` hands in an {@linkcode EnsembleView} of its
 * state; nothing here holds state of its own.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { boundLogStd, type MemberNetwork } from "./member.ts";
import type { ModelInference } from "./model_config.ts";
import type { Normalizer } from "./normalizer.ts";
import type { DynamicsPrediction } from "./types.ts";

/** What the forward pass reads of a model. */
export interface EnsembleView {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly probabilistic: boolean;
  readonly learnTermination: boolean;
  /** Every member network (elites index into it). */
  readonly members: readonly MemberNetwork[];
  /** Members used for prediction. */
  readonly elites: readonly number[];
  /** Over `(state, action)` columns. */
  readonly inputNorm: Normalizer;
  /** Over `(state delta, reward)` columns. */
  readonly targetNorm: Normalizer;
  /** Which engine runs the members. */
  readonly inference: ModelInference;
}

/** One member's raw outputs `[rows, outputDim]`, read back from the device. */
export interface MemberOutputs {
  data: Float32Array;
  member: number;
}

/** A member to run, on all rows or on `rows` only. */
export interface ForwardJob {
  member: number;
  rows?: Int32Array;
}

/**
 * Packs normalised inputs for each job (all `n` rows, or `rows`) and runs each job's member:
 * on the dense kernel (`Mlp.predict`, no tensors), or with `view.inference` `"tfjs"` in one
 * `tf.tidy`, reading the raw outputs back outside it.
 *
 * @example
 * ```ts
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * // forwardMembers is what model.predict runs for each elite:
 * model.predict(new Float32Array([0, 1]), new Float32Array([1])).mean.length; // 2
 * model.dispose();
 * ```
 */
export function forwardMembers(
  view: EnsembleView,
  states: Float32Array,
  actions: Float32Array,
  jobs: readonly ForwardJob[],
  n: number,
): MemberOutputs[] {
  const s = view.stateDim;
  const a = view.actionDim;
  const inDim = s + a;
  const { mean: mu, std: sd } = view.inputNorm;
  const packAll = (rows: Int32Array | undefined): Float32Array => {
    const count = rows ? rows.length : n;
    const x = new Float32Array(count * inDim);
    for (let r = 0; r < count; r++) {
      const i = rows ? rows[r]! : r;
      for (let j = 0; j < s; j++) x[r * inDim + j] = (states[i * s + j]! - mu[j]!) / sd[j]!;
      for (let j = 0; j < a; j++) {
        x[r * inDim + s + j] = (actions[i * a + j]! - mu[s + j]!) / sd[s + j]!;
      }
    }
    return x;
  };
  let shared: Float32Array | undefined;
  const inputs = jobs.map((job) => {
    if (job.rows) return packAll(job.rows);
    shared ??= packAll(undefined);
    return shared;
  });
  if (view.inference === "kernel") {
    return jobs.map((job, k) => ({
      data: view.members[job.member]!.mlp.predict(inputs[k]!, job.rows ? job.rows.length : n),
      member: job.member,
    }));
  }
  const tensors = tf.tidy(() => {
    let sharedTensor: tf.Tensor2D | undefined;
    return jobs.map((job, k) => {
      const count = job.rows ? job.rows.length : n;
      if (count === 0) return undefined;
      let x: tf.Tensor2D;
      if (job.rows) x = tf.tensor2d(inputs[k]!, [count, inDim]);
      else x = sharedTensor ??= tf.tensor2d(inputs[k]!, [count, inDim]);
      return view.members[job.member]!.forward(x);
    });
  });
  const outs = tensors.map((t, k) => ({
    data: t ? (t.dataSync() as Float32Array) : new Float32Array(0),
    member: jobs[k]!.member,
  }));
  tf.dispose(tensors.filter((t) => t !== undefined));
  return outs;
}

/** Options of {@linkcode combineOutputs}. */
export interface CombineOptions {
  /** Report each member's own variance only (no epistemic term in `std`). @default {false} */
  aleatoricOnly?: boolean;
  /** The outputs are of these rows of `states` (one member's share of a propagation). */
  rows?: Int32Array;
}

/**
 * Combines raw outputs of members over the same `n` rows into a state-space prediction:
 * `next = state + (mean over members) * targetStd + targetMean`, with `std` the square root of
 * the mean aleatoric variance plus (unless `aleatoricOnly`) the members' epistemic variance.
 *
 * @example
 * ```ts
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * // combineOutputs gives predict its epistemic/aleatoric split:
 * model.predict(new Float32Array([0, 1]), new Float32Array([1])).epistemicVar?.length; // 2
 * model.dispose();
 * ```
 */
export function combineOutputs(
  view: EnsembleView,
  states: Float32Array,
  n: number,
  outs: readonly MemberOutputs[],
  options: CombineOptions = {},
): DynamicsPrediction {
  const s = view.stateDim;
  const t = s + 1;
  const e = outs.length;
  const width = view.members[0]!.outputDim;
  const { mean: tm, std: ts } = view.targetNorm;
  const prob = view.probabilistic;
  const ensemble = view.members.length > 1 && !options.rows;
  const bounds = outs.map((o) => view.members[o.member]!.bounds());
  const mean = new Float32Array(n * s);
  const reward = new Float32Array(n);
  const wantVar = prob || (ensemble && !options.aleatoricOnly);
  const std = wantVar ? new Float32Array(n * s) : undefined;
  const rewardStd = wantVar ? new Float32Array(n) : undefined;
  const aleatoricVar = ensemble ? new Float32Array(n * s) : undefined;
  const epistemicVar = ensemble ? new Float32Array(n * s) : undefined;
  const terminationProb = view.learnTermination ? new Float32Array(n) : undefined;
  const rows = options.rows;
  if (e === 1 && !ensemble) {
    singleMember(outs[0]!.data, bounds[0]!, { states, rows, width, prob, tm, ts, s, n }, {
      mean,
      reward,
      std,
      rewardStd,
      terminationProb,
    });
  } else {
    for (let i = 0; i < n; i++) {
      const src = rows ? rows[i]! : i;
      for (let j = 0; j < t; j++) {
        let sum = 0;
        let sumSq = 0;
        let ale = 0;
        for (let k = 0; k < e; k++) {
          const data = outs[k]!.data;
          const mu = data[i * width + j]!;
          sum += mu;
          sumSq += mu * mu;
          if (prob) {
            const b = bounds[k]!;
            const ls = boundLogStd(data[i * width + t + j]!, b.max[j]!, b.min[j]!);
            ale += Math.exp(2 * ls);
          }
        }
        const mN = sum / e;
        const epiN = e > 1 ? Math.max(0, sumSq / e - mN * mN) : 0;
        const aleN = ale / e;
        const scale = ts[j]!;
        const value = mN * scale + tm[j]!;
        const varN = options.aleatoricOnly ? aleN : aleN + epiN;
        if (j < s) {
          mean[i * s + j] = states[src * s + j]! + value;
          if (std) std[i * s + j] = Math.sqrt(varN) * scale;
          if (aleatoricVar) aleatoricVar[i * s + j] = aleN * scale * scale;
          if (epistemicVar) epistemicVar[i * s + j] = epiN * scale * scale;
        } else {
          reward[i] = value;
          if (rewardStd) rewardStd[i] = Math.sqrt(varN) * scale;
        }
      }
      if (terminationProb) {
        let p = 0;
        for (let k = 0; k < e; k++) {
          p += 1 / (1 + Math.exp(-outs[k]!.data[i * width + width - 1]!));
        }
        terminationProb[i] = p / e;
      }
    }
  }
  const prediction: DynamicsPrediction = { mean, stateMean: mean, reward };
  if (std) {
    prediction.std = std;
    prediction.rewardStd = rewardStd;
  }
  if (aleatoricVar) prediction.aleatoricVar = aleatoricVar;
  if (epistemicVar) prediction.epistemicVar = epistemicVar;
  if (terminationProb) prediction.terminationProb = terminationProb;
  return prediction;
}

/**
 * `combineOutputs` for one member's outputs and no ensemble terms: the same arithmetic as its
 * general loop (so results are bit-identical), without the per-member loops, which cost more
 * than the work for the narrow outputs of planning rollouts.
 */
function singleMember(
  data: Float32Array,
  bound: { max: Float32Array; min: Float32Array },
  input: {
    states: Float32Array;
    rows: Int32Array | undefined;
    width: number;
    prob: boolean;
    tm: Float32Array;
    ts: Float32Array;
    s: number;
    n: number;
  },
  out: {
    mean: Float32Array;
    reward: Float32Array;
    std: Float32Array | undefined;
    rewardStd: Float32Array | undefined;
    terminationProb: Float32Array | undefined;
  },
): void {
  const { states, rows, width, prob, tm, ts, s, n } = input;
  const { mean, reward, std, rewardStd, terminationProb } = out;
  const t = s + 1;
  for (let i = 0; i < n; i++) {
    const src = rows ? rows[i]! : i;
    const o = i * width;
    for (let j = 0; j < t; j++) {
      // `0 + mu` as the general loop's sum: it turns -0 into +0 there too.
      const mN = 0 + data[o + j]!;
      const scale = ts[j]!;
      const value = mN * scale + tm[j]!;
      if (j < s) mean[i * s + j] = states[src * s + j]! + value;
      else reward[i] = value;
      if (prob) {
        const ls = boundLogStd(data[o + t + j]!, bound.max[j]!, bound.min[j]!);
        const sd = Math.sqrt(Math.exp(2 * ls)) * scale;
        if (j < s) std![i * s + j] = sd;
        else rewardStd![i] = sd;
      }
    }
    if (terminationProb) terminationProb[i] = 1 / (1 + Math.exp(-data[o + width - 1]!));
  }
}

/**
 * The prediction over all elites (what `predict` returns): mean over elites, total `std`
 * with its log (`stateLogStd`).
 *
 * @example
 * ```ts
 * import { ProbabilisticDynamicsModel } from "./probabilistic_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = new ProbabilisticDynamicsModel({ stateDim: 2, actionDim: 1, hiddenSizes: [8] });
 * model.predict(new Float32Array([0, 1]), new Float32Array([1])).stateLogStd?.length; // 2
 * model.dispose();
 * ```
 */
export function predictElites(
  view: EnsembleView,
  states: Float32Array,
  actions: Float32Array,
  n: number,
): DynamicsPrediction {
  const jobs = view.elites.map((m) => ({ member: m }));
  const prediction = combineOutputs(
    view,
    states,
    n,
    forwardMembers(view, states, actions, jobs, n),
  );
  if (prediction.std) prediction.stateLogStd = prediction.std.map(Math.log);
  return prediction;
}
