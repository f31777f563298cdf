/**
 * PPO with the clipped surrogate objective (Schulman et al., 2017) on TensorFlow.js, written to
 * be read top to bottom, with RL Baselines3 Zoo's settings for each of the five envs: see
 * {@linkcode PPO_ZOO_PRESETS} in `zoo_presets.ts` (`hyperparams/ppo.yml` of
 * https://github.com/DLR-RM/rl-baselines3-zoo, every value cited there). The trainer takes the
 * env's entry, `config` overrides single fields, and the budget defaults to the entry's
 * `n_timesteps`.
 *
 * Everything the Zoo leaves out is Stable-Baselines3's `PPO`/`ActorCriticPolicy` default
 * (https://github.com/DLR-RM/stable-baselines3, `stable_baselines3/ppo/ppo.py`,
 * `common/policies.py`, `common/distributions.py`, `common/vec_env/vec_normalize.py`):
 * separate tanh policy and value networks of [64, 64], orthogonal initialisation (gain
 * sqrt(2) hidden, 0.01 policy head, 1 value head, zero biases) unless `orthoInit` is off
 * (PyTorch's default initialisation then), Adam with epsilon 1e-5, global gradient-norm
 * clipping over all parameters together, advantages normalised per minibatch, no value
 * clipping. As SB3 does, an episode cut by the time limit is bootstrapped: its last reward gets
 * `gamma * V(final observation)` added.
 *
 * Actions: a categorical policy over logits for Discrete spaces; for Box spaces SB3's diagonal
 * Gaussian, a mean from the policy network and a state-independent log-std parameter starting
 * at `logStdInit`; sampled actions are stored unclipped and clipped to the Box only when
 * stepping the env; evaluation takes the argmax, or the mean clipped to the Box. The Zoo's
 * Pendulum-v1 and MountainCarContinuous-v0 entries use gSDE, which is not implemented here
 * (see `zoo_presets.ts`).
 *
 * `normalize` is SB3's `VecNormalize` (running mean/variance of observations, and of the
 * discounted return to scale rewards, both clipped at 10, epsilon 1e-8); evaluations see
 * observations normalised with the training statistics at that time and score raw rewards.
 *
 * The loss gradients w.r.t. the networks' outputs (logits or means, value, log-std) are
 * computed in plain JavaScript (a 256 x 2 batch), then pushed through {@linkcode Mlp.backward}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { makeEnv } from "../envs/mod.ts";
import type { Env, EnvId } from "../envs/types.ts";
import type { Rng } from "../rng.ts";
import { Adam } from "../nn/adam.ts";
import { Mlp } from "../nn/mlp.ts";
import type { RunSummary } from "../run_folder.ts";
import { assertPositiveIntegers, BaselineRun, type BaselineRunOptions } from "./baseline_run.ts";
import { argmaxRows } from "./policy_eval.ts";
import { PPO_ZOO_PRESETS, presetFor } from "./zoo_presets.ts";

/**
 * PPO hyperparameters. The `@default`s shown are the CartPole-v1 preset's; each env's values
 * and their sources are in {@linkcode PPO_ZOO_PRESETS}.
 */
