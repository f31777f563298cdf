/**
 * Pendulum-v1, exactly as Gymnasium 1.4.0's `PendulumEnv` (g = 10), including the float32
 * evaluation NumPy 2 applies to the torque terms (the action is a float32 array).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { assertFinite } from "../validate.ts";
import { ClassicControlEnv, defineRules, float32Box } from "./classic_env.ts";
import type { BoxSpace, EnvRules, ResetOptions } from "./types.ts";

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
/** `3 g / (2 l)` with g = 10, l = 1. */
const GRAVITY_TERM = (3 * 10.0) / (2 * 1.0);
/** `3 / (m l^2)` with m = l = 1. */
const TORQUE_TERM = 3.0 / (1.0 * 1.0 ** 2);
const F32_0_001 = Math.fround(0.001);
const TWO_PI = 2 * Math.PI;

/** Python's float `%` (floored modulo: the result has the sign of `b`). */
function pyMod(a: number, b: number): number {
  let r = a % b;
  if (r !== 0 && (r < 0) !== (b < 0)) r += b;
  return r;
}

/** Gymnasium's `angle_normalize`: `((x + pi) % (2 pi)) - pi` with Python's modulo. */
export function angleNormalize(x: number): number {
  return pyMod(x + Math.PI, TWO_PI) - Math.PI;
}

/** The torque cost `0.001 u^2` evaluated in float32 as NumPy does for a float32 `u`. */
function torqueCost(u: number): number {
  return Math.fround(F32_0_001 * Math.fround(u * u));
}

/** The clipped float32 torque of an action value. */
function clipTorque(action: number): number {
  return Math.min(Math.max(Math.fround(action), -MAX_TORQUE), MAX_TORQUE);
}

/**
 * Pendulum-v1: apply a torque in [-2, 2] to swing a pendulum up and keep it upright.
 * State `[theta, thetaDot]` (float64; theta is never wrapped), observation
 * `[cos theta, sin theta, thetaDot]` as float32. Reward `-(angle^2 + 0.1 thetaDot^2 + 0.001 u^2)`
 * on the state before the step; never terminates; truncated at 200 steps. Actions are taken as
 * float32 (the space's dtype) and clipped to [-2, 2].
 *
 * @example
 * ```ts
 * const env = new PendulumEnv();
 * env.reset({ seed: 0 });
 * const { reward } = env.step([0.5]);
 * ```
 */
export class PendulumEnv extends ClassicControlEnv {
  /** The Gymnasium id. */
  readonly id = "Pendulum-v1" as const;
  /** float32 Box `[-1, -1, -8]` to `[1, 1, 8]`. */
  readonly observationSpace: BoxSpace = PENDULUM_OBSERVATION_SPACE;
  /** float32 Box `[-2]` to `[2]`, shape `[1]`. */
  readonly actionSpace: BoxSpace = PENDULUM_ACTION_SPACE;
  /** The TimeLimit. */
  readonly maxEpisodeSteps = 200;
  /** `[theta, thetaDot]`. */
  readonly stateDim = 2;
  #theta = 0;
  #thetaDot = 0;

  /** The observation of a state `[theta, thetaDot]`: `[cos, sin, thetaDot]` as float32. */
  static observe(state: ArrayLike<number>): Float32Array {
    const theta = state[0]!;
    return Float32Array.of(Math.cos(theta), Math.sin(theta), state[1]!);
  }

  /**
   * theta uniform in `[-x_init, x_init)` and thetaDot in `[-y_init, y_init)`; Gymnasium's
   * defaults are pi and 1.
   */
  protected resetPhysics(rng: Rng, options: ResetOptions): void {
    const x = options.x_init ?? Math.PI;
    const y = options.y_init ?? 1.0;
    assertFinite(x, "reset option x_init");
    assertFinite(y, "reset option y_init");
    this.#theta = rng.uniformRange(-x, x);
    this.#thetaDot = rng.uniformRange(-y, y);
  }

  /** One step of the semi-implicit Euler update with dt = 0.05. */
  protected advance(action: number): { reward: number; terminated: boolean } {
    const u = clipTorque(action);
    const theta = this.#theta;
    const thetaDot = this.#thetaDot;
    const norm = angleNormalize(theta);
    const cost = (norm * norm + 0.1 * (thetaDot * thetaDot)) + torqueCost(u);
    let newThetaDot = thetaDot +
      (GRAVITY_TERM * Math.sin(theta) + Math.fround(TORQUE_TERM * u)) * DT;
    newThetaDot = Math.min(Math.max(newThetaDot, -MAX_SPEED), MAX_SPEED);
    this.#theta = theta + newThetaDot * DT;
    this.#thetaDot = newThetaDot;
    return { reward: -cost, terminated: false };
  }

  /** `[cos, sin, thetaDot]` as float32. */
  protected observe(): Float32Array {
    return PendulumEnv.observe([this.#theta, this.#thetaDot]);
  }

  /** `[theta, thetaDot]`. */
  protected readState(): number[] {
    return [this.#theta, this.#thetaDot];
  }

  /** Replaces the state. */
  protected writeState(state: ArrayLike<number>): void {
    this.#theta = state[0]!;
    this.#thetaDot = state[1]!;
  }
}

/** Pendulum-v1's observation space. */
export const PENDULUM_OBSERVATION_SPACE: BoxSpace = float32Box([-1, -1, -MAX_SPEED], [
  1,
  1,
  MAX_SPEED,
]);
/** Pendulum-v1's action space. */
export const PENDULUM_ACTION_SPACE: BoxSpace = float32Box([-MAX_TORQUE], [MAX_TORQUE]);

/**
 * Pendulum-v1's rules on observation batches `[n * 3]` of `[cos, sin, thetaDot]` and actions
 * `[n * 1]`: reward `-(angle^2 + 0.1 thetaDot^2 + 0.001 u^2)` with `angle = atan2(sin, cos)`
 * of the observation BEFORE the step and `u` the clipped torque (equal to the env's reward up
 * to the float32 rounding of the observation); never terminates.
 */
export const pendulumRules: EnvRules = defineRules(3, {
  reward(observations, actions, _nextObservations, n) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const angle = Math.atan2(observations[i * 3 + 1]!, observations[i * 3]!);
      const thetaDot = observations[i * 3 + 2]!;
      const u = clipTorque(actions[i]!);
      out[i] = -((angle * angle + 0.1 * (thetaDot * thetaDot)) + torqueCost(u));
    }
    return out;
  },
  terminated(_nextObservations, n) {
    return new Uint8Array(n);
  },
});
