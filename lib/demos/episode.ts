/**
 * Playing whole episodes with a policy and recording what happened: the small loop every
 * notebook needs, kept here so notebooks only configure, call and show.
 *
 * @module
 */
import type { Env, EnvId, Space } from "../envs/types.ts";
import { makeEnv } from "../envs/registry.ts";
import { Rng } from "../rng.ts";

/** Chooses an action from an observation: a Discrete index, or a vector for a Box space. */
export type EpisodePolicy = (observation: Float32Array, step: number) => number | number[];

/**
 * A policy that ignores the observation and draws uniformly from `space`.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const policy = uniformRandomPolicy({ kind: "discrete", n: 2 }, new Rng(0));
 * policy(new Float32Array(4), 0); // 0 or 1
 * ```
 */
export function uniformRandomPolicy(space: Space, rng: Rng): EpisodePolicy {
  if (space.kind === "discrete") return () => rng.int(space.n);
  return () => space.low.map((low, i) => rng.uniformRange(low, space.high[i]!));
}

/** Everything recorded in one episode. */
export interface EpisodeRecord {
  /** Physical states (`env.getState()`), `length + 1` of them, the first after reset. */
  states: number[][];
  /** Observations, `length + 1` of them. */
  observations: Float32Array[];
  /** Actions taken, `length` of them. */
  actions: (number | number[])[];
  /** Rewards, `length` of them. */
  rewards: number[];
  /** Sum of rewards. */
  return: number;
  /** Steps taken. */
  length: number;
  /** True when the episode ended in a terminal state. */
  terminated: boolean;
  /** True when the time limit cut it short. */
  truncated: boolean;
}

/** Options of {@linkcode playEpisode}. */
export interface PlayEpisodeOptions {
  /** Reset seed. @default {0} */
  seed?: number;
  /** Stop after this many steps even without the env's time limit. @default {Infinity} */
  maxSteps?: number;
}

/**
 * Plays one episode of `env` with `policy` from `env.reset({ seed })`.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/registry.ts";
 * import { Rng } from "../rng.ts";
 * const env = makeEnv("CartPole-v1");
 * const episode = playEpisode(env, uniformRandomPolicy(env.actionSpace, new Rng(1)), { seed: 3 });
 * episode.states.length === episode.length + 1; // true
 * ```
 */
export function playEpisode(
  env: Env,
  policy: EpisodePolicy,
  options: PlayEpisodeOptions = {},
): EpisodeRecord {
  const { seed = 0, maxSteps = Infinity } = options;
  let { observation } = env.reset({ seed });
  const record: EpisodeRecord = {
    states: [env.getState()],
    observations: [observation],
    actions: [],
    rewards: [],
    return: 0,
    length: 0,
    terminated: false,
    truncated: false,
  };
  while (record.length < maxSteps) {
    const action = policy(observation, record.length);
    const step = env.step(action);
    observation = step.observation;
    record.actions.push(action);
    record.rewards.push(step.reward);
    record.states.push(env.getState());
    record.observations.push(observation);
    record.return += step.reward;
    record.length++;
    record.terminated = step.terminated;
    record.truncated = step.truncated;
    if (step.terminated || step.truncated) break;
  }
  return record;
}

/** One episode's outcome, as a tidy row. */
export interface EpisodeReturnRow {
  env: EnvId;
  policy: string;
  episode: number;
  return: number;
  length: number;
  terminated: boolean;
}

/** Options of {@linkcode randomPolicyReturns}. */
export interface RandomReturnsOptions {
  /** Episodes to play. @default {100} */
  episodes?: number;
  /** Seed of the policy's stream and of the episodes' reset seeds. @default {0} */
  seed?: number;
}

/**
 * The returns of the uniform random policy over `episodes` episodes (reset seeds
 * `seed * 100_000 + episode`), as tidy rows.
 *
 * @example
 * ```ts
 * const rows = randomPolicyReturns("CartPole-v1", { episodes: 10 });
 * rows[0]; // { env: "CartPole-v1", policy: "random", episode: 0, return: 27, length: 27, terminated: true }
 * ```
 */
export function randomPolicyReturns(
  envId: EnvId,
  options: RandomReturnsOptions = {},
): EpisodeReturnRow[] {
  const { episodes = 100, seed = 0 } = options;
  const env = makeEnv(envId);
  const policy = uniformRandomPolicy(env.actionSpace, new Rng(seed).stream("policy"));
  return Array.from({ length: episodes }, (_, episode) => {
    const record = playEpisode(env, policy, { seed: seed * 100_000 + episode });
    return {
      env: envId,
      policy: "random",
      episode,
      return: record.return,
      length: record.length,
      terminated: record.terminated,
    };
  });
}

/**
 * Why a CartPole episode ended: the pole passed ±12 degrees, the cart left ±2.4, or the time
 * limit.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/registry.ts";
 * cartPoleEnding(playEpisode(makeEnv("CartPole-v1"), () => 1)); // "pole angle"
 * ```
 */
export function cartPoleEnding(
  record: EpisodeRecord,
): "pole angle" | "cart position" | "time limit" | "still running" {
  if (record.truncated) return "time limit";
  if (!record.terminated) return "still running";
  const last = record.states[record.states.length - 1]!;
  return Math.abs(last[0]!) > 2.4 ? "cart position" : "pole angle";
}

/**
 * A Pendulum episode as tidy rows for `pendulumTrajectory`: angle (wrapped to [-pi, pi),
 * 0 = upright), angular velocity and the torque applied at each step (none on the last row,
 * the state after the final step).
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/registry.ts";
 * const record = playEpisode(makeEnv("Pendulum-v1"), () => [0], { maxSteps: 50 });
 * const rows = pendulumRows(record, "no torque"); // 51 rows: { step, theta, thetaDot, torque, series }
 * ```
 */
export function pendulumRows(
  record: EpisodeRecord,
  series: string,
): { step: number; theta: number; thetaDot: number; torque?: number; series: string }[] {
  return record.states.map((state, step) => {
    const action = record.actions[step];
    const torque = action === undefined ? undefined : [action].flat()[0];
    const theta = ((state[0]! + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
    return { step, theta, thetaDot: state[1]!, torque, series };
  });
}