export interface PpoConfig {
  /** Parallel environments (Zoo `n_envs: 8`). @default {8} */
  numEnvs: number;
  /** Steps per environment per rollout (Zoo `n_steps: 32`). @default {32} */
  nSteps: number;
  /** Minibatch size (Zoo `batch_size: 256`: one minibatch per epoch). @default {256} */
  batchSize: number;
  /** Passes over each rollout (Zoo `n_epochs: 20`). @default {20} */
  nEpochs: number;
  /** Discount (Zoo `gamma: 0.98`). @default {0.98} */
  gamma: number;
  /** GAE lambda (Zoo `gae_lambda: 0.8`). @default {0.8} */
  gaeLambda: number;
  /** Initial learning rate (Zoo `lin_0.001`). @default {0.001} */
  learningRate: number;
  /** `"linear"`: falls to 0 over `scheduleTotalSteps` (Zoo `lin_`); `"constant"`. @default {"linear"} */
  learningRateSchedule: "linear" | "constant";
  /** Initial clip range (Zoo `lin_0.2`). @default {0.2} */
  clipRange: number;
  /** `"linear"`: falls to 0 over `scheduleTotalSteps` (Zoo `lin_`); `"constant"`. @default {"linear"} */
  clipRangeSchedule: "linear" | "constant";
  /**
   * Steps over which the linear schedules reach 0: the Zoo's `n_timesteps`, kept fixed so a
   * smaller budget does not speed the schedules up. @default {100000}
   */
  scheduleTotalSteps: number;
  /** Entropy bonus weight (Zoo `ent_coef: 0.0`). @default {0} */
  entCoef: number;
  /** Value-loss weight (SB3 default `vf_coef: 0.5`). @default {0.5} */
  vfCoef: number;
  /** Global gradient-norm clip (SB3 default `max_grad_norm: 0.5`). @default {0.5} */
  maxGradNorm: number;
  /** Hidden layers of each of the two networks (SB3 default `[64, 64]`, tanh). @default {[64, 64]} */
  hiddenSizes: number[];
  /** Orthogonal initialisation (SB3 default `ortho_init: True`); else PyTorch's default. @default {true} */
  orthoInit: boolean;
  /** Initial log-std of the Gaussian policy, Box actions only (SB3 default `log_std_init: 0`). @default {0} */
  logStdInit: number;
  /** SB3's `VecNormalize` of observations and rewards (Zoo `normalize: true`). @default {false} */
  normalize: boolean;
  /** Adam epsilon (SB3's on-policy default 1e-5). @default {1e-5} */
  adamEpsilon: number;
}

/** The Zoo's CartPole-v1 PPO settings: `PPO_ZOO_PRESETS["CartPole-v1"].config`. */
export const PPO_ZOO_CARTPOLE: Readonly<PpoConfig> = PPO_ZOO_PRESETS["CartPole-v1"].config;

/**
 * Options of {@linkcode trainPPO}: the shared ones, with `seed` feeding env resets, action
 * sampling, minibatch order and initial weights. `envName` may be any of the five envs (each
 * has a preset); `maxSteps` (all envs together) defaults to its Zoo budget and
 * `solvedThreshold` to the env's. Evaluations run after the update that crosses each multiple
 * of `evalEvery`.
 */
export interface TrainPpoOptions extends BaselineRunOptions {
  /** Overrides of single fields of the env's Zoo preset. @default {PPO_ZOO_PRESETS[envName].config} */
  config?: Partial<PpoConfig>;
}

/** Mean losses of one PPO update's epochs. */
export interface PpoUpdateStats {
  /** Clipped surrogate loss (to minimise) of each epoch, averaged over its minibatches. */
  policyLoss: number[];
  /** Value MSE of each epoch. */
  valueLoss: number[];
  /** Mean entropy of the policy in the last epoch. */
  entropy: number;
  /** Fraction of samples whose ratio was clipped, last epoch. */
  clipFraction: number;
}

/** What {@linkcode trainPPO} returns: the run summary plus the run folder and histories. */
export interface PpoResult extends RunSummary {
  /** The run folder, or `null` when nothing was written. */
  runDir: string | null;
  /** Per update: the first and last epoch's value loss and policy loss. */
  updates: { envSteps: number; valueLoss: [number, number]; policyLoss: [number, number] }[];
  /** Evaluation means, in order, with their env steps. */
  evals: { envSteps: number; mean: number }[];
}

/**
 * One rollout: `n = numEnvs * nSteps` rows, time-major (row `t * numEnvs + e`). `actions` is
 * `[n * actionDim]`: Discrete indices (`actionDim` 1) or unclipped Gaussian samples.
 */
