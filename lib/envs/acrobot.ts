/**
 * Acrobot-v1, exactly as Gymnasium 1.4.0's `AcrobotEnv` ("book" dynamics, one RK4 step of
 * 0.2 s, no torque noise).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { ClassicControlEnv, defineRules, float32Box, resetBounds } from "./classic_env.ts";
import type { BoxSpace, DiscreteSpace, EnvRules, ResetOptions } from "./types.ts";

const DT = 0.2;
const PI = Math.PI;
const TWO_PI = PI - -PI;
/** Bound of the first joint's angular velocity, `4 pi` rad/s. */
const MAX_VEL_1 = 4 * PI;
/** Bound of the second joint's angular velocity, `9 pi` rad/s. */
const MAX_VEL_2 = 9 * PI;
/** `(m1 lc1 + m2 l1) g` with m = l = 1, lc = 0.5, g = 9.8 (the double `1.5 * 9.8`). */
const PHI1_GRAVITY = (1.0 * 0.5 + 1.0 * 1.0) * 9.8;
/** `m2 lc2 g`. */
const PHI2_GRAVITY = 1.0 * 0.5 * 9.8;
const TORQUES = [-1.0, 0.0, 1.0] as const;

/**
 * The time derivative of `[theta1, theta2, dtheta1, dtheta2]` under torque `tau`, written
 * with the source's constants and evaluation order (`cos(x - pi/2)` rather than `sin x`).
 */
