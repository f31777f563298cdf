/**
 * Soft Actor-Critic (Haarnoja et al., 2018, with the learned temperature of "SAC: Algorithms
 * and Applications", 2019) on TensorFlow.js, written to be read top to bottom, with the settings
 * of RL Baselines3 Zoo (`hyperparams/sac.yml`) for each continuous-action env: see
 * {@linkcode SAC_ZOO_PRESETS} in `zoo_presets.ts`, where every value is cited.
 *
 * Semantics follow Stable-Baselines3's `SAC` (https://github.com/DLR-RM/stable-baselines3,
 * `stable_baselines3/sac/sac.py`, `sac/policies.py`, `common/distributions.py`):
 * - the actor is a ReLU MLP whose last layer gives a mean and a log-std per action dimension
 *   (one `[hidden, 2A]` layer is SB3's two `[hidden, A]` heads side by side); the log-std is
 *   clamped to [-20, 2]; an action is `tanh(mean + std * noise)` (reparameterised), with
 *   log-probability `log N(u; mean, std) - sum log(1 - tanh(u)^2 + 1e-6)`;
 * - twin ReLU critics `Q_k(s, a)` on the concatenated observation and action, each with a
 *   target copy updated by Polyak averaging `target = (1 - tau) target + tau online` every
 *   `targetUpdateInterval` gradient steps;
 * - per gradient step, in SB3's order: sample the current policy at `s`; update the temperature
 *   (when learned) by descending `-log(alpha) * (log pi + targetEntropy)`, target entropy `-|A|`;
 *   update both critics on `0.5 * sum_k mean((Q_k(s, a) - y)^2)` with
 *   `y = r + gamma (1 - terminated) (min_k Q'_k(s', a') - alpha log pi(a'|s'))`; then the actor
 *   on `mean(alpha log pi(a|s) - min_k Q_k(s, a))` through the just-updated critics; alpha is
 *   the value before this step's temperature update throughout (SB3 detaches it);
 * - random uniform actions for the first `learningStarts` steps, then policy samples; every
 *   `trainFreq` env steps past `learningStarts`, `gradientSteps` updates on uniform minibatches;
 * - actions live in [-1, 1] (buffer, networks) and are rescaled to the env's Box bounds only
 *   when stepping the env; evaluation uses the deterministic action `tanh(mean)`;
 * - only `terminated` stops bootstrapping (SB3's `handle_timeout_termination`).
 *
 * gSDE: the Zoo's MountainCarContinuous-v0 entry sets `use_sde: True` (generalised
 * state-dependent exploration). We do not implement gSDE. In its place the preset uses the
 * Zoo's documented alternative for this env, Ornstein-Uhlenbeck action noise with standard
 * deviation 0.5 (the Zoo's `td3.yml` MountainCarContinuous-v0 entry, `noise_type:
 * 'ornstein-uhlenbeck'`, `noise_std: 0.5`; the same noise is what made SAC work on this env in
 * the Zoo before gSDE, per its author in rail-berkeley/softlearning#76), added to the policy's
 * action and clipped to [-1, 1] as SB3 does with `action_noise`. Why: gSDE's noise is a random
 * linear map of the actor's last hidden features with its own learned log-std and its own
 * log-probability; it would double the actor's gradient code for one env, while the external
 * noise is a few lines and is the Zoo's own answer to the same exploration problem. The gSDE
 * entry's `log_std_init: -3.67` has no meaning without gSDE and is not used.
 *
 * Gradients: all loss gradients w.r.t. network outputs (and the critics' gradient w.r.t. their
 * action input, for the actor) are arranged by hand and pushed through {@linkcode Mlp.backward}
 * or the plain-matMul input gradient below, never through tfjs's dense-layer gradients (4-5x
 * slower on wasm). `tests/agents/sac_test.ts` checks them against `tf.variableGrads`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ReplayBuffer } from "../buffer/replay_buffer.ts";
import type { TransitionBatch } from "../buffer/types.ts";
import { envMetadata, makeEnv } from "../envs/mod.ts";
import type { EnvId } from "../envs/types.ts";
import { Adam } from "../nn/adam.ts";
import { Mlp, type MlpCache } from "../nn/mlp.ts";
import type { RunSummary } from "../run_folder.ts";
import type { Rng } from "../rng.ts";
import { assertPositiveIntegers, BaselineRun, type BaselineRunOptions } from "./baseline_run.ts";
import { presetFor, SAC_ZOO_PRESETS } from "./zoo_presets.ts";

/**
 * SAC hyperparameters. The `@default`s are Stable-Baselines3's `SAC` defaults; a run starts
 * from its env's entry in {@linkcode SAC_ZOO_PRESETS} (which fills every field).
 */