export interface PpoRollout {
  n: number;
  obsDim: number;
  actionDim: number;
  observations: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * The actor (logits, or Gaussian means) and critic (value) networks, the Gaussian's log-std
 * parameter (`null` for Discrete actions) and their shared optimiser.
 */
export interface ActorCritic {
  actor: Mlp;
  critic: Mlp;
  /** `[A]` state-independent log-std of the Gaussian policy, or `null` (categorical). */
  logStd: tf.Variable | null;
  optimizer: Adam;
}

/**
 * Builds SB3's default actor-critic for `obsDim` inputs and `numActions` outputs: logits, or
 * the means of a Gaussian over `numActions` dimensions when `continuous`.
 *
 * @example
 * ```ts
 * import { makeActorCritic, disposeActorCritic, PPO_ZOO_CARTPOLE } from "./ppo.ts";
 * import { Rng } from "../rng.ts";
 * const net = makeActorCritic(4, 2, { config: PPO_ZOO_CARTPOLE, rng: new Rng(0) });
 * disposeActorCritic(net);
 * ```
 */
export function makeActorCritic(
  obsDim: number,
  numActions: number,
  options: { config: Readonly<PpoConfig>; rng: Rng; continuous?: boolean },
): ActorCritic {
  const { config, rng } = options;
  const common = config.orthoInit
    ? { activation: "tanh" as const, init: "orthogonal" as const, gain: Math.SQRT2 }
    : { activation: "tanh" as const, init: "torch" as const };
  const actor = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, numActions],
    ...common,
    outputGain: config.orthoInit ? 0.01 : 1,
    rng: rng.stream("actor"),
  });
  const critic = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, 1],
    ...common,
    outputGain: 1,
    rng: rng.stream("critic"),
  });
  const logStd = options.continuous === true
    ? tf.tidy(() => tf.variable(tf.fill([numActions], config.logStdInit), true))
    : null;
  const variables = [...actor.variables, ...critic.variables, ...(logStd ? [logStd] : [])];
  const optimizer = new Adam(variables, {
    learningRate: config.learningRate,
    epsilon: config.adamEpsilon,
    clipNorm: config.maxGradNorm,
  });
  return { actor, critic, logStd, optimizer };
}

/**
 * Frees the networks, the log-std and the optimiser of `net` (safe to call twice).
 *
 * @example
 * ```ts
 * import { disposeActorCritic, makeActorCritic, PPO_ZOO_CARTPOLE } from "./ppo.ts";
 * import { Rng } from "../rng.ts";
 * disposeActorCritic(makeActorCritic(4, 2, { config: PPO_ZOO_CARTPOLE, rng: new Rng(0) }));
 * ```
 */
export function disposeActorCritic(net: ActorCritic): void {
  net.actor.dispose();
  net.critic.dispose();
  net.optimizer.dispose();
  if (net.logStd !== null && !net.logStd.isDisposed) net.logStd.dispose();
}

/** Both networks' outputs for `n` observations: logits/means `[n * k]` and values `[n]`. */
function policyOutputs(
  net: ActorCritic,
  observations: Float32Array,
  n: number,
): { logits: Float32Array; values: Float32Array } {
  const obsDim = net.actor.inputSize;
  const [logits, values] = tf.tidy(() => {
    const x = tf.tensor2d(observations, [n, obsDim]);
    return [net.actor.forward(x), net.critic.forward(x)];
  });
  const out = {
    logits: logits.dataSync() as Float32Array,
    values: values.dataSync() as Float32Array,
  };
  tf.dispose([logits, values]);
  return out;
}

/** Softmax of row `i` of `logits` (`k` columns) into `probs`; returns log-sum-exp. */
function softmaxRow(logits: ArrayLike<number>, i: number, k: number, probs: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    probs[j] = Math.exp(logits[i * k + j]! - max);
    sum += probs[j]!;
  }
  for (let j = 0; j < k; j++) probs[j]! /= sum;
  return max + Math.log(sum);
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * `log N(action; mean, exp(logStd))` summed over `k` dimensions, the mean from row `m` of
 * `means` and the action from row `a` of `actions`.
 */
function gaussianLogProb(
  means: ArrayLike<number>,
  m: number,
  actions: ArrayLike<number>,
  a: number,
  logStd: ArrayLike<number>,
  k: number,
): number {
  let logProb = 0;
  for (let j = 0; j < k; j++) {
    const z = (actions[a * k + j]! - means[m * k + j]!) / Math.exp(logStd[j]!);
    logProb += -0.5 * z * z - logStd[j]! - HALF_LOG_2PI;
  }
  return logProb;
}

/** What {@linkcode ppoGradients} returns for one minibatch. */
export interface PpoMinibatchGradients {
  /** Gradients aligned with `[...actor.variables, ...critic.variables, logStd?]` (caller disposes). */
  grads: tf.Tensor[];
  /** The clipped surrogate loss (to minimise). */
  policyLoss: number;
  /** The value MSE. */
  valueLoss: number;
  /** The summed per-sample entropy. */
  entropySum: number;
  /** How many samples had their ratio clipped. */
  clipped: number;
}