function derivative(
  theta1: number,
  theta2: number,
  dtheta1: number,
  dtheta2: number,
  tau: number,
  out: Float64Array,
): void {
  const cos2 = Math.cos(theta2);
  const sin2 = Math.sin(theta2);
  const d1 = 0.25 + (1.25 + cos2) + 1.0 + 1.0;
  const d2 = (0.25 + 0.5 * cos2) + 1.0;
  const phi2 = PHI2_GRAVITY * Math.cos(theta1 + theta2 - PI / 2.0);
  const phi1 = -0.5 * (dtheta2 * dtheta2) * sin2 - dtheta2 * dtheta1 * sin2 +
    PHI1_GRAVITY * Math.cos(theta1 - PI / 2.0) + phi2;
  const ddtheta2 = (tau + (d2 / d1) * phi1 - 0.5 * (dtheta1 * dtheta1) * sin2 - phi2) /
    (1.25 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
}

/** Gymnasium's `wrap`: repeated subtraction/addition of 2 pi (the result may be exactly ±pi). */
function wrap(x: number): number {
  while (x > PI) x = x - TWO_PI;
  while (x < -PI) x = x + TWO_PI;
  return x;
}

/** The terminal test on the angles: the free end above the bar (height > 1). */
function acrobotTerminal(theta1: number, theta2: number): boolean {
  return -Math.cos(theta1) - Math.cos(theta2 + theta1) > 1.0;
}

/** One classical RK4 step of size `DT` from `s`, in place (the torque's derivative is 0). */
function rk4Step(s: number[], tau: number): void {
  const k1 = new Float64Array(4);
  const k2 = new Float64Array(4);
  const k3 = new Float64Array(4);
  const k4 = new Float64Array(4);
  const half = DT / 2.0;
  derivative(s[0]!, s[1]!, s[2]!, s[3]!, tau, k1);
  derivative(
    s[0]! + half * k1[0]!,
    s[1]! + half * k1[1]!,
    s[2]! + half * k1[2]!,
    s[3]! + half * k1[3]!,
    tau,
    k2,
  );
  derivative(
    s[0]! + half * k2[0]!,
    s[1]! + half * k2[1]!,
    s[2]! + half * k2[2]!,
    s[3]! + half * k2[3]!,
    tau,
    k3,
  );
  derivative(
    s[0]! + DT * k3[0]!,
    s[1]! + DT * k3[1]!,
    s[2]! + DT * k3[2]!,
    s[3]! + DT * k3[3]!,
    tau,
    k4,
  );
  const sixth = DT / 6.0;
  for (let i = 0; i < 4; i++) {
    s[i] = s[i]! + sixth * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
  }
}

/**
 * Acrobot-v1: swing the free end of a two-link pendulum above the bar by torquing the middle
 * joint. Actions `Discrete(3)` give torque -1, 0, +1. State `[theta1, theta2, dtheta1, dtheta2]`
 * (float32-valued after reset, float64 after a step), observation
 * `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]` as float32. Reward -1
 * per step and 0 on the terminating step; terminates when `-cos theta1 - cos(theta1 + theta2) > 1`;
 * truncated at 500 steps.
 *
 * @example
 * ```ts
 * const env = new AcrobotEnv();
 * env.reset({ seed: 0 });
 * const { reward } = env.step(2);
 * ```
 */
export class AcrobotEnv extends ClassicControlEnv {
  /** The Gymnasium id. */
  readonly id = "Acrobot-v1" as const;
  /** float32 Box `[1, 1, 1, 1, 4 pi, 9 pi]` and its negative. */
  readonly observationSpace: BoxSpace = ACROBOT_OBSERVATION_SPACE;
  /** `Discrete(3)`: torque -1, 0, +1. */
  readonly actionSpace: DiscreteSpace = ACROBOT_ACTION_SPACE;
  /** The TimeLimit. */
  readonly maxEpisodeSteps = 500;
  /** `[theta1, theta2, dtheta1, dtheta2]`. */
  readonly stateDim = 4;
  #state = [0, 0, 0, 0];

  /** The observation of a state: `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]` as float32. */
  static observe(state: ArrayLike<number>): Float32Array {
    const t1 = state[0]!;
    const t2 = state[1]!;
    return Float32Array.of(
      Math.cos(t1),
      Math.sin(t1),
      Math.cos(t2),
      Math.sin(t2),
      state[2]!,
      state[3]!,
    );
  }

  /** Each component uniform in `[low, high)` (default `[-0.1, 0.1)`), rounded to float32. */
  protected resetPhysics(rng: Rng, options: ResetOptions): void {
    const { low, high } = resetBounds(options, { low: -0.1, high: 0.1 });
    const state: number[] = [];
    for (let i = 0; i < 4; i++) state.push(Math.fround(rng.uniformRange(low, high)));
    this.#state = state;
  }

  /** RK4 step, angle wrap to [-pi, pi], velocity bounds. */
  protected advance(action: number): { reward: number; terminated: boolean } {
    const s = this.#state;
    rk4Step(s, TORQUES[action]!);
    s[0] = wrap(s[0]!);
    s[1] = wrap(s[1]!);
    s[2] = Math.min(Math.max(s[2]!, -MAX_VEL_1), MAX_VEL_1);
    s[3] = Math.min(Math.max(s[3]!, -MAX_VEL_2), MAX_VEL_2);
    const terminated = acrobotTerminal(s[0], s[1]);
    return { reward: terminated ? 0.0 : -1.0, terminated };
  }

  /** The observation of the state. */
  protected observe(): Float32Array {
    return AcrobotEnv.observe(this.#state);
  }

  /** A copy of the state. */
  protected readState(): number[] {
    return this.#state.slice();
  }

  /** Replaces the state. */
  protected writeState(state: ArrayLike<number>): void {
    this.#state = Array.from(state);
  }
}

/** Acrobot-v1's observation space. */
export const ACROBOT_OBSERVATION_SPACE: BoxSpace = float32Box(
  [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
  [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
);
/** Acrobot-v1's action space. */
export const ACROBOT_ACTION_SPACE: DiscreteSpace = Object.freeze({ kind: "discrete", n: 3 });

/**
 * Acrobot-v1's rules on observation batches `[n * 6]`: terminated when
 * `-cos t1 - cos(t1 + t2) > 1` with `cos(t1 + t2) = cos t1 cos t2 - sin t1 sin t2` from the
 * next observation (equal to the env's test except within float32 rounding of the boundary);
 * reward 0 on a terminating transition and -1 otherwise.
 */
export const acrobotRules: EnvRules = defineRules(6, {
  reward(_observations, _actions, nextObservations, n) {
    const done = acrobotRules.terminated(nextObservations, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = done[i] ? 0 : -1;
    return out;
  },
  terminated(nextObservations, n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c1 = nextObservations[i * 6]!;
      const s1 = nextObservations[i * 6 + 1]!;
      const c2 = nextObservations[i * 6 + 2]!;
      const s2 = nextObservations[i * 6 + 3]!;
      out[i] = -c1 - (c1 * c2 - s1 * s2) > 1.0 ? 1 : 0;
    }
    return out;
  },
});