export interface SacConfig {
  /** Adam step size of actor, critics and temperature (SB3 `learning_rate: 3e-4`). @default {3e-4} */
  learningRate: number;
  /** Replay capacity (SB3 `buffer_size: 1_000_000`). @default {1000000} */
  bufferSize: number;
  /** Uniform random steps before the policy acts (SB3 `learning_starts: 100`). @default {100} */
  learningStarts: number;
  /** Minibatch size (SB3 `batch_size: 256`). @default {256} */
  batchSize: number;
  /** Polyak coefficient of the target critics (SB3 `tau: 0.005`). @default {0.005} */
  tau: number;
  /** Discount (SB3 `gamma: 0.99`). @default {0.99} */
  gamma: number;
  /** Env steps between training rounds (SB3 `train_freq: 1`). @default {1} */
  trainFreq: number;
  /** Gradient steps per training round (SB3 `gradient_steps: 1`). @default {1} */
  gradientSteps: number;
  /**
   * Entropy temperature alpha: `"auto"` learns it (SB3 `ent_coef: "auto"`), a number fixes it.
   * @default {"auto"}
   */
  entCoef: "auto" | number;
  /** Initial alpha when learned (SB3's `"auto"` starts at 1.0). @default {1} */
  entCoefInit: number;
  /** Target entropy when alpha is learned; `"auto"` is `-|A|` (SB3). @default {"auto"} */
  targetEntropy: "auto" | number;
  /** Gradient steps between Polyak updates (SB3 `target_update_interval: 1`). @default {1} */
  targetUpdateInterval: number;
  /** Hidden layers of the actor and of each critic (SB3's SAC `net_arch: [256, 256]`, ReLU). @default {[256, 256]} */
  hiddenSizes: number[];
  /** Adam epsilon (PyTorch's default, which SB3's SAC uses). @default {1e-8} */
  adamEpsilon: number;
  /**
   * Standard deviation of Ornstein-Uhlenbeck action noise added to the policy's [-1, 1] action
   * during training (SB3 `OrnsteinUhlenbeckActionNoise`, theta 0.15, dt 0.01, reset at episode
   * ends); 0 disables it (SB3's default: no action noise). @default {0}
   */
  ouNoiseStd: number;
}

/** SB3's clamp of the actor's log-std (`LOG_STD_MIN`, `LOG_STD_MAX`). */
const LOG_STD_MIN = -20;
const LOG_STD_MAX = 2;
/** SB3's `TanhBijector` epsilon in `log(1 - tanh(u)^2 + eps)`. */
const TANH_EPS = 1e-6;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Options of {@linkcode trainSAC}: the shared ones, with `seed` feeding env resets, action
 * noise, buffer sampling and initial weights. `envName` must have a SAC preset
 * (Pendulum-v1, the default, or MountainCarContinuous-v0); `maxSteps` defaults to the preset's
 * Zoo budget. Evaluations run when the step count reaches a multiple of `evalEvery`.
 */
export interface TrainSacOptions extends BaselineRunOptions {
  /** Overrides of single fields of the env's Zoo preset. @default {SAC_ZOO_PRESETS[envName].config} */
  config?: Partial<SacConfig>;
}

/** What {@linkcode trainSAC} returns: the run summary plus the run folder and histories. */
export interface SacResult extends RunSummary {
  /** The run folder, or `null` when nothing was written. */
  runDir: string | null;
  /** Per training round: env steps and the round's mean losses and alpha. */
  updates: SacRoundStats[];
  /** Evaluation means, in order, with their env steps. */
  evals: { envSteps: number; mean: number }[];
}

/** Mean losses of one training round (its `gradientSteps` updates). */
export interface SacRoundStats {
  envSteps: number;
  criticLoss: number;
  actorLoss: number;
  /** The temperature used in the round's last update. */
  alpha: number;
}

