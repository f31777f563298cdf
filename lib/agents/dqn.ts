/**
 * DQN (Mnih et al., 2015) on TensorFlow.js, written to be read top to bottom, with RL
 * Baselines3 Zoo's tuned settings for each discrete-action env it has them for (CartPole-v1,
 * Acrobot-v1, MountainCar-v0) so our numbers can be compared with published ones.
 *
 * The settings: {@linkcode DQN_ZOO_PRESETS} in `zoo_presets.ts` (`hyperparams/dqn.yml` of
 * https://github.com/DLR-RM/rl-baselines3-zoo, every value cited there); the trainer takes the
 * env's entry, `config` overrides single fields, and the budget defaults to the entry's
 * `n_timesteps`. The algorithm's semantics follow Stable-Baselines3's `DQN`
 * (https://github.com/DLR-RM/stable-baselines3, `stable_baselines3/dqn/dqn.py`):
 * - actions are uniformly random until `learningStarts` steps, then epsilon-greedy;
 * - every `trainFreq` env steps (once past `learningStarts`), `gradientSteps` updates, each on
 *   a uniform minibatch from the replay buffer, Huber (smooth L1, delta 1) loss against
 *   `r + gamma * (1 - terminated) * max_a' Q_target(s', a')`, Adam with global gradient-norm
 *   clipping at `maxGradNorm`;
 * - the target network is a copy of the online one, refreshed every `targetUpdateInterval`
 *   env steps (SB3 counts env steps, not gradient steps);
 * - only `terminated` stops bootstrapping: an episode cut by the 500-step time limit is
 *   bootstrapped as if it went on (SB3's `handle_timeout_termination`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ReplayBuffer } from "../buffer/replay_buffer.ts";
import type { TransitionBatch } from "../buffer/types.ts";
import { Adam } from "../nn/adam.ts";
import { Mlp } from "../nn/mlp.ts";
import type { RunSummary } from "../run_folder.ts";
import { makeEnv } from "../envs/mod.ts";
import type { EnvId } from "../envs/types.ts";
import { assertPositiveIntegers, BaselineRun, type BaselineRunOptions } from "./baseline_run.ts";
import { argmaxRows } from "./policy_eval.ts";
import { DQN_ZOO_PRESETS, presetFor } from "./zoo_presets.ts";

/**
 * DQN hyperparameters. The `@default`s shown are the CartPole-v1 preset's; each env's values
 * and their sources are in {@linkcode DQN_ZOO_PRESETS}.
 */
export interface DqnConfig {
  /** Adam step size (Zoo `learning_rate: 2.3e-3`). @default {2.3e-3} */
  learningRate: number;
  /** Minibatch size (Zoo `batch_size: 64`). @default {64} */
  batchSize: number;
  /** Replay capacity (Zoo `buffer_size: 100000`). @default {100000} */
  bufferSize: number;
  /** Random-action steps before learning (Zoo `learning_starts: 1000`). @default {1000} */
  learningStarts: number;
  /** Discount (Zoo `gamma: 0.99`). @default {0.99} */
  gamma: number;
  /** Env steps between target-network copies (Zoo `target_update_interval: 10`). @default {10} */
  targetUpdateInterval: number;
  /** Env steps between training rounds (Zoo `train_freq: 256`). @default {256} */
  trainFreq: number;
  /** Gradient steps per training round (Zoo `gradient_steps: 128`). @default {128} */
  gradientSteps: number;
  /**
   * Fraction of `explorationTotalSteps` over which epsilon falls linearly from
   * `explorationInitialEps` to `explorationFinalEps` (Zoo `exploration_fraction: 0.16`).
   * @default {0.16}
   */
  explorationFraction: number;
  /**
   * The step count the fraction refers to: the Zoo's `n_timesteps: 5e4` for CartPole-v1, kept
   * fixed so a larger budget does not stretch the schedule (epsilon reaches its floor at
   * step 8,000, as in the published run). @default {50000}
   */
  explorationTotalSteps: number;
  /** Epsilon at the start (SB3 default `exploration_initial_eps: 1.0`). @default {1} */
  explorationInitialEps: number;
  /** Epsilon floor (Zoo `exploration_final_eps: 0.04`). @default {0.04} */
  explorationFinalEps: number;
  /** Hidden layers (Zoo `policy_kwargs: dict(net_arch=[256, 256])`, ReLU). @default {[256, 256]} */
  hiddenSizes: number[];
  /** Global gradient-norm clip (SB3 default `max_grad_norm: 10`). @default {10} */
  maxGradNorm: number;
  /** Adam epsilon (PyTorch's default, which SB3 uses for DQN). @default {1e-8} */
  adamEpsilon: number;
}

/** The Zoo's CartPole-v1 DQN settings: `DQN_ZOO_PRESETS["CartPole-v1"].config`. */
export const DQN_ZOO_CARTPOLE: Readonly<DqnConfig> = DQN_ZOO_PRESETS["CartPole-v1"].config;

