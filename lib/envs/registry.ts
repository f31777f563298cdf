/**
 * Environment ids, metadata, `makeEnv` and `envRules`: the one place that maps an id to its
 * implementation.
 *
 * @module
 */
import { AcrobotEnv, acrobotRules } from "./acrobot.ts";
import { CartPoleEnv, cartPoleRules } from "./cart_pole.ts";
import type { ClassicControlEnv, EnvOptions } from "./classic_env.ts";
import { MountainCarEnv, mountainCarRules } from "./mountain_car.ts";
import { MountainCarContinuousEnv, mountainCarContinuousRules } from "./mountain_car_continuous.ts";
import { PendulumEnv, pendulumRules } from "./pendulum.ts";
import type { BoxSpace, EnvId, EnvRules, Space } from "./types.ts";
import { assertFiniteArray, assertOneOf, assertPositiveInt } from "../validate.ts";

/** Static facts about an environment (Gymnasium's registration plus the spaces). */
export interface EnvMetadata {
  /** The Gymnasium id. */
  readonly id: EnvId;
  /** The TimeLimit. */
  readonly maxEpisodeSteps: number;
  /** Gymnasium's `reward_threshold` (mean return that counts as solved); undefined for Pendulum. */
  readonly rewardThreshold: number | undefined;
  /**
   * The evaluation mean that counts as solved in this workbook: Gymnasium's `reward_threshold`
   * where it has one; -200 for Pendulum-v1, which has none (tuned SAC/TD3 reach about -150 to
   * -160 after 20k steps in RL Baselines3 Zoo). See {@linkcode evaluationSolves}.
   */
  readonly solvedThreshold: number;
  /**
   * An upper bound on one episode's return (CartPole: 1 per step up to the TimeLimit; the
   * others' rewards are at most 0 per step, MountainCarContinuous's goal bonus is 100 minus a
   * non-negative action cost). Lets an evaluation stop once its mean can no longer reach
   * {@linkcode EnvMetadata.solvedThreshold}.
   */
  readonly maxEpisodeReturn: number;
  /** Length of the observation vector. */
  readonly observationDim: number;
  /** Length of the physical state (`getState()`). */
  readonly stateDim: number;
  /** Length of one action in a batch: 1 for every supported env (a Discrete index or a scalar). */
  readonly actionDim: number;
  /** Observation space. */
  readonly observationSpace: BoxSpace;
  /** Action space. */
  readonly actionSpace: Space;
  /** The pure batched reward/termination rules. */
  readonly rules: EnvRules;
}

/** All supported environment ids, in a fixed order. */
export const ENV_IDS: readonly EnvId[] = Object.freeze([
  "CartPole-v1",
  "Pendulum-v1",
  "MountainCar-v0",
  "MountainCarContinuous-v0",
  "Acrobot-v1",
]);

const CONSTRUCTORS: Record<EnvId, new (options?: EnvOptions) => ClassicControlEnv> = {
  "CartPole-v1": CartPoleEnv,
  "Pendulum-v1": PendulumEnv,
  "MountainCar-v0": MountainCarEnv,
  "MountainCarContinuous-v0": MountainCarContinuousEnv,
  "Acrobot-v1": AcrobotEnv,
};

const REWARD_THRESHOLDS: Record<EnvId, number | undefined> = {
  "CartPole-v1": 475,
  "Pendulum-v1": undefined,
  "MountainCar-v0": -110,
  "MountainCarContinuous-v0": 90,
  "Acrobot-v1": -100,
};

/** Pendulum-v1 has no Gymnasium threshold; -200 is this workbook's (see `solvedThreshold`). */
const PENDULUM_SOLVED = -200;

// Upper bounds on an episode's return: MountainCar-v0 pays -1 for every step (at least one),
// Acrobot-v1 -1 per step and 0 on the terminal one, Pendulum-v1 a non-positive cost per step.
const MAX_EPISODE_RETURNS: Record<EnvId, number | "timeLimit"> = {
  "CartPole-v1": "timeLimit",
  "Pendulum-v1": 0,
  "MountainCar-v0": -1,
  "MountainCarContinuous-v0": 100,
  "Acrobot-v1": 0,
};

const RULES: Record<EnvId, EnvRules> = {
  "CartPole-v1": cartPoleRules,
  "Pendulum-v1": pendulumRules,
  "MountainCar-v0": mountainCarRules,
  "MountainCarContinuous-v0": mountainCarContinuousRules,
  "Acrobot-v1": acrobotRules,
};

/**
 * Throws unless `id` is a supported environment id: a `RangeError` for an unknown string
 * (`Expected envId to be one of CartPole-v1, Pendulum-v1, ... but found "CartPol-v1"`), a
 * `TypeError` for a non-string. Call it wherever an id enters (options, flags, files) instead
 * of testing {@linkcode isEnvId} and falling back, so a misspelt id is never silently ignored.
 *
 * @example
 * ```ts
 * const id: string = "CartPole-v1";
 * assertEnvId(id);
 * makeEnv(id); // id is an EnvId here
 * ```
 * @param name how the caller calls the id in messages. @default {"envId"}
 */
export function assertEnvId(id: unknown, name = "envId"): asserts id is EnvId {
  assertOneOf(id, name, ENV_IDS);
}

/** True when `id` is a supported environment id. */
export function isEnvId(id: unknown): id is EnvId {
  return typeof id === "string" && Object.hasOwn(CONSTRUCTORS, id);
}

/**
 * Creates an environment by its Gymnasium id. Throws `RangeError` for an unknown id.
 *
 * @example
 * ```ts
 * const env = makeEnv("CartPole-v1", { seed: 1 });
 * let { observation } = env.reset({ seed: 42 });
 * const { reward, terminated, truncated } = env.step(0);
 * ```
 */