/** The networks and optimisers of one SAC agent. */
export interface SacNetworks {
  /** `[obs, ...hidden, 2A]`: columns `[0, A)` the mean, `[A, 2A)` the unclamped log-std. */
  actor: Mlp;
  /** The twin critics `[obs + A, ...hidden, 1]`. */
  critics: [Mlp, Mlp];
  /** Their Polyak-averaged copies. */
  targets: [Mlp, Mlp];
  actorOptimizer: Adam;
  /** One Adam over both critics' parameters (SB3's `critic.optimizer`). */
  criticOptimizer: Adam;
  /** `log(alpha)` when the temperature is learned, else `null`. */
  logAlpha: tf.Variable | null;
  alphaOptimizer: Adam | null;
  /** The fixed temperature when not learned. */
  fixedAlpha: number;
  /** The entropy target (used when learned). */
  targetEntropy: number;
  /** Action dimension `A`. */
  actionDim: number;
}

/**
 * Builds the actor, twin critics, target copies and optimisers with PyTorch's default
 * initialisation (SB3's SAC uses it), each network from its own named stream of `rng`.
 *
 * @example
 * ```ts
 * import { disposeSacNetworks, makeSacNetworks } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * const config = SAC_ZOO_PRESETS["Pendulum-v1"].config;
 * const nets = makeSacNetworks(3, 1, { config, rng: new Rng(0) });
 * disposeSacNetworks(nets);
 * ```
 */
export function makeSacNetworks(
  obsDim: number,
  actionDim: number,
  options: { config: Readonly<SacConfig>; rng: Rng },
): SacNetworks {
  const { config, rng } = options;
  const common = { activation: "relu" as const, init: "torch" as const };
  const actor = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, 2 * actionDim],
    ...common,
    rng: rng.stream("actor"),
  });
  const critics = [0, 1].map((k) =>
    new Mlp({
      layerSizes: [obsDim + actionDim, ...config.hiddenSizes, 1],
      ...common,
      rng: rng.stream(`critic${k}`),
    })
  ) as [Mlp, Mlp];
  const targets = critics.map((c) => c.clone()) as [Mlp, Mlp];
  const adam = { learningRate: config.learningRate, epsilon: config.adamEpsilon };
  const learned = config.entCoef === "auto";
  const logAlpha = learned
    ? tf.tidy(() => tf.variable(tf.scalar(Math.log(config.entCoefInit)), true))
    : null;
  return {
    actor,
    critics,
    targets,
    actorOptimizer: new Adam(actor.variables, adam),
    criticOptimizer: new Adam([...critics[0].variables, ...critics[1].variables], adam),
    logAlpha,
    alphaOptimizer: logAlpha === null ? null : new Adam([logAlpha], adam),
    fixedAlpha: learned ? Number.NaN : config.entCoef as number,
    targetEntropy: config.targetEntropy === "auto" ? -actionDim : config.targetEntropy,
    actionDim,
  };
}

/**
 * Frees every network, target and optimiser of `nets` (safe to call twice).
 *
 * @example
 * ```ts
 * import { disposeSacNetworks, makeSacNetworks } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * const nets = makeSacNetworks(3, 1, { config: SAC_ZOO_PRESETS["Pendulum-v1"].config, rng: new Rng(0) });
 * disposeSacNetworks(nets);
 * ```
 */
export function disposeSacNetworks(nets: SacNetworks): void {
  for (const net of [nets.actor, ...nets.critics, ...nets.targets]) net.dispose();
  nets.actorOptimizer.dispose();
  nets.criticOptimizer.dispose();
  nets.alphaOptimizer?.dispose();
  if (nets.logAlpha !== null && !nets.logAlpha.isDisposed) nets.logAlpha.dispose();
}

/**
 * The temperature now: `exp(logAlpha)` when learned, else the fixed value.
 *
 * @example
 * ```ts
 * import { makeSacNetworks, sacAlpha } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * const nets = makeSacNetworks(3, 1, { config: SAC_ZOO_PRESETS["Pendulum-v1"].config, rng: new Rng(0) });
 * sacAlpha(nets); // 1: SB3's "auto" starts at 1.0
 * ```
 */
export function sacAlpha(nets: SacNetworks): number {
  return nets.logAlpha === null ? nets.fixedAlpha : Math.exp(nets.logAlpha.dataSync()[0]!);
}