/**
 * Options of {@linkcode trainDQN}: the shared ones, with `seed` feeding env resets,
 * exploration, buffer sampling and initial weights. `envName` must have a DQN preset
 * (CartPole-v1, the default, Acrobot-v1 or MountainCar-v0); `maxSteps` defaults to its Zoo
 * budget and `solvedThreshold` to the env's. Evaluations run when the step count reaches a
 * multiple of `evalEvery` (a multiple of `trainFreq` keeps them aligned).
 */
export interface TrainDqnOptions extends BaselineRunOptions {
  /** Overrides of single fields of the env's Zoo preset. @default {DQN_ZOO_PRESETS[envName].config} */
  config?: Partial<DqnConfig>;
}

/** What {@linkcode trainDQN} returns: the run summary plus the run folder and loss history. */
export interface DqnResult extends RunSummary {
  /** The run folder, or `null` when nothing was written. */
  runDir: string | null;
  /** Mean Huber loss of each training round, in order. */
  lossHistory: number[];
  /** Evaluation means, in order, with their env steps. */
  evals: { envSteps: number; mean: number }[];
}

/**
 * SB3's linear schedule: epsilon after `step` env steps.
 *
 * @example
 * ```ts
 * import { DQN_ZOO_CARTPOLE, dqnEpsilon } from "./dqn.ts";
 * dqnEpsilon(8_000, DQN_ZOO_CARTPOLE); // 0.04, the floor
 * ```
 */
export function dqnEpsilon(step: number, config: Readonly<DqnConfig>): number {
  const progress = step / (config.explorationFraction * config.explorationTotalSteps);
  if (progress >= 1) return config.explorationFinalEps;
  return config.explorationInitialEps +
    progress * (config.explorationFinalEps - config.explorationInitialEps);
}

function checkOptions(maxSteps: number, evalEvery: number, config: Readonly<DqnConfig>): void {
  assertPositiveIntegers([
    ["maxSteps", maxSteps],
    ["evalEvery", evalEvery],
    ["batchSize", config.batchSize],
    ["bufferSize", config.bufferSize],
    ["trainFreq", config.trainFreq],
    ["gradientSteps", config.gradientSteps],
    ["targetUpdateInterval", config.targetUpdateInterval],
  ]);
}

/**
 * One gradient step on a minibatch; returns the Huber loss before the step as a scalar
 * tensor (the caller disposes it). The gradient of the mean Huber loss w.r.t. the online
 * network's outputs is `clip(Q(s,a) - y, -1, 1) / batch` in the taken action's column and 0
 * elsewhere; the target network only supplies `y`.
 *
 * @example
 * ```ts
 * import { DQN_ZOO_CARTPOLE, dqnGradientStep } from "./dqn.ts";
 * import { ReplayBuffer } from "../buffer/replay_buffer.ts";
 * import { Adam } from "../nn/adam.ts";
 * import { Mlp } from "../nn/mlp.ts";
 * import { Rng } from "../rng.ts";
 * const online = new Mlp({ layerSizes: [4, 64, 2], init: "torch", rng: new Rng(0) });
 * const target = online.clone();
 * const optimizer = new Adam(online.variables, { learningRate: DQN_ZOO_CARTPOLE.learningRate });
 * const buffer = new ReplayBuffer(100, { stateDim: 4, actionDim: 1, rng: new Rng(1) });
 * const state = [0, 0, 0, 0];
 * buffer.add({ state, action: 1, nextState: state, reward: 1, terminated: false, truncated: false });
 * const loss = dqnGradientStep(online, target, optimizer, buffer.sample(64), 0.99);
 * console.log(loss.dataSync()[0]);
 * loss.dispose();
 * ```
 */
export function dqnGradientStep(
  online: Mlp,
  target: Mlp,
  optimizer: Adam,
  batch: TransitionBatch,
  gamma: number,
): tf.Scalar {
  return tf.tidy(() => {
    const n = batch.size;
    const numActions = online.outputSize;
    const states = tf.tensor2d(batch.states, [n, batch.stateDim]);
    const nextStates = tf.tensor2d(batch.nextStates, [n, batch.stateDim]);
    const actions = tf.tensor1d(Int32Array.from(batch.actions), "int32");
    const rewards = tf.tensor1d(batch.rewards);
    const notDone = tf.sub(1, tf.tensor1d(batch.terminated, "float32"));
    // y = r + gamma * (1 - terminated) * max_a' Q_target(s', a'); no gradient flows into y.
    const nextQ = tf.max(target.forward(nextStates), 1);
    const y = tf.add(rewards, tf.mul(tf.mul(notDone, gamma), nextQ));
    const { output, cache } = online.forwardWithCache(states);
    const mask = tf.oneHot(actions, numActions).toFloat();
    const qTaken = tf.sum(tf.mul(output, mask), 1);
    const diff = tf.sub(qTaken, y);
    const absDiff = tf.abs(diff);
    const huber = tf.where(
      tf.lessEqual(absDiff, 1),
      tf.mul(0.5, tf.square(diff)),
      tf.sub(absDiff, 0.5),
    );
    const loss = tf.mean(huber) as tf.Scalar;
    const dOut = tf.mul(mask, tf.expandDims(tf.div(tf.clipByValue(diff, -1, 1), n), 1));
    optimizer.step(online.backward(cache, dOut as tf.Tensor2D));
    return loss;
  });
}