/**
 * The gradients of `policyLoss + entCoef * (-entropy) + vfCoef * valueLoss` over the rollout
 * rows `rows`, with advantages normalised within the minibatch (SB3), arranged by hand: the
 * loss gradients w.r.t. logits or Gaussian means, value and log-std in plain JavaScript, then
 * {@linkcode Mlp.backward}. Categorical: `dlogp(a)/dlogit_j = 1[j = a] - p_j`. Gaussian with
 * `z = (a - mean) / std`: `dlogp/dmean = z / std`, `dlogp/dlogStd = z^2 - 1`, and the entropy
 * `sum_j (logStd_j + 0.5 + 0.5 log 2 pi)` has gradient 1 per log-std.
 *
 * @example
 * ```ts
 * import { disposeActorCritic, makeActorCritic, PPO_ZOO_CARTPOLE, ppoGradients } from "./ppo.ts";
 * import { Rng } from "../rng.ts";
 * import * as tf from "@tensorflow/tfjs";
 * const net = makeActorCritic(4, 2, { config: PPO_ZOO_CARTPOLE, rng: new Rng(0) });
 * const n = 8;
 * const rollout = {
 *   n, obsDim: 4, actionDim: 1, observations: new Float32Array(n * 4),
 *   actions: new Float32Array(n), logProbs: new Float32Array(n).fill(Math.log(0.5)),
 *   advantages: new Float32Array(n).fill(1), returns: new Float32Array(n),
 * };
 * const rows = Int32Array.from({ length: n }, (_, i) => i);
 * const { grads } = ppoGradients(net, rollout, rows, { config: PPO_ZOO_CARTPOLE, clipRange: 0.2 });
 * tf.dispose(grads);
 * disposeActorCritic(net);
 * ```
 */
export function ppoGradients(
  net: ActorCritic,
  rollout: PpoRollout,
  rows: Int32Array,
  options: { config: Readonly<PpoConfig>; clipRange: number },
): PpoMinibatchGradients {
  const { config, clipRange } = options;
  const k = net.actor.outputSize;
  const continuous = net.logStd !== null;
  const { obsDim, actionDim } = rollout;
  const b = rows.length;
  const obs = new Float32Array(b * obsDim);
  const adv = new Float64Array(b);
  const acts = new Float32Array(b * actionDim);
  rows.forEach((row, i) => {
    obs.set(rollout.observations.subarray(row * obsDim, (row + 1) * obsDim), i * obsDim);
    acts.set(rollout.actions.subarray(row * actionDim, (row + 1) * actionDim), i * actionDim);
    adv[i] = rollout.advantages[row]!;
  });
  // Normalise advantages within the minibatch (SB3: unbiased std, + 1e-8).
  if (b > 1) {
    const mean = adv.reduce((a, v) => a + v, 0) / b;
    const std = Math.sqrt(adv.reduce((a, v) => a + (v - mean) ** 2, 0) / (b - 1));
    for (let i = 0; i < b; i++) adv[i] = (adv[i]! - mean) / (std + 1e-8);
  }
  const probs = new Float64Array(k);
  return tf.tidy(() => {
    let policyLoss = 0;
    let valueLoss = 0;
    let entropySum = 0;
    let clipped = 0;
    const x = tf.tensor2d(obs, [b, obsDim]);
    const a = net.actor.forwardWithCache(x);
    const c = net.critic.forwardWithCache(x);
    const logits = a.output.dataSync();
    const values = c.output.dataSync();
    const logStd = continuous ? net.logStd!.dataSync() : new Float32Array(0);
    const dLogits = new Float32Array(b * k);
    const dLogStd = new Float32Array(continuous ? k : 0);
    const dValues = new Float32Array(b);
    // Gaussian entropy is the same for every row: sum_j (logStd_j + 0.5 + 0.5 log 2 pi).
    let gaussianEntropy = 0;
    for (let j = 0; j < dLogStd.length; j++) gaussianEntropy += logStd[j]! + 0.5 + HALF_LOG_2PI;
    for (let i = 0; i < b; i++) {
      const row = rows[i]!;
      const action = acts[i * actionDim]!;
      const lse = continuous ? 0 : softmaxRow(logits, i, k, probs);
      const logProb = continuous
        ? gaussianLogProb(logits, i, acts, i, logStd, k)
        : logits[i * k + action]! - lse;
      const ratio = Math.exp(logProb - rollout.logProbs[row]!);
      const A = adv[i]!;
      // -min(A r, A clip(r)): the gradient flows through r unless the clipped term is chosen.
      const clippedRatio = Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
      policyLoss += -Math.min(A * ratio, A * clippedRatio) / b;
      const isClipped = (A > 0 && ratio > 1 + clipRange) || (A < 0 && ratio < 1 - clipRange);
      if (isClipped) clipped += 1;
      const dLogProb = isClipped ? 0 : -A * ratio / b;
      if (continuous) {
        entropySum += gaussianEntropy;
        for (let j = 0; j < k; j++) {
          const std = Math.exp(logStd[j]!);
          const z = (acts[i * k + j]! - logits[i * k + j]!) / std;
          dLogits[i * k + j] = dLogProb * z / std;
          dLogStd[j]! += dLogProb * (z * z - 1);
        }
      } else {
        let entropy = 0;
        for (let j = 0; j < k; j++) {
          entropy -= probs[j]! > 0 ? probs[j]! * Math.log(probs[j]!) : 0;
        }
        entropySum += entropy;
        for (let j = 0; j < k; j++) {
          const p = probs[j]!;
          // d(-H)/d logit_j = p_j (log p_j + H).
          const entropyGrad = p > 0 ? p * (Math.log(p) + entropy) : 0;
          dLogits[i * k + j] = dLogProb * ((j === action ? 1 : 0) - p) +
            config.entCoef * entropyGrad / b;
        }
      }
      const diff = values[i]! - rollout.returns[row]!;
      valueLoss += diff * diff / b;
      dValues[i] = config.vfCoef * 2 * diff / b;
    }
    // The entropy bonus: d(-entCoef * mean H)/d logStd_j = -entCoef.
    for (let j = 0; j < dLogStd.length; j++) dLogStd[j]! -= config.entCoef;
    const grads = [
      ...net.actor.backward(a.cache, tf.tensor2d(dLogits, [b, k])),
      ...net.critic.backward(c.cache, tf.tensor2d(dValues, [b, 1])),
      ...(continuous ? [tf.tensor1d(dLogStd)] : []),
    ];
    return { grads, policyLoss, valueLoss, entropySum, clipped };
  });
}