/** A reparameterised squashed-Gaussian sample for `n` rows and what its gradients need. */
interface SquashedSample {
  /** `tanh(u)`, `[n * A]`. */
  action: Float32Array;
  /** `log pi(action | s)`, `[n]`. */
  logProb: Float64Array;
  /** `std * noise` per element (`du / dlogStd`). */
  spread: Float64Array;
  /** 1 where the raw log-std lies inside the clamp (its gradient passes), else 0. */
  inClamp: Uint8Array;
}

/** Samples `tanh(mean + std * noise)` from actor outputs `out` (`[n * 2A]`). */
function squash(out: ArrayLike<number>, noise: ArrayLike<number>, n: number, A: number) {
  const sample: SquashedSample = {
    action: new Float32Array(n * A),
    logProb: new Float64Array(n),
    spread: new Float64Array(n * A),
    inClamp: new Uint8Array(n * A),
  };
  for (let i = 0; i < n; i++) {
    let logProb = 0;
    for (let j = 0; j < A; j++) {
      const raw = out[i * 2 * A + A + j]!;
      const logStd = Math.min(Math.max(raw, LOG_STD_MIN), LOG_STD_MAX);
      const eps = noise[i * A + j]!;
      const spread = Math.exp(logStd) * eps;
      const a = Math.tanh(out[i * 2 * A + j]! + spread);
      sample.action[i * A + j] = a;
      sample.spread[i * A + j] = spread;
      sample.inClamp[i * A + j] = raw >= LOG_STD_MIN && raw <= LOG_STD_MAX ? 1 : 0;
      logProb += -0.5 * eps * eps - logStd - HALF_LOG_2PI - Math.log(1 - a * a + TANH_EPS);
    }
    sample.logProb[i] = logProb;
  }
  return sample;
}

/** The deterministic action `tanh(mean)` of actor outputs `out` (`[n * 2A]`), `[n * A]`. */
function meanAction(out: ArrayLike<number>, n: number, A: number): Float32Array {
  const action = new Float32Array(n * A);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < A; j++) action[i * A + j] = Math.tanh(out[i * 2 * A + j]!);
  }
  return action;
}

/**
 * `dLoss/dInput` of a ReLU (or linear) `mlp` from its cache and `dOutput`, arranged as plain
 * matMuls with explicit transposes (the input gradient {@linkcode Mlp.backward} does not return).
 */
function inputGradient(mlp: Mlp, cache: MlpCache, dOutput: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let dz: tf.Tensor2D = dOutput;
    for (let l = mlp.numLayers - 1; l >= 0; l--) {
      const dh = tf.matMul(dz, tf.transpose(mlp.variables[2 * l]!)) as tf.Tensor2D;
      if (l === 0) return dh;
      dz = mlp.activation === "relu" ? tf.mul(dh, tf.step(cache.inputs[l]!)) : dh;
    }
    return dz;
  });
}

/** The critic's input rows `[s, a]`. */
function criticInput(states: tf.Tensor2D, actions: Float32Array, A: number): tf.Tensor2D {
  return tf.concat([states, tf.tensor2d(actions, [states.shape[0], A])], 1);
}

/**
 * The twin critics' loss `0.5 * sum_k mean((Q_k(s, a) - y)^2)` on `batch` and its gradients
 * w.r.t. `[...critics[0].variables, ...critics[1].variables]` (caller disposes them). The
 * targets' next actions use `nextNoise` (`[n * A]` standard normals) and temperature `alpha`.
 *
 * @example
 * ```ts
 * import { makeSacNetworks, sacCriticGradients } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * import * as tf from "@tensorflow/tfjs";
 * const config = SAC_ZOO_PRESETS["Pendulum-v1"].config;
 * const nets = makeSacNetworks(3, 1, { config, rng: new Rng(0) });
 * const batch = {
 *   size: 2, stateDim: 3, actionDim: 1,
 *   states: new Float32Array(6), nextStates: new Float32Array(6), actions: new Float32Array(2),
 *   rewards: new Float32Array(2), terminated: new Uint8Array(2), truncated: new Uint8Array(2),
 * };
 * const { loss, grads } = sacCriticGradients(nets, batch, new Float32Array(2), 0.2, 0.99);
 * tf.dispose(grads);
 * ```
 */
