/**
 * MountainCar-v0, exactly as Gymnasium 1.4.0's `MountainCarEnv`.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { ClassicControlEnv, defineRules, float32Box, resetBounds } from "./classic_env.ts";
import type { BoxSpace, DiscreteSpace, EnvRules, ResetOptions } from "./types.ts";

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
/** Position the car must reach (with non-negative velocity) to terminate. */
export const MOUNTAIN_CAR_GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

/**
 * What MountainCar-v0 and MountainCarContinuous-v0 share: the state `[position, velocity]`,
 * the observation space and float32 observation, and the start state. Subclasses supply the
 * id, action space, time limit and physics (`advance`).
 */
export abstract class MountainCarBase extends ClassicControlEnv {
  /** float32 Box `[-1.2, -0.07]` to `[0.6, 0.07]`. */
  readonly observationSpace: BoxSpace = MOUNTAIN_CAR_OBSERVATION_SPACE;
  /** `[position, velocity]`. */
  readonly stateDim = 2;
  /** Car position (the physics hooks of the subclasses read and write it). */
  protected position = 0;
  /** Car velocity. */
  protected velocity = 0;

  /** The observation of a state: each component rounded to float32. */
  static observe(state: ArrayLike<number>): Float32Array {
    return Float32Array.from(state);
  }

  /** Position uniform in `[low, high)`, by default `[-0.6, -0.4)`; velocity 0 (float64). */
  protected resetPhysics(rng: Rng, options: ResetOptions): void {
    const { low, high } = resetBounds(options, { low: -0.6, high: -0.4 });
    this.position = rng.uniformRange(low, high);
    this.velocity = 0;
  }

  /** float32 of the state. */
  protected observe(): Float32Array {
    return Float32Array.of(this.position, this.velocity);
  }

  /** `[position, velocity]`. */
  protected readState(): number[] {
    return [this.position, this.velocity];
  }

  /** Replaces the state. */
  protected writeState(state: ArrayLike<number>): void {
    this.position = state[0]!;
    this.velocity = state[1]!;
  }
}

/**
 * MountainCar-v0: drive an under-powered car up the right hill. Actions `Discrete(3)`:
 * 0 accelerates left, 1 does nothing, 2 accelerates right. State `[position, velocity]`
 * (float64), observation its float32 rounding. Reward -1 per step; terminates at
 * `position >= 0.5` with `velocity >= 0`; truncated at 200 steps.
 *
 * @example
 * ```ts
 * const env = new MountainCarEnv();
 * env.reset({ seed: 0 });
 * const { observation } = env.step(2);
 * ```
 */
export class MountainCarEnv extends MountainCarBase {
  /** The Gymnasium id. */
  readonly id = "MountainCar-v0" as const;
  /** `Discrete(3)`. */
  readonly actionSpace: DiscreteSpace = MOUNTAIN_CAR_ACTION_SPACE;
  /** The TimeLimit. */
  readonly maxEpisodeSteps = 200;

  /** Semi-implicit Euler: the velocity first, then the position with the new velocity. */
  protected advance(action: number): { reward: number; terminated: boolean } {
    const position = this.position;
    let velocity = this.velocity +
      ((action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY);
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    let newPosition = position + velocity;
    newPosition = Math.min(Math.max(newPosition, MIN_POSITION), MAX_POSITION);
    if (newPosition === MIN_POSITION && velocity < 0) velocity = 0;
    this.position = newPosition;
    this.velocity = velocity;
    return { reward: -1.0, terminated: newPosition >= MOUNTAIN_CAR_GOAL_POSITION && velocity >= 0 };
  }
}

/** MountainCar-v0's observation space (also MountainCarContinuous-v0's). */
export const MOUNTAIN_CAR_OBSERVATION_SPACE: BoxSpace = float32Box(
  [MIN_POSITION, -MAX_SPEED],
  [MAX_POSITION, MAX_SPEED],
);
/** MountainCar-v0's action space. */
export const MOUNTAIN_CAR_ACTION_SPACE: DiscreteSpace = Object.freeze({ kind: "discrete", n: 3 });

/**
 * MountainCar-v0's rules on observation batches `[n * 2]`: reward -1 for every transition;
 * terminated when the next observation has `position >= 0.5` and `velocity >= 0` (exactly
 * the env's test: 0.5 and 0 are float32 values, so rounding the state cannot change it).
 */
export const mountainCarRules: EnvRules = defineRules(2, {
  reward(_observations, _actions, _nextObservations, n) {
    return new Float32Array(n).fill(-1);
  },
  terminated(nextObservations, n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const position = nextObservations[i * 2]!;
      const velocity = nextObservations[i * 2 + 1]!;
      out[i] = position >= MOUNTAIN_CAR_GOAL_POSITION && velocity >= 0 ? 1 : 0;
    }
    return out;
  },
});