export function makeEnv(id: EnvId, options: EnvOptions = {}): ClassicControlEnv {
  assertEnvId(id);
  return new CONSTRUCTORS[id](options);
}

/**
 * The pure batched reward and termination rules of an environment, for scoring imagined
 * transitions. Throws `RangeError` for an unknown id.
 *
 * @example
 * ```ts
 * const rules = envRules("CartPole-v1");
 * const done = rules.terminated(new Float32Array([0, 0, 0.3, 0]), 1); // Uint8Array [1]
 * ```
 */
export function envRules(id: EnvId): EnvRules {
  assertEnvId(id);
  return RULES[id];
}

const OBSERVERS: Record<EnvId, (state: ArrayLike<number>) => Float32Array> = {
  "CartPole-v1": CartPoleEnv.observe,
  "Pendulum-v1": PendulumEnv.observe,
  "MountainCar-v0": MountainCarEnv.observe,
  "MountainCarContinuous-v0": MountainCarContinuousEnv.observe,
  "Acrobot-v1": AcrobotEnv.observe,
};

const METADATA = new Map<EnvId, EnvMetadata>();

/**
 * Static metadata of an environment: TimeLimit, reward threshold, dimensions, spaces, rules.
 * Throws `RangeError` for an unknown id.
 *
 * @example
 * ```ts
 * envMetadata("CartPole-v1").rewardThreshold; // 475
 * ```
 */
export function envMetadata(id: EnvId): EnvMetadata {
  assertEnvId(id);
  let meta = METADATA.get(id);
  if (meta === undefined) {
    const env = new CONSTRUCTORS[id]();
    meta = Object.freeze({
      id,
      maxEpisodeSteps: env.maxEpisodeSteps,
      rewardThreshold: REWARD_THRESHOLDS[id],
      solvedThreshold: REWARD_THRESHOLDS[id] ?? PENDULUM_SOLVED,
      maxEpisodeReturn: MAX_EPISODE_RETURNS[id] === "timeLimit"
        ? env.maxEpisodeSteps
        : MAX_EPISODE_RETURNS[id],
      observationDim: env.observationSpace.shape[0]!,
      stateDim: env.stateDim,
      actionDim: 1,
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      rules: RULES[id],
    });
    METADATA.set(id, meta);
  }
  return meta;
}

/**
 * The observation Gymnasium computes from a physical state of `id` (used by tests and by
 * anyone who holds states rather than observations). Throws a `TypeError` unless `state` has
 * `stateDim` numbers and a `RangeError` for a non-finite one.
 *
 * @example
 * ```ts
 * observationOf("Pendulum-v1", [0, 1]); // Float32Array [1, 0, 1]
 * ```
 */
export function observationOf(id: EnvId, state: ArrayLike<number>): Float32Array {
  assertEnvId(id);
  assertFiniteArray(state, "state", envMetadata(id).stateDim);
  return OBSERVERS[id](state);
}

/**
 * The physical state behind an observation of `id` (the inverse of {@linkcode observationOf}):
 * the observation itself where it is the state, angles from their cosines and sines (`atan2`, in
 * (-pi, pi]) for Pendulum-v1 and Acrobot-v1, whose physics wrap angles to that range anyway.
 * @throws {RangeError} for an unknown id.
 *
 * @example
 * ```ts
 * stateFromObservation("Pendulum-v1", Float32Array.of(0, 1, 0.5)); // [pi / 2, 0.5]
 * ```
 */
export function stateFromObservation(id: EnvId, obs: ArrayLike<number>): number[] {
  switch (id) {
    case "Pendulum-v1":
      return [Math.atan2(obs[1]!, obs[0]!), obs[2]!];
    case "Acrobot-v1":
      return [Math.atan2(obs[1]!, obs[0]!), Math.atan2(obs[3]!, obs[2]!), obs[4]!, obs[5]!];
    default:
      assertEnvId(id);
      return Array.from(obs);
  }
}

/**
 * The one solved rule of the workbook: an evaluation solves `id` when it ran all `episodes`
 * episodes and their mean return reaches `envMetadata(id).solvedThreshold`.
 *
 * @example
 * ```ts
 * evaluationSolves("CartPole-v1", [500, 480, 470], 3); // true (mean 483.3 >= 475)
 * evaluationSolves("CartPole-v1", [500, 500], 3); // false (stopped before all 3 episodes)
 * ```
 * @throws {RangeError} for an unknown id, `episodes` that is not a positive integer or a
 *   non-finite return.
 */
export function evaluationSolves(id: EnvId, returns: readonly number[], episodes: number): boolean {
  const { solvedThreshold } = envMetadata(id);
  assertPositiveInt(episodes, "episodes");
  assertFiniteArray(returns, "returns");
  if (returns.length !== episodes) return false;
  let sum = 0;
  for (const r of returns) sum += r;
  return sum / episodes >= solvedThreshold;
}

/**
 * True once an evaluation of `episodes` episodes can no longer solve `id`, even if every
 * remaining episode scored {@linkcode EnvMetadata.maxEpisodeReturn}: the exact early stop.
 *
 * @example
 * ```ts
 * evaluationCannotSolve("CartPole-v1", [9, 9], 10); // true: (18 + 8 * 500) / 10 < 475
 * ```
 */
export function evaluationCannotSolve(
  id: EnvId,
  returns: readonly number[],
  episodes: number,
): boolean {
  const { solvedThreshold, maxEpisodeReturn } = envMetadata(id);
  assertPositiveInt(episodes, "episodes");
  assertFiniteArray(returns, "returns");
  let sum = 0;
  for (const r of returns) sum += r;
  const best = (sum + maxEpisodeReturn * Math.max(0, episodes - returns.length)) / episodes;
  return best < solvedThreshold;
}