/**
 * One PPO update over a rollout: `nEpochs` passes, each over shuffled minibatches of
 * `batchSize`, each one Adam step on {@linkcode ppoGradients}.
 *
 * @example
 * ```ts
 * import { disposeActorCritic, makeActorCritic, PPO_ZOO_CARTPOLE, ppoUpdate } from "./ppo.ts";
 * import { Rng } from "../rng.ts";
 * const net = makeActorCritic(4, 2, { config: PPO_ZOO_CARTPOLE, rng: new Rng(0) });
 * const n = 8;
 * const rollout = {
 *   n, obsDim: 4, actionDim: 1, observations: new Float32Array(n * 4),
 *   actions: new Float32Array(n), logProbs: new Float32Array(n).fill(Math.log(0.5)),
 *   advantages: new Float32Array(n).fill(1), returns: new Float32Array(n),
 * };
 * const stats = ppoUpdate(net, rollout, { config: PPO_ZOO_CARTPOLE, clipRange: 0.2, rng: new Rng(1) });
 * disposeActorCritic(net);
 * ```
 */
export function ppoUpdate(
  net: ActorCritic,
  rollout: PpoRollout,
  options: { config: Readonly<PpoConfig>; clipRange: number; rng: Rng },
): PpoUpdateStats {
  const { config, clipRange, rng } = options;
  const { n } = rollout;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const stats: PpoUpdateStats = { policyLoss: [], valueLoss: [], entropy: 0, clipFraction: 0 };
  for (let epoch = 0; epoch < config.nEpochs; epoch++) {
    rng.shuffle(order);
    let policySum = 0;
    let valueSum = 0;
    let entropySum = 0;
    let clipped = 0;
    for (let start = 0; start < n; start += config.batchSize) {
      const rows = order.subarray(start, Math.min(n, start + config.batchSize));
      tf.tidy(() => {
        const minibatch = ppoGradients(net, rollout, rows, { config, clipRange });
        net.optimizer.step(minibatch.grads);
        policySum += minibatch.policyLoss;
        valueSum += minibatch.valueLoss;
        entropySum += minibatch.entropySum;
        clipped += minibatch.clipped;
      });
    }
    const batches = Math.ceil(n / config.batchSize);
    stats.policyLoss.push(policySum / batches);
    stats.valueLoss.push(valueSum / batches);
    stats.entropy = entropySum / n;
    stats.clipFraction = clipped / n;
  }
  return stats;
}