export function sacCriticGradients(
  nets: SacNetworks,
  batch: TransitionBatch,
  nextNoise: Float32Array,
  alpha: number,
  gamma: number,
): { loss: number; grads: tf.Tensor[] } {
  const n = batch.size;
  const A = nets.actionDim;
  return tf.tidy(() => {
    const s = tf.tensor2d(batch.states, [n, batch.stateDim]);
    const s2 = tf.tensor2d(batch.nextStates, [n, batch.stateDim]);
    // y = r + gamma (1 - terminated) (min_k Q'_k(s', a') - alpha log pi(a'|s')), no gradient.
    const next = squash(nets.actor.forward(s2).dataSync(), nextNoise, n, A);
    const x2 = criticInput(s2, next.action, A);
    const q1Next = nets.targets[0].forward(x2).dataSync();
    const q2Next = nets.targets[1].forward(x2).dataSync();
    const x = criticInput(s, batch.actions, A);
    const c1 = nets.critics[0].forwardWithCache(x);
    const c2 = nets.critics[1].forwardWithCache(x);
    const q1 = c1.output.dataSync();
    const q2 = c2.output.dataSync();
    const d1 = new Float32Array(n);
    const d2 = new Float32Array(n);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const soft = Math.min(q1Next[i]!, q2Next[i]!) - alpha * next.logProb[i]!;
      const y = batch.rewards[i]! + (batch.terminated[i] ? 0 : gamma * soft);
      const e1 = q1[i]! - y;
      const e2 = q2[i]! - y;
      loss += 0.5 * (e1 * e1 + e2 * e2) / n;
      // d/dQ_k of 0.5 * mean((Q_k - y)^2) is (Q_k - y) / n.
      d1[i] = e1 / n;
      d2[i] = e2 / n;
    }
    const grads = [
      ...nets.critics[0].backward(c1.cache, tf.tensor2d(d1, [n, 1])),
      ...nets.critics[1].backward(c2.cache, tf.tensor2d(d2, [n, 1])),
    ];
    return { loss, grads };
  });
}

/** The actor's forward pass and squashed sample at `states`, kept for its later update. */
interface ActorPass {
  states: tf.Tensor2D;
  cache: MlpCache;
  sample: SquashedSample;
}

function actorPass(nets: SacNetworks, states: tf.Tensor2D, noise: Float32Array): ActorPass {
  const { output, cache } = nets.actor.forwardWithCache(states);
  const sample = squash(output.dataSync(), noise, states.shape[0], nets.actionDim);
  return { states, cache, sample };
}

/**
 * The actor loss `mean(alpha log pi(a|s) - min_k Q_k(s, a))` of a pass and its gradients
 * w.r.t. the actor's variables. With `u = mean + std * noise`, `a = tanh(u)` and
 * `g = 2a(1 - a^2) / (1 - a^2 + 1e-6)` (the derivative of `-log(1 - a^2 + 1e-6)` w.r.t. `u`):
 * `dlogpi/dmean = g`, `dlogpi/dlogStd = -1 + g * std * noise`, and `dQ/du = dQ/da * (1 - a^2)`.
 */
function actorGradients(
  nets: SacNetworks,
  pass: ActorPass,
  alpha: number,
): { loss: number; grads: tf.Tensor[] } {
  const { states, cache, sample } = pass;
  const n = states.shape[0];
  const A = nets.actionDim;
  const obsDim = states.shape[1];
  return tf.tidy(() => {
    const x = criticInput(states, sample.action, A);
    const f1 = nets.critics[0].forwardWithCache(x);
    const f2 = nets.critics[1].forwardWithCache(x);
    const q1 = f1.output.dataSync();
    const q2 = f2.output.dataSync();
    // The gradient of min(q1, q2) goes to the smaller one (q1 on ties, as tf.minimum).
    const w1 = new Float32Array(n);
    const w2 = new Float32Array(n);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const first = q1[i]! <= q2[i]!;
      (first ? w1 : w2)[i] = -1 / n;
      loss += (alpha * sample.logProb[i]! - (first ? q1[i]! : q2[i]!)) / n;
    }
    const dx = tf.add(
      inputGradient(nets.critics[0], f1.cache, tf.tensor2d(w1, [n, 1])),
      inputGradient(nets.critics[1], f2.cache, tf.tensor2d(w2, [n, 1])),
    );
    const dAction = tf.slice(dx, [0, obsDim], [n, A]).dataSync();
    const dOut = new Float32Array(n * 2 * A);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < A; j++) {
        const k = i * A + j;
        const a = sample.action[k]!;
        const oneMinusSq = 1 - a * a;
        const g = 2 * a * oneMinusSq / (oneMinusSq + TANH_EPS);
        const dU = dAction[k]! * oneMinusSq; // from -min Q (already divided by n)
        dOut[i * 2 * A + j] = alpha * g / n + dU;
        const dLogStd = alpha * (-1 + g * sample.spread[k]!) / n + dU * sample.spread[k]!;
        dOut[i * 2 * A + A + j] = sample.inClamp[k] ? dLogStd : 0;
      }
    }
    return { loss, grads: nets.actor.backward(cache, tf.tensor2d(dOut, [n, 2 * A])) };
  });
}