/**
 * Trains DQN on `envName` for `maxSteps` env steps, evaluating greedily every `evalEvery`
 * steps, and writes the run folder (`method: "dqn"`) when `outDir` is given. The networks and
 * the optimiser are freed when it returns or throws. Call `setupBackend()` first.
 *
 * @example
 * ```ts
 * import { trainDQN } from "./dqn.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const result = await trainDQN({ envName: "Acrobot-v1", seed: 0, outDir: "data/runs" });
 * console.log(result.stepsToSolve);
 * ```
 * @throws {RangeError} on non-positive step counts or sizes, or an env without a DQN preset.
 */
export async function trainDQN(options: TrainDqnOptions): Promise<DqnResult> {
  const envName: EnvId = options.envName ?? "CartPole-v1";
  const preset = presetFor(DQN_ZOO_PRESETS, "DQN", envName);
  const config: DqnConfig = { ...preset.config, ...options.config };
  const maxSteps = options.maxSteps ?? preset.nTimesteps;
  checkOptions(maxSteps, options.evalEvery ?? 1024, config);
  const run = new BaselineRun("dqn", {
    ...options,
    envName,
    maxSteps,
    config,
  });
  const { evalEvery, root } = run;

  // Seeding in one place: each consumer gets its own named stream.
  const env = makeEnv(envName, { rng: root.stream("env") });
  const exploreRng = root.stream("explore");
  if (env.actionSpace.kind !== "discrete") {
    throw new TypeError(`Expected a discrete action space for DQN but found ${envName}`);
  }
  const obsDim = env.observationSpace.shape[0]!;
  const numActions = env.actionSpace.n;
  const buffer = new ReplayBuffer(config.bufferSize, {
    stateDim: obsDim,
    actionDim: 1,
    rng: root.stream("buffer"),
  });
  // SB3's QNetwork: ReLU MLP with PyTorch's default (uniform +-1/sqrt(fanIn)) initialisation.
  const online = new Mlp({
    layerSizes: [obsDim, ...config.hiddenSizes, numActions],
    activation: "relu",
    init: "torch",
    rng: root.stream("init"),
  });
  const target = online.clone();
  const optimizer = new Adam(online.variables, {
    learningRate: config.learningRate,
    epsilon: config.adamEpsilon,
    clipNorm: config.maxGradNorm,
  });

  /** Greedy actions for a batch of observations (`[n * obsDim]`). */
  const greedy = (observations: Float32Array, n: number): Int32Array => {
    const q = tf.tidy(() => online.forward(tf.tensor2d(observations, [n, obsDim])));
    const values = q.dataSync();
    q.dispose();
    return argmaxRows(values, n, numActions);
  };

  const lossHistory: number[] = [];
  let episodeReturn = 0;
  let episodeLength = 0;
  let targetStale = false;
  let obs = env.reset().observation;
  let step = 0;
  try {
    while (step < maxSteps) {
      // 1. Act: random before learning starts, then epsilon-greedy on the online network.
      let action: number;
      const epsilon = dqnEpsilon(step, config);
      if (step < config.learningStarts || exploreRng.uniform() < epsilon) {
        action = exploreRng.int(numActions);
      } else {
        action = greedy(obs, 1)[0]!;
      }
      const result = env.step(action);
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
        run.episode(step, episodeReturn, episodeLength, { epsilon });
        episodeReturn = 0;
        episodeLength = 0;
        obs = env.reset().observation;
      }

      // 2. Learn: a burst of gradient steps every trainFreq env steps once past learningStarts.
      if (step % config.trainFreq === 0 && step > config.learningStarts) {
        let lossSum = 0;
        for (let g = 0; g < config.gradientSteps; g++) {
          const loss = dqnGradientStep(
            online,
            target,
            optimizer,
            buffer.sample(config.batchSize),
            config.gamma,
          );
          lossSum += loss.dataSync()[0]!;
          loss.dispose();
        }
        lossHistory.push(lossSum / config.gradientSteps);
        targetStale = true;
      }

      // 3. Target network: copied every targetUpdateInterval env steps (skipped when unchanged).
      if (step % config.targetUpdateInterval === 0 && targetStale) {
        target.copyFrom(online);
        targetStale = false;
      }

      // 4. Evaluate greedily (evaluation steps are not counted in envSteps).
      if (step % evalEvery === 0 || step === maxSteps) {
        const extra = { lossMean: lossHistory.at(-1) ?? null, epsilon };
        if (await run.evaluate(step, greedy, extra)) break;
      }
      // 5. Let an interrupt (SIGINT/SIGTERM through `signal`) in between steps.
      if (await run.checkpoint()) break;
    }

    const summary: RunSummary = run.finish(step, { gradientSteps: optimizer.iterations });
    return { ...summary, runDir: run.writer?.dir ?? null, lossHistory, evals: run.evals };
  } finally {
    online.dispose();
    target.dispose();
    optimizer.dispose();
  }
}