/** SB3's `RunningMeanStd`: running mean and variance of `[dim]` vectors (count starts at 1e-4). */
class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  #count = 1e-4;

  constructor(dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Folds in `n` rows of `rows` (`[n * dim]`), as SB3's parallel mean/variance update. */
  update(rows: ArrayLike<number>, n: number): void {
    const dim = this.mean.length;
    for (let j = 0; j < dim; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += rows[i * dim + j]!;
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (rows[i * dim + j]! - m) ** 2;
      v /= n;
      const delta = m - this.mean[j]!;
      const total = this.#count + n;
      const m2 = this.var[j]! * this.#count + v * n + delta * delta * this.#count * n / total;
      this.mean[j] = this.mean[j]! + delta * n / total;
      this.var[j] = m2 / total;
    }
    this.#count += n;
  }
}

/**
 * SB3's `VecNormalize` with its defaults (clip 10, epsilon 1e-8) for `numEnvs` envs: the
 * observation statistics, and the discounted-return statistics that scale rewards.
 */
class VecNormalizer {
  #obs: RunningMeanStd;
  #ret = new RunningMeanStd(1);
  #returns: Float64Array;
  #gamma: number;

  constructor(obsDim: number, numEnvs: number, gamma: number) {
    this.#obs = new RunningMeanStd(obsDim);
    this.#returns = new Float64Array(numEnvs);
    this.#gamma = gamma;
  }

  /** Updates the observation statistics with `n` raw rows. */
  updateObservations(raw: Float32Array, n: number): void {
    this.#obs.update(raw, n);
  }

  /** `clip((obs - mean) / sqrt(var + 1e-8), -10, 10)` of `n` raw rows (a new array). */
  observations(raw: Float32Array, n: number): Float32Array {
    const dim = this.#obs.mean.length;
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) {
        const z = (raw[i * dim + j]! - this.#obs.mean[j]!) / Math.sqrt(this.#obs.var[j]! + 1e-8);
        out[i * dim + j] = Math.min(Math.max(z, -10), 10);
      }
    }
    return out;
  }

  /** Scales one step's raw rewards (one per env) in place and resets finished envs' returns. */
  rewards(rewards: Float64Array, dones: Uint8Array): void {
    for (let e = 0; e < rewards.length; e++) {
      this.#returns[e] = this.#returns[e]! * this.#gamma + rewards[e]!;
    }
    this.#ret.update(this.#returns, rewards.length);
    const scale = Math.sqrt(this.#ret.var[0]! + 1e-8);
    for (let e = 0; e < rewards.length; e++) {
      rewards[e] = Math.min(Math.max(rewards[e]! / scale, -10), 10);
      if (dones[e]) this.#returns[e] = 0;
    }
  }
}

function checkOptions(maxSteps: number, evalEvery: number, config: Readonly<PpoConfig>): void {
  assertPositiveIntegers([
    ["maxSteps", maxSteps],
    ["evalEvery", evalEvery],
    ["numEnvs", config.numEnvs],
    ["nSteps", config.nSteps],
    ["batchSize", config.batchSize],
    ["nEpochs", config.nEpochs],
  ]);
  if (maxSteps < config.numEnvs * config.nSteps) {
    throw new RangeError(
      `Expected maxSteps to be at least numEnvs * nSteps (${config.numEnvs * config.nSteps}) ` +
        `but found ${maxSteps}`,
    );
  }
  for (const key of ["learningRateSchedule", "clipRangeSchedule"] as const) {
    if (config[key] !== "linear" && config[key] !== "constant") {
      throw new TypeError(`Expected ${key} to be "linear" or "constant" but found ${config[key]}`);
    }
  }
}

/**
 * Trains PPO on `envName` with `numEnvs` environments stepped in lockstep (a plain array,
 * auto-reset as SB3's `DummyVecEnv`), evaluating greedily, and writes the run folder
 * (`method: "ppo"`) when `outDir` is given. The networks and the optimiser are freed when it
 * returns or throws. Call `setupBackend()` first.
 *
 * @example
 * ```ts
 * import { trainPPO } from "./ppo.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const result = await trainPPO({ envName: "Pendulum-v1", seed: 0, maxSteps: 8_192 });
 * console.log(result.finalEvalMean);
 * ```
 * @throws {RangeError} on non-positive sizes or a budget smaller than one rollout.
 */
