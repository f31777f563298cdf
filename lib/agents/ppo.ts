/**
 * PPO with the clipped surrogate objective (Schulman et al., 2017) on TensorFlow.js, written to
 * be read top to bottom, with the defaults of RL Baselines3 Zoo's tuned CartPole-v1 settings.
 *
 * Source of every default: `hyperparams/ppo.yml`, entry `CartPole-v1`, of RL Baselines3 Zoo
 * (https://github.com/DLR-RM/rl-baselines3-zoo): `n_envs: 8`, `n_timesteps: 1e5`,
 * `n_steps: 32`, `batch_size: 256`, `gae_lambda: 0.8`, `gamma: 0.98`, `n_epochs: 20`,
 * `ent_coef: 0.0`, `learning_rate: lin_0.001`, `clip_range: lin_0.2`. Everything else is
 * Stable-Baselines3's `PPO`/`ActorCriticPolicy` default (https://github.com/DLR-RM/stable-baselines3,
 * `stable_baselines3/ppo/ppo.py`, `common/policies.py`): separate tanh policy and value
 * networks of [64, 64], orthogonal initialisation (gain sqrt(2) hidden, 0.01 policy head, 1
 * value head, zero biases), Adam with epsilon 1e-5, `vf_coef: 0.5`, `max_grad_norm: 0.5`
 * over all parameters together, advantages normalised per minibatch, no value clipping.
 * As SB3 does, an episode cut by the time limit is bootstrapped: its last reward gets
 * `gamma * V(final observation)` added.
 *
 * The loss gradients w.r.t. the networks' outputs (logits, value) are computed in plain
 * JavaScript (a 256 x 2 batch), then pushed through {@linkcode Mlp.backward}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { makeEnv } from "../envs/mod.ts";
import type { Env } from "../envs/types.ts";
import type { Rng } from "../rng.ts";
import { Adam } from "../nn/adam.ts";
import { Mlp } from "../nn/mlp.ts";
import type { RunSummary } from "../run_folder.ts";
import { assertPositiveIntegers, BaselineRun, type BaselineRunOptions } from "./baseline_run.ts";
import { argmaxRows } from "./policy_eval.ts";

/** PPO hyperparameters. Defaults: RL Baselines3 Zoo `ppo.yml` `CartPole-v1`, else SB3's. */
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
  /** Initial learning rate, falling linearly to 0 (Zoo `lin_0.001`). @default {0.001} */
  learningRate: number;
  /** Initial clip range, falling linearly to 0 (Zoo `lin_0.2`). @default {0.2} */
  clipRange: number;
  /**
   * Steps over which the linear schedules reach 0: the Zoo's `n_timesteps: 1e5`, kept fixed
   * so a smaller budget does not speed the schedules up. @default {100000}
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
  /** Adam epsilon (SB3's on-policy default 1e-5). @default {1e-5} */
  adamEpsilon: number;
}

/** The Zoo's CartPole-v1 PPO settings (see {@linkcode PpoConfig} for each source). */
export const PPO_ZOO_CARTPOLE: Readonly<PpoConfig> = Object.freeze({
  numEnvs: 8,
  nSteps: 32,
  batchSize: 256,
  nEpochs: 20,
  gamma: 0.98,
  gaeLambda: 0.8,
  learningRate: 0.001,
  clipRange: 0.2,
  scheduleTotalSteps: 100_000,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  hiddenSizes: [64, 64],
  adamEpsilon: 1e-5,
});

/**
 * Options of {@linkcode trainPPO}: the shared ones, with `seed` feeding env resets, action
 * sampling, minibatch order and initial weights. `maxSteps` counts all envs together;
 * evaluations run after the update that crosses each multiple of `evalEvery`.
 */
export interface TrainPpoOptions extends BaselineRunOptions {
  /** Overrides of the Zoo hyperparameters. @default {PPO_ZOO_CARTPOLE} */
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

/** One rollout: `n = numEnvs * nSteps` rows, time-major (row `t * numEnvs + e`). */
export interface PpoRollout {
  n: number;
  obsDim: number;
  observations: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/** The actor (logits) and critic (value) networks and their shared optimiser. */
export interface ActorCritic {
  actor: Mlp;
  critic: Mlp;
  optimizer: Adam;
}

/** Builds SB3's default actor-critic for `obsDim` inputs and `numActions` logits. */
export function makeActorCritic(
  obsDim: number,
  numActions: number,
  options: { config: Readonly<PpoConfig>; rng: Rng },
): ActorCritic {
  const { config, rng } = options;
  const common = { activation: "tanh" as const, init: "orthogonal" as const, gain: Math.SQRT2 };
  const actor = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, numActions],
    ...common,
    outputGain: 0.01,
    rng: rng.stream("actor"),
  });
  const critic = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, 1],
    ...common,
    outputGain: 1,
    rng: rng.stream("critic"),
  });
  const optimizer = new Adam([...actor.variables, ...critic.variables], {
    learningRate: config.learningRate,
    epsilon: config.adamEpsilon,
    clipNorm: config.maxGradNorm,
  });
  return { actor, critic, optimizer };
}

