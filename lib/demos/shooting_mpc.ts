/**
 * Model-predictive control by random shooting, in plain numbers: the teaching version the
 * theory notebook runs with the true dynamics or a least-squares model. The planners the
 * agents use (random shooting, CEM, MPPI on tfjs models) are in `lib/planners/`.
 *
 * @module
 */
import { envMetadata, makeEnv } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { Rng } from "../rng.ts";
import { type EpisodeRecord, playEpisode } from "./episode.ts";
import type { StepPredictor } from "./least_squares_dynamics.ts";

/**
 * The true dynamics as a {@linkcode StepPredictor}: each row is simulated by a private copy of
 * the environment set to that state. Only for envs whose observation is the physical state
 * (CartPole-v1, MountainCar-v0, MountainCarContinuous-v0).
 *
 * @example
 * ```ts
 * const predict = trueStepPredictor("CartPole-v1");
 * ```
 */
export function trueStepPredictor(envId: EnvId): StepPredictor {
  const meta = envMetadata(envId);
  if (meta.stateDim !== meta.observationDim) {
    throw new TypeError(
      `Expected an env whose observation is its state but found ${envId} (state ${meta.stateDim}, observation ${meta.observationDim})`,
    );
  }
  const env = makeEnv(envId, { seed: 0 });
  const d = meta.observationDim;
  const ad = meta.actionDim;
  const discrete = meta.actionSpace.kind === "discrete";
  return (states, actions, n) => {
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      env.reset();
      env.setState(states.subarray(i * d, (i + 1) * d));
      const action = discrete
        ? actions[i * ad]!
        : Array.from(actions.subarray(i * ad, (i + 1) * ad));
      out.set(env.step(action).observation, i * d);
    }
    return out;
  };
}

/** Options of {@linkcode shootingEpisode}. */
export interface ShootingOptions {
  /** Planning horizon (steps). @default {15} */
  horizon?: number;
  /** Random action sequences per planning step. @default {200} */
  samples?: number;
  /**
   * Quadratic cost per state dimension subtracted from each imagined reward, e.g.
   * `[0.05, 0, 0.05, 0]` on CartPole's x and theta; all zeros plans for reward alone.
   * @default {all zeros}
   */
  stateCost?: readonly number[];
  /** Seed of the episode's reset and of the planner's stream. @default {0} */
  seed?: number;
  /** Stop after this many real steps. @default {the env's time limit} */
  maxSteps?: number;
}

/** What {@linkcode shootingEpisode} returns. */
export interface ShootingResult {
  episode: EpisodeRecord;
  /** The imagined return of the chosen sequence at each real step. */
  plannedReturns: number[];
  /** Wall-clock milliseconds of each planning step. */
  planMs: number[];
}

/**
 * Plays one episode of a discrete-action env choosing each action by random shooting: draw
 * `samples` action sequences of length `horizon`, imagine each with `predict` and the env's
 * true reward and termination rules (no reward after a predicted termination), take the first
 * action of the best sequence, replan at the next step.
 *
 * @example
 * ```ts
 * const { episode } = shootingEpisode("CartPole-v1", trueStepPredictor("CartPole-v1"), {
 *   stateCost: [0.05, 0, 0.05, 0],
 * });
 * ```
 */
export function shootingEpisode(
  envId: EnvId,
  predict: StepPredictor,
  options: ShootingOptions = {},
): ShootingResult {
  const meta = envMetadata(envId);
  if (meta.actionSpace.kind !== "discrete") {
    throw new TypeError(`Expected a discrete-action env but found ${envId}`);
  }
  const { horizon = 15, samples = 200, seed = 0, maxSteps = meta.maxEpisodeSteps } = options;
  for (const [name, value] of [["horizon", horizon], ["samples", samples]] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
    }
  }
  const d = meta.observationDim;
  const cost = options.stateCost ?? new Array(d).fill(0);
  const numActions = meta.actionSpace.n;
  const rules = meta.rules;
  const rng = new Rng(seed).stream("shooting");
  const plannedReturns: number[] = [];
  const planMs: number[] = [];
  const sequences = new Int32Array(samples * horizon);
  const states = new Float32Array(samples * d);
  const actions = new Float32Array(samples);
  const scores = new Float64Array(samples);
  const alive = new Uint8Array(samples);
  const policy = (observation: Float32Array) => {
    const start = performance.now();
    for (let i = 0; i < sequences.length; i++) sequences[i] = rng.int(numActions);
    for (let i = 0; i < samples; i++) states.set(observation, i * d);
    scores.fill(0);
    alive.fill(1);
    let current: Float32Array = states;
    for (let t = 0; t < horizon; t++) {
      for (let i = 0; i < samples; i++) actions[i] = sequences[i * horizon + t]!;
      const next = predict(current, actions, samples);
      const rewards = rules.reward(current, actions, next, samples);
      const terminal = rules.terminated(next, samples);
      for (let i = 0; i < samples; i++) {
        if (!alive[i]) continue;
        let penalty = 0;
        for (let k = 0; k < d; k++) penalty += cost[k]! * next[i * d + k]! ** 2;
        scores[i]! += rewards[i]! - penalty;
        if (terminal[i]) alive[i] = 0;
      }
      current = next;
    }
    let best = 0;
    for (let i = 1; i < samples; i++) if (scores[i]! > scores[best]!) best = i;
    plannedReturns.push(scores[best]!);
    planMs.push(performance.now() - start);
    return sequences[best * horizon]!;
  };
  const episode = playEpisode(makeEnv(envId), policy, { seed, maxSteps });
  return { episode, plannedReturns, planMs };
}
