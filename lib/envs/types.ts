/**
 * Types shared by the Gymnasium-exact environments and everything that consumes them.
 *
 * Batched arrays are row-major `Float32Array`s: a batch of `n` observations of dimension `d`
 * is `[n * d]`, row `i` at `[i * d, (i + 1) * d)`.
 *
 * @module
 */

/** The five supported environment ids (Gymnasium 1.4.0 registrations). */
export type EnvId =
  | "CartPole-v1"
  | "Pendulum-v1"
  | "MountainCar-v0"
  | "MountainCarContinuous-v0"
  | "Acrobot-v1";

/** A continuous space, as Gymnasium's `Box`. */
export interface BoxSpace {
  readonly kind: "box";
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly shape: readonly number[];
}

/** A finite space `{0, ..., n - 1}`, as Gymnasium's `Discrete`. */
export interface DiscreteSpace {
  readonly kind: "discrete";
  readonly n: number;
}

/** Either kind of space. */
export type Space = BoxSpace | DiscreteSpace;

/** What `reset` returns. */
export interface ResetResult {
  observation: Float32Array;
  info: Record<string, unknown>;
}

/** What `step` returns (Gymnasium's five-tuple minus nothing). */
export interface StepResult {
  observation: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

/** Options accepted by `reset`. */
export interface ResetOptions {
  /** Reseeds the env's own stream; without it the stream continues. */
  seed?: number;
  /** Overrides of the reset bounds, as Gymnasium's `options` (`low`/`high`, Pendulum `x_init`/`y_init`). */
  low?: number;
  high?: number;
  x_init?: number;
  y_init?: number;
}

/** A Gymnasium-shaped environment with its TimeLimit built in. */
export interface Env {
  readonly id: EnvId;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** The TimeLimit: 500, 200, 200, 999, 500. */
  readonly maxEpisodeSteps: number;
  reset(options?: ResetOptions): ResetResult;
  step(action: number | number[] | Float32Array): StepResult;
  /** The internal physical state, as Gymnasium's `env.unwrapped.state`. */
  getState(): number[];
  /** Sets the physics only; the episode's step count is unchanged. */
  setState(state: ArrayLike<number>): void;
}

/**
 * An environment's reward and termination rules as pure functions on batches of
 * observations, so planners can score imagined transitions with the true rules.
 */
export interface EnvRules {
  /** Observation dimension `d`. */
  readonly observationDim: number;
  /**
   * Reward of each transition `(obs[i], action[i]) -> nextObs[i]`; `actions` is `[n * actionDim]`
   * in the env's own action encoding (a Discrete index as a number).
   */
  reward(
    observations: Float32Array,
    actions: Float32Array,
    nextObservations: Float32Array,
    n: number,
  ): Float32Array;
  /** 1 where `nextObservations[i]` is terminal (Gymnasium's `terminated`), else 0. */
  terminated(nextObservations: Float32Array, n: number): Uint8Array;
}