/**
 * {@linkcode actorGradients} from scratch: the actor loss at `states` (`[n * obsDim]`) with
 * `noise` (`[n * A]` standard normals) and temperature `alpha`, and its gradients w.r.t. the
 * actor's variables (caller disposes them).
 *
 * @example
 * ```ts
 * import { makeSacNetworks, sacActorGradients } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * import * as tf from "@tensorflow/tfjs";
 * const config = SAC_ZOO_PRESETS["Pendulum-v1"].config;
 * const nets = makeSacNetworks(3, 1, { config, rng: new Rng(0) });
 * const { grads } = sacActorGradients(nets, new Float32Array(6), new Float32Array(2), 0.2);
 * tf.dispose(grads);
 * ```
 */
export function sacActorGradients(
  nets: SacNetworks,
  states: Float32Array,
  noise: Float32Array,
  alpha: number,
): { loss: number; grads: tf.Tensor[]; logProb: Float64Array } {
  const obsDim = nets.actor.inputSize;
  const n = states.length / obsDim;
  let logProb: Float64Array = new Float64Array(n);
  const { loss, grads } = tf.tidy(() => {
    const pass = actorPass(nets, tf.tensor2d(states, [n, obsDim]), noise);
    logProb = pass.sample.logProb;
    return actorGradients(nets, pass, alpha);
  });
  return { loss, grads, logProb };
}

/** `target = (1 - tau) target + tau online` for both critics. */
function polyakUpdate(nets: SacNetworks, tau: number): void {
  tf.tidy(() => {
    for (let k = 0; k < 2; k++) {
      const online = nets.critics[k]!.variables;
      nets.targets[k]!.variables.forEach((v, i) => {
        v.assign(tf.add(tf.mul(v, 1 - tau), tf.mul(online[i]!, tau)));
      });
    }
  });
}

/**
 * One SAC gradient step on `batch` in SB3's order (temperature, critics, actor; the Polyak
 * update is the caller's), drawing the policy noise from `rng`. Returns the losses and the
 * alpha used.
 *
 * @example
 * ```ts
 * import { makeSacNetworks, sacGradientStep } from "./sac.ts";
 * import { SAC_ZOO_PRESETS } from "./zoo_presets.ts";
 * import { Rng } from "../rng.ts";
 * const config = SAC_ZOO_PRESETS["Pendulum-v1"].config;
 * const nets = makeSacNetworks(3, 1, { config, rng: new Rng(0) });
 * const batch = {
 *   size: 2, stateDim: 3, actionDim: 1,
 *   states: new Float32Array(6), nextStates: new Float32Array(6), actions: new Float32Array(2),
 *   rewards: new Float32Array(2), terminated: new Uint8Array(2), truncated: new Uint8Array(2),
 * };
 * const { criticLoss } = sacGradientStep(nets, batch, { gamma: 0.99, rng: new Rng(1) });
 * ```
 */
export function sacGradientStep(
  nets: SacNetworks,
  batch: TransitionBatch,
  options: { gamma: number; rng: Rng },
): { criticLoss: number; actorLoss: number; alpha: number } {
  const n = batch.size;
  const A = nets.actionDim;
  const noise = options.rng.fillNormal(new Float32Array(n * A));
  const nextNoise = options.rng.fillNormal(new Float32Array(n * A));
  return tf.tidy(() => {
    // 1. Sample the current policy at s (its log-probs feed the temperature and the actor).
    const pass = actorPass(nets, tf.tensor2d(batch.states, [n, batch.stateDim]), noise);
    const alpha = sacAlpha(nets);
    // 2. Temperature: d/dlogAlpha of -mean(logAlpha (log pi + target)) = -mean(log pi + target).
    if (nets.logAlpha !== null && nets.alphaOptimizer !== null) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += pass.sample.logProb[i]! + nets.targetEntropy;
      nets.alphaOptimizer.step([tf.scalar(-sum / n)]);
    }
    // 3. Critics, with the alpha from before the temperature step.
    const critic = sacCriticGradients(nets, batch, nextNoise, alpha, options.gamma);
    nets.criticOptimizer.step(critic.grads);
    // 4. Actor, through the updated critics.
    const actor = actorGradients(nets, pass, alpha);
    nets.actorOptimizer.step(actor.grads);
    return { criticLoss: critic.loss, actorLoss: actor.loss, alpha };
  });
}