/** Both networks' outputs for `n` observations: logits `[n * numActions]` and values `[n]`. */
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

/**
 * One PPO update over a rollout: `nEpochs` passes, each over shuffled minibatches of
 * `batchSize`, minimising `policyLoss + entCoef * (-entropy) + vfCoef * valueLoss`.
 */
export function ppoUpdate(
  net: ActorCritic,
  rollout: PpoRollout,
  options: { config: Readonly<PpoConfig>; clipRange: number; rng: Rng },
): PpoUpdateStats {
  const { config, clipRange, rng } = options;
  const k = net.actor.outputSize;
  const { n, obsDim } = rollout;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const probs = new Float64Array(k);
  const stats: PpoUpdateStats = { policyLoss: [], valueLoss: [], entropy: 0, clipFraction: 0 };
  for (let epoch = 0; epoch < config.nEpochs; epoch++) {
    rng.shuffle(order);
    let policySum = 0;
    let valueSum = 0;
    let entropySum = 0;
    let clipped = 0;
    for (let start = 0; start < n; start += config.batchSize) {
      const idx = order.subarray(start, Math.min(n, start + config.batchSize));
      const b = idx.length;
      const obs = new Float32Array(b * obsDim);
      const adv = new Float64Array(b);
      idx.forEach((row, i) => {
        obs.set(rollout.observations.subarray(row * obsDim, (row + 1) * obsDim), i * obsDim);
        adv[i] = rollout.advantages[row]!;
      });
      // Normalise advantages within the minibatch (SB3: unbiased std, + 1e-8).
      if (b > 1) {
        const mean = adv.reduce((a, v) => a + v, 0) / b;
        const std = Math.sqrt(adv.reduce((a, v) => a + (v - mean) ** 2, 0) / (b - 1));
        for (let i = 0; i < b; i++) adv[i] = (adv[i]! - mean) / (std + 1e-8);
      }
      tf.tidy(() => {
        const x = tf.tensor2d(obs, [b, obsDim]);
        const a = net.actor.forwardWithCache(x);
        const c = net.critic.forwardWithCache(x);
        const logits = a.output.dataSync();
        const values = c.output.dataSync();
        const dLogits = new Float32Array(b * k);
        const dValues = new Float32Array(b);
        for (let i = 0; i < b; i++) {
          const row = idx[i]!;
          const action = rollout.actions[row]!;
          const lse = softmaxRow(logits, i, k, probs);
          const logProb = logits[i * k + action]! - lse;
          const ratio = Math.exp(logProb - rollout.logProbs[row]!);
          const A = adv[i]!;
          // -min(A r, A clip(r)): the gradient flows through r unless the clipped term is chosen.
          const clippedRatio = Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
          policySum += -Math.min(A * ratio, A * clippedRatio) / b;
          const isClipped = (A > 0 && ratio > 1 + clipRange) || (A < 0 && ratio < 1 - clipRange);
          if (isClipped) clipped += 1;
          const dLogProb = isClipped ? 0 : -A * ratio / b;
          let entropy = 0;
          for (let j = 0; j < k; j++) {
            entropy -= probs[j]! > 0 ? probs[j]! * Math.log(probs[j]!) : 0;
          }
          entropySum += entropy;
          for (let j = 0; j < k; j++) {
            const p = probs[j]!;
            // d logp(a) / d logit_j = 1[j = a] - p_j; d(-H)/d logit_j = p_j (log p_j + H).
            const entropyGrad = p > 0 ? p * (Math.log(p) + entropy) : 0;
            dLogits[i * k + j] = dLogProb * ((j === action ? 1 : 0) - p) +
              config.entCoef * entropyGrad / b;
          }
          const diff = values[i]! - rollout.returns[row]!;
          valueSum += diff * diff / b;
          dValues[i] = config.vfCoef * 2 * diff / b;
        }
        const gradsActor = net.actor.backward(a.cache, tf.tensor2d(dLogits, [b, k]));
        const gradsCritic = net.critic.backward(c.cache, tf.tensor2d(dValues, [b, 1]));
        net.optimizer.step([...gradsActor, ...gradsCritic]);
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
}

/**
 * Trains PPO on `envName` with `numEnvs` environments stepped in lockstep (a plain array,
 * auto-reset as SB3's `DummyVecEnv`), evaluating greedily, and writes the run folder
 * (`method: "ppo"`) when `outDir` is given. Call `setupBackend()` first.
 *
 * @example
 * ```ts
 * await setupBackend();
 * const result = await trainPPO({ seed: 0, maxSteps: 100_000, outDir: "data/runs" });
 * console.log(result.stepsToSolve);
 * ```
 * @throws {RangeError} on non-positive sizes or a budget smaller than one rollout.
 */
export async function trainPPO(options: TrainPpoOptions): Promise<PpoResult> {
  const config: PpoConfig = { ...PPO_ZOO_CARTPOLE, ...options.config };
  checkOptions(options.maxSteps ?? 100_000, options.evalEvery ?? 1024, config);
  const run = new BaselineRun("ppo", { ...options, config });
  const { envName, maxSteps, evalEvery, root } = run;

  // Seeding in one place: each consumer gets its own named stream.
  const envs: Env[] = Array.from(
    { length: config.numEnvs },
    (_, e) => makeEnv(envName, { rng: root.stream(`env${e}`) }),
  );
  const actionRng = root.stream("actions");
  const minibatchRng = root.stream("minibatch");
  const first = envs[0]!;
  if (first.actionSpace.kind !== "discrete") {
    throw new TypeError(`Expected a discrete action space for PPO but found ${envName}`);
  }
  const obsDim = first.observationSpace.shape[0]!;
  const k = first.actionSpace.n;
  const net = makeActorCritic(obsDim, k, { config, rng: root.stream("init") });

  const greedy = (observations: Float32Array, n: number): Int32Array =>
    argmaxRows(policyOutputs(net, observations, n).logits, n, k);

  const E = config.numEnvs;
  const T = config.nSteps;
  const n = E * T;
  const obs = new Float32Array(E * obsDim);
  envs.forEach((env, e) => obs.set(env.reset().observation, e * obsDim));
  const episodeStarts = new Uint8Array(E).fill(1);
  const epReturn = new Float64Array(E);
  const epLength = new Int32Array(E);
  const probs = new Float64Array(k);
  const updates: PpoResult["updates"] = [];
  let envSteps = 0;

  while (envSteps + n <= maxSteps) {
    // 1. Collect a rollout of nSteps from every env with the current stochastic policy.
    const rollout: PpoRollout = {
      n,
      obsDim,
      observations: new Float32Array(n * obsDim),
      actions: new Int32Array(n),
      logProbs: new Float32Array(n),
      advantages: new Float32Array(n),
      returns: new Float32Array(n),
    };
    const rewards = new Float32Array(n);
    const values = new Float32Array(n);
    const starts = new Uint8Array(n);
    for (let t = 0; t < T; t++) {
      const out = policyOutputs(net, obs, E);
      for (let e = 0; e < E; e++) {
        const row = t * E + e;
        const lse = softmaxRow(out.logits, e, k, probs);
        let action = 0;
        let u = actionRng.uniform();
        while (action < k - 1 && u >= probs[action]!) u -= probs[action++]!;
        rollout.observations.set(obs.subarray(e * obsDim, (e + 1) * obsDim), row * obsDim);
        rollout.actions[row] = action;
        rollout.logProbs[row] = out.logits[e * k + action]! - lse;
        values[row] = out.values[e]!;
        starts[row] = episodeStarts[e]!;
        const step = envs[e]!.step(action);
        let reward = step.reward;
        epReturn[e]! += step.reward;
        epLength[e]! += 1;
        if (step.truncated && !step.terminated) {
          // Time limit, not a terminal state: bootstrap from the final observation (SB3).
          const finalValue = policyOutputs(net, step.observation, 1).values[0]!;
          reward += config.gamma * finalValue;
        }
        rewards[row] = reward;
        const done = step.terminated || step.truncated;
        episodeStarts[e] = done ? 1 : 0;
        if (done) {
          run.episode(envSteps + (t + 1) * E, epReturn[e]!, epLength[e]!);
          epReturn[e] = 0;
          epLength[e] = 0;
          obs.set(envs[e]!.reset().observation, e * obsDim);
        } else {
          obs.set(step.observation, e * obsDim);
        }
      }
    }
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

    // 3. Update with the linearly decaying learning rate and clip range (SB3 progress).
    const remaining = Math.max(0, 1 - envSteps / config.scheduleTotalSteps);
    net.optimizer.learningRate = Math.max(config.learningRate * remaining, 1e-12);
    const stats = ppoUpdate(net, rollout, {
      config,
      clipRange: config.clipRange * remaining,
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
  net.actor.dispose();
  net.critic.dispose();
  net.optimizer.dispose();
  return { ...summary, runDir: run.writer?.dir ?? null, updates, evals: run.evals };
}