export async function trainPPO(options: TrainPpoOptions): Promise<PpoResult> {
  const envName: EnvId = options.envName ?? "CartPole-v1";
  const preset = presetFor(PPO_ZOO_PRESETS, "PPO", envName);
  const config: PpoConfig = { ...preset.config, ...options.config };
  const maxSteps = options.maxSteps ?? preset.nTimesteps;
  checkOptions(maxSteps, options.evalEvery ?? 1024, config);
  const run = new BaselineRun("ppo", {
    ...options,
    envName,
    maxSteps,
    config,
  });
  const { evalEvery, root } = run;

  // Seeding in one place: each consumer gets its own named stream.
  const envs: Env[] = Array.from(
    { length: config.numEnvs },
    (_, e) => makeEnv(envName, { rng: root.stream(`env${e}`) }),
  );
  const actionRng = root.stream("actions");
  const minibatchRng = root.stream("minibatch");
  const space = envs[0]!.actionSpace;
  const continuous = space.kind === "box";
  if (continuous && (space.shape.length !== 1 || space.shape[0] !== 1)) {
    throw new TypeError(`Expected a one-dimensional Box action space for PPO but found ${envName}`);
  }
  const obsDim = envs[0]!.observationSpace.shape[0]!;
  const k = continuous ? 1 : space.n;
  const low = continuous ? space.low[0]! : 0;
  const high = continuous ? space.high[0]! : 0;
  const clipAction = (a: number) => Math.min(Math.max(a, low), high);
  const normalizer = config.normalize
    ? new VecNormalizer(obsDim, config.numEnvs, config.gamma)
    : null;
  const normalized = (raw: Float32Array, n: number) =>
    normalizer === null ? raw.slice() : normalizer.observations(raw, n);
  const net = makeActorCritic(obsDim, k, { config, rng: root.stream("init"), continuous });

  /** Argmax of the logits, or the Gaussian mean clipped to the Box. */
  const greedy = (observations: Float32Array, n: number): ArrayLike<number> => {
    const out = policyOutputs(net, normalized(observations, n), n).logits;
    return continuous ? out.map(clipAction) : argmaxRows(out, n, k);
  };

  const E = config.numEnvs;
  const T = config.nSteps;
  const n = E * T;
  const rawObs = new Float32Array(E * obsDim);
  envs.forEach((env, e) => rawObs.set(env.reset().observation, e * obsDim));
  normalizer?.updateObservations(rawObs, E);
  let obs = normalized(rawObs, E);
  const episodeStarts = new Uint8Array(E).fill(1);
  const epReturn = new Float64Array(E);
  const epLength = new Int32Array(E);
  const probs = new Float64Array(k);
  const updates: PpoResult["updates"] = [];
  let envSteps = 0;

  try {
    while (envSteps + n <= maxSteps) {
      // 1. Collect a rollout of nSteps from every env with the current stochastic policy.
      const rollout: PpoRollout = {
        n,
        obsDim,
        actionDim: 1,
        observations: new Float32Array(n * obsDim),
        actions: new Float32Array(n),
        logProbs: new Float32Array(n),
        advantages: new Float32Array(n),
        returns: new Float32Array(n),
      };
      const rewards = new Float32Array(n);
      const values = new Float32Array(n);
      const starts = new Uint8Array(n);
      const logStd = continuous ? net.logStd!.dataSync() : new Float32Array(0);
      for (let t = 0; t < T; t++) {
        const out = policyOutputs(net, obs, E);
        const stepRewards = new Float64Array(E);
        const dones = new Uint8Array(E);
        const finals: (Float32Array | null)[] = new Array(E).fill(null);
        for (let e = 0; e < E; e++) {
          const row = t * E + e;
          let action = 0;
          if (continuous) {
            action = out.logits[e]! + Math.exp(logStd[0]!) * actionRng.normal();
            rollout.actions[row] = action;
            rollout.logProbs[row] = gaussianLogProb(out.logits, e, rollout.actions, row, logStd, 1);
          } else {
            const lse = softmaxRow(out.logits, e, k, probs);
            let u = actionRng.uniform();
            while (action < k - 1 && u >= probs[action]!) u -= probs[action++]!;
            rollout.actions[row] = action;
            rollout.logProbs[row] = out.logits[e * k + action]! - lse;
          }
          rollout.observations.set(obs.subarray(e * obsDim, (e + 1) * obsDim), row * obsDim);
          values[row] = out.values[e]!;
          starts[row] = episodeStarts[e]!;
          const step = envs[e]!.step(continuous ? clipAction(action) : action);
          stepRewards[e] = step.reward;
          epReturn[e]! += step.reward;
          epLength[e]! += 1;
          // Time limit, not a terminal state: bootstrap from the final observation (SB3).
          if (step.truncated && !step.terminated) finals[e] = step.observation;
          const done = step.terminated || step.truncated;
          dones[e] = done ? 1 : 0;
          episodeStarts[e] = done ? 1 : 0;
          if (done) {
            run.episode(envSteps + (t + 1) * E, epReturn[e]!, epLength[e]!);
            epReturn[e] = 0;
            epLength[e] = 0;
            rawObs.set(envs[e]!.reset().observation, e * obsDim);
          } else {
            rawObs.set(step.observation, e * obsDim);
          }
        }
        // VecNormalize's order: observation statistics first, then rewards scaled.
        normalizer?.updateObservations(rawObs, E);
        normalizer?.rewards(stepRewards, dones);
        for (let e = 0; e < E; e++) {
          let reward = stepRewards[e]!;
          const final = finals[e];
          if (final !== null && final !== undefined) {
            reward += config.gamma * policyOutputs(net, normalized(final, 1), 1).values[0]!;
          }
          rewards[t * E + e] = reward;
        }
        obs = normalized(rawObs, E);
        // Let an interrupt (SIGINT/SIGTERM through `signal`) in between steps; a cut rollout
        // is not trained on and its steps are not counted.
        if (await run.checkpoint()) break;
      }
      if (run.shouldStop) break;
      envSteps += n;

      // 2. Generalised advantage estimation (SB3's compute_returns_and_advantage).
      const lastValues = policyOutputs(net, obs, E).values;
      const gae = new Float64Array(E);
      for (let t = T - 1; t >= 0; t--) {
        for (let e = 0; e < E; e++) {
          const row = t * E + e;
          const nextNonTerminal = 1 - (t === T - 1 ? episodeStarts[e]! : starts[row + E]!);
          const nextValue = t === T - 1 ? lastValues[e]! : values[row + E]!;
          const delta = rewards[row]! + config.gamma * nextValue * nextNonTerminal - values[row]!;
          gae[e] = delta + config.gamma * config.gaeLambda * nextNonTerminal * gae[e]!;
          rollout.advantages[row] = gae[e]!;
          rollout.returns[row] = gae[e]! + values[row]!;
        }
      }

      // 3. Update, with the learning rate and clip range on their schedules (SB3 progress).
      const remaining = Math.max(0, 1 - envSteps / config.scheduleTotalSteps);
      const lrScale = config.learningRateSchedule === "linear" ? remaining : 1;
      const clipScale = config.clipRangeSchedule === "linear" ? remaining : 1;
      net.optimizer.learningRate = Math.max(config.learningRate * lrScale, 1e-12);
      const stats = ppoUpdate(net, rollout, {
        config,
        clipRange: config.clipRange * clipScale,
        rng: minibatchRng,
      });
      updates.push({
        envSteps,
        valueLoss: [stats.valueLoss[0]!, stats.valueLoss.at(-1)!],
        policyLoss: [stats.policyLoss[0]!, stats.policyLoss.at(-1)!],
      });

      // 4. Evaluate greedily after the update that crosses a multiple of evalEvery.
      const crossed = Math.floor(envSteps / evalEvery) > Math.floor((envSteps - n) / evalEvery);
      const last = envSteps + n > maxSteps;
      if (crossed || last) {
        const extra = {
          valueLoss: stats.valueLoss.at(-1)!,
          policyLoss: stats.policyLoss.at(-1)!,
          entropy: stats.entropy,
          clipFraction: stats.clipFraction,
        };
        if (await run.evaluate(envSteps, greedy, extra)) break;
      }
    }

    const summary: RunSummary = run.finish(envSteps, { updates: updates.length });
    return { ...summary, runDir: run.writer?.dir ?? null, updates, evals: run.evals };
  } finally {
    disposeActorCritic(net);
  }
}