/** SB3's `OrnsteinUhlenbeckActionNoise` (mean 0, theta 0.15, dt 0.01) for `A` dimensions. */
class OuNoise {
  #state: Float64Array;
  #std: number;
  #rng: Rng;

  constructor(A: number, std: number, rng: Rng) {
    this.#state = new Float64Array(A);
    this.#std = std;
    this.#rng = rng;
  }

  /** The next noise vector: `x += theta (0 - x) dt + std sqrt(dt) N(0, 1)`. */
  next(): Float64Array {
    const theta = 0.15;
    const dt = 1e-2;
    for (let j = 0; j < this.#state.length; j++) {
      this.#state[j] = this.#state[j]! - theta * this.#state[j]! * dt +
        this.#std * Math.sqrt(dt) * this.#rng.normal();
    }
    return this.#state;
  }

  /** Back to zero (SB3 resets at episode ends). */
  reset(): void {
    this.#state.fill(0);
  }
}

function checkConfig(maxSteps: number, evalEvery: number, config: Readonly<SacConfig>): void {
  assertPositiveIntegers([
    ["maxSteps", maxSteps],
    ["evalEvery", evalEvery],
    ["batchSize", config.batchSize],
    ["bufferSize", config.bufferSize],
    ["trainFreq", config.trainFreq],
    ["gradientSteps", config.gradientSteps],
    ["targetUpdateInterval", config.targetUpdateInterval],
  ]);
  if (!Number.isSafeInteger(config.learningStarts) || config.learningStarts < 0) {
    throw new RangeError(
      `Expected learningStarts to be a non-negative integer but found ${config.learningStarts}`,
    );
  }
  if (!(config.tau > 0 && config.tau <= 1)) {
    throw new RangeError(`Expected tau to be in (0, 1] but found ${config.tau}`);
  }
  if (config.entCoef !== "auto" && !(config.entCoef >= 0)) {
    throw new RangeError(`Expected entCoef to be "auto" or >= 0 but found ${config.entCoef}`);
  }
  if (!(config.entCoefInit > 0)) {
    throw new RangeError(`Expected entCoefInit to be positive but found ${config.entCoefInit}`);
  }
  if (!(config.ouNoiseStd >= 0)) {
    throw new RangeError(`Expected ouNoiseStd to be >= 0 but found ${config.ouNoiseStd}`);
  }
}

/**
 * Trains SAC on `envName` (a one-dimensional Box action space with a SAC preset) for
 * `maxSteps` env steps, evaluating the deterministic policy every `evalEvery` steps, and
 * writes the run folder (`method: "sac"`) when `outDir` is given. The networks and optimisers
 * are freed when it returns or throws. Call `setupBackend()` first.
 *
 * @example
 * ```ts
 * import { trainSAC } from "./sac.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const result = await trainSAC({ envName: "Pendulum-v1", seed: 0, maxSteps: 2_000 });
 * console.log(result.finalEvalMean);
 * ```
 * @throws {RangeError} on non-positive step counts or sizes, or an env without a SAC preset.
 */
