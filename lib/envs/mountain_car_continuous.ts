/**
 * MountainCarContinuous-v0, exactly as Gymnasium 1.4.0's `Continuous_MountainCarEnv`,
 * including NumPy 2's float32 evaluation: the state is float64 right after reset and float32
 * after every step, and arithmetic between a float32 value and a Python float runs in float32.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { defineRules, float32Box } from "./classic_env.ts";
import { MountainCarBase } from "./mountain_car.ts";
import type { BoxSpace, EnvRules, ResetOptions } from "./types.ts";

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
/** Position the car must reach (with non-negative velocity) to terminate. */
export const MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION = 0.45;
const GOAL_POSITION_F32 = Math.fround(MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION);
const POWER = 0.0015;
const POWER_F32 = Math.fround(POWER);
const fround = Math.fround;

/**
 * MountainCarContinuous-v0: drive an under-powered car up the right hill with a force in
 * [-1, 1]. State `[position, velocity]`: float64 after reset, float32-valued after every step
 * (the observation equals the state then). Reward `100` on reaching `position >= 0.45` with
 * `velocity >= 0`, minus `0.1 a^2` with the UNCLIPPED action `a`; truncated at 999 steps.
 * Actions are taken as float32 (the space's dtype); the force is clipped to [-1, 1].
 *
 * `setState` picks the arithmetic from the values: a `Float32Array`, or values that are all
 * float32-representable, step as Gymnasium's float32 state does; anything else as its float64
 * state right after reset.
 *
 * @example
 * ```ts
 * const env = new MountainCarContinuousEnv();
 * env.reset({ seed: 0 });
 * const { reward } = env.step([1]);
 * ```
 */
export class MountainCarContinuousEnv extends MountainCarBase {
  /** The Gymnasium id. */
  readonly id = "MountainCarContinuous-v0" as const;
  /** float32 Box `[-1]` to `[1]`, shape `[1]`. */
  readonly actionSpace: BoxSpace = MOUNTAIN_CAR_CONTINUOUS_ACTION_SPACE;
  /** The TimeLimit. */
  readonly maxEpisodeSteps = 999;
  /** True when Gymnasium's state array would be float32 (after a step). */
  #float32State = false;

  /** The shared start state (float64), with float64 arithmetic until the first step. */
  protected override resetPhysics(rng: Rng, options: ResetOptions): void {
    super.resetPhysics(rng, options);
    this.#float32State = false;
  }

  /** Gymnasium's step with NumPy 2's float32/float64 promotion emulated. */
  protected advance(action: number): { reward: number; terminated: boolean } {
    const f32 = this.#float32State;
    const p = this.position;
    const v = this.velocity;
    const a = fround(action);
    const clipped = a < MIN_ACTION || a > MAX_ACTION;
    const force = Math.min(Math.max(a, MIN_ACTION), MAX_ACTION);
    const gravity = 0.0025 * Math.cos(f32 ? fround(3 * p) : 3 * p);
    // An unclipped force is a float32 scalar (float32 arithmetic with the Python floats); a
    // clipped one is the Python float bound (float64 arithmetic).
    const increment = clipped
      ? force * POWER - gravity
      : fround(fround(force * POWER_F32) - fround(gravity));
    let velocity = f32 ? fround(v + fround(increment)) : v + increment;
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    let position = f32 ? fround(p + fround(velocity)) : p + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    const terminated =
      position >= (f32 ? GOAL_POSITION_F32 : MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION) &&
      velocity >= 0;
    const reward = (terminated ? 100.0 : 0.0) - (a * a) * 0.1;
    this.position = fround(position);
    this.velocity = fround(velocity);
    this.#float32State = true;
    return { reward, terminated };
  }

  /** Replaces the state; float32 arithmetic when the values are float32 (see the class doc). */
  protected override writeState(state: ArrayLike<number>): void {
    super.writeState(state);
    this.#float32State = state instanceof Float32Array ||
      (fround(this.position) === this.position && fround(this.velocity) === this.velocity);
  }
}

/** MountainCarContinuous-v0's action space. */
export const MOUNTAIN_CAR_CONTINUOUS_ACTION_SPACE: BoxSpace = float32Box([MIN_ACTION], [
  MAX_ACTION,
]);

/**
 * MountainCarContinuous-v0's rules on observation batches `[n * 2]` and actions `[n * 1]`:
 * terminated when the next observation has `position >= float32(0.45)` and `velocity >= 0`
 * (the env's float32 test); reward `100` if terminated, minus `0.1 a^2` with the unclipped
 * float32 action.
 */
export const mountainCarContinuousRules: EnvRules = defineRules(2, {
  reward(_observations, actions, nextObservations, n) {
    const done = mountainCarContinuousRules.terminated(nextObservations, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = fround(actions[i]!);
      out[i] = (done[i] ? 100.0 : 0.0) - (a * a) * 0.1;
    }
    return out;
  },
  terminated(nextObservations, n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const position = nextObservations[i * 2]!;
      const velocity = nextObservations[i * 2 + 1]!;
      out[i] = position >= GOAL_POSITION_F32 && velocity >= 0 ? 1 : 0;
    }
    return out;
  },
});