export async function trainSAC(options: TrainSacOptions): Promise<SacResult> {
  const envName: EnvId = options.envName ?? "Pendulum-v1";
  const preset = presetFor(SAC_ZOO_PRESETS, "SAC", envName);
  const config: SacConfig = { ...preset.config, ...options.config };
  const maxSteps = options.maxSteps ?? preset.nTimesteps;
  checkConfig(maxSteps, options.evalEvery ?? 1024, config);
  const space = envMetadata(envName).actionSpace;
  if (space.kind !== "box" || space.shape.length !== 1 || space.shape[0] !== 1) {
    throw new TypeError(`Expected a one-dimensional Box action space for SAC but found ${envName}`);
  }
  const run = new BaselineRun("sac", {
    ...options,
    envName,
    maxSteps,
    config,
  });
  const { evalEvery, root } = run;

  // Seeding in one place: each consumer gets its own named stream.
  const trainEnv = makeEnv(envName, { rng: root.stream("env") });
  const actRng = root.stream("act");
  const trainRng = root.stream("train");
  const obsDim = trainEnv.observationSpace.shape[0]!;
  const A = 1;
  const low = space.low[0]!;
  const high = space.high[0]!;
  /** [-1, 1] -> the env's bounds (SB3's `unscale_action`). */
  const rescale = (a: number) => low + 0.5 * (a + 1) * (high - low);
  const buffer = new ReplayBuffer(config.bufferSize, {
    stateDim: obsDim,
    actionDim: A,
    rng: root.stream("buffer"),
  });
  const noise = config.ouNoiseStd > 0 ? new OuNoise(A, config.ouNoiseStd, root.stream("ou")) : null;
  const nets = makeSacNetworks(obsDim, A, { config, rng: root.stream("init") });

  /** Actor outputs for `n` observations, `[n * 2A]`. */
  const actorOut = (observations: Float32Array, n: number): Float32Array => {
    const out = tf.tidy(() => nets.actor.forward(tf.tensor2d(observations, [n, obsDim])));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return values;
  };
  const deterministic = (observations: Float32Array, n: number): Float32Array =>
    meanAction(actorOut(observations, n), n, A).map(rescale);

  const updates: SacRoundStats[] = [];
  let episodeReturn = 0;
  let episodeLength = 0;
  let obs = trainEnv.reset().observation;
  let step = 0;
  try {
    while (step < maxSteps) {
      // 1. Act: uniform in [-1, 1] before learningStarts, then a policy sample (+ OU noise).
      let action: number;
      if (step < config.learningStarts) {
        action = 2 * actRng.uniform() - 1;
      } else {
        const eps = new Float32Array([actRng.normal()]);
        action = squash(actorOut(obs, 1), eps, 1, A).action[0]!;
        if (noise !== null) action = Math.min(Math.max(action + noise.next()[0]!, -1), 1);
      }
      const result = trainEnv.step(rescale(action));
      step += 1;
      buffer.add({
        state: obs,
        action,
        nextState: result.observation,
        reward: result.reward,
        terminated: result.terminated,
        truncated: result.truncated,
      });
      episodeReturn += result.reward;
      episodeLength += 1;
      obs = result.observation;
      if (result.terminated || result.truncated) {
        run.episode(step, episodeReturn, episodeLength);
        episodeReturn = 0;
        episodeLength = 0;
        obs = trainEnv.reset().observation;
        noise?.reset();
      }

      // 2. Learn: gradientSteps updates every trainFreq env steps once past learningStarts.
      if (step % config.trainFreq === 0 && step > config.learningStarts) {
        let criticSum = 0;
        let actorSum = 0;
        let alpha = 0;
        for (let g = 0; g < config.gradientSteps; g++) {
          const stats = sacGradientStep(nets, buffer.sample(config.batchSize), {
            gamma: config.gamma,
            rng: trainRng,
          });
          criticSum += stats.criticLoss;
          actorSum += stats.actorLoss;
          alpha = stats.alpha;
          // SB3 counts the interval within the round (`gradient_step % target_update_interval`).
          if (g % config.targetUpdateInterval === 0) polyakUpdate(nets, config.tau);
        }
        updates.push({
          envSteps: step,
          criticLoss: criticSum / config.gradientSteps,
          actorLoss: actorSum / config.gradientSteps,
          alpha,
        });
      }

      // 3. Evaluate the deterministic policy (evaluation steps are not counted in envSteps).
      if (step % evalEvery === 0 || step === maxSteps) {
        const last = updates.at(-1);
        const extra = {
          criticLoss: last?.criticLoss ?? null,
          actorLoss: last?.actorLoss ?? null,
          alpha: last?.alpha ?? null,
        };
        if (await run.evaluate(step, deterministic, extra)) break;
      }
      // 4. Let an interrupt (SIGINT/SIGTERM through `signal`) in between steps.
      if (await run.checkpoint()) break;
    }
    const summary: RunSummary = run.finish(step, { gradientSteps: nets.actorOptimizer.iterations });
    return { ...summary, runDir: run.writer?.dir ?? null, updates, evals: run.evals };
  } finally {
    disposeSacNetworks(nets);
  }
}
