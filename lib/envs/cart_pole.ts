/**
 * CartPole-v1, exactly as Gymnasium 1.4.0's `CartPoleEnv` (`sutton_barto_reward=False`).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import {
  ClassicControlEnv,
  defineRules,
  float32Box,
  resetBounds,
  uniformState,
} from "./classic_env.ts";
import type { BoxSpace, DiscreteSpace, EnvRules, ResetOptions } from "./types.ts";

const GRAVITY = 9.8;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + 1.0;
const LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
/** Pole angle beyond which the episode terminates: `12 * 2 * pi / 360` rad. */
export const CART_POLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
/** Cart position beyond which the episode terminates. */
export const CART_POLE_X_THRESHOLD = 2.4;

/** CartPole's physics step on a float64 state `[x, xDot, theta, thetaDot]`, in place. */
function cartPoleStep(s: number[], action: number): boolean {
  const x = s[0]!;
  const xDot = s[1]!;
  const theta = s[2]!;
  const thetaDot = s[3]!;
  const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sin) / TOTAL_MASS;
  const thetaAcc = (GRAVITY * sin - cos * temp) /
    (LENGTH * (4.0 / 3.0 - (MASS_POLE * (cos * cos)) / TOTAL_MASS));
  const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
  s[0] = x + TAU * xDot;
  s[1] = xDot + TAU * xAcc;
  s[2] = theta + TAU * thetaDot;
  s[3] = thetaDot + TAU * thetaAcc;
  return cartPoleTerminal(s[0], s[2]);
}

function cartPoleTerminal(x: number, theta: number): boolean {
  return x < -CART_POLE_X_THRESHOLD || x > CART_POLE_X_THRESHOLD ||
    theta < -CART_POLE_THETA_THRESHOLD || theta > CART_POLE_THETA_THRESHOLD;
}

/**
 * CartPole-v1: push a cart left (action 0, force -10 N) or right (1, +10 N) to keep a pole
 * upright. State `[x, xDot, theta, thetaDot]` (float64), observation its float32 rounding.
 * Reward 1 on every step including the terminating one; terminates when |x| > 2.4 or
 * |theta| > 12 degrees; truncated at 500 steps.
 *
 * @example
 * ```ts
 * const env = new CartPoleEnv();
 * const { observation } = env.reset({ seed: 0 });
 * const { reward, terminated } = env.step(1);
 * ```
 */
export class CartPoleEnv extends ClassicControlEnv {
  /** The Gymnasium id. */
  readonly id = "CartPole-v1" as const;
  /** float32 Box `[4.8, inf, 0.41887903, inf]` and its negative. */
  readonly observationSpace: BoxSpace = CART_POLE_OBSERVATION_SPACE;
  /** `Discrete(2)`: 0 pushes left, 1 pushes right. */
  readonly actionSpace: DiscreteSpace = CART_POLE_ACTION_SPACE;
  /** The TimeLimit. */
  readonly maxEpisodeSteps = 500;
  /** `[x, xDot, theta, thetaDot]`. */
  readonly stateDim = 4;
  #state = [0, 0, 0, 0];

  /** The observation of a state: each component rounded to float32. */
  static observe(state: ArrayLike<number>): Float32Array {
    return Float32Array.from(state);
  }

  /** Each component uniform in `[low, high)`, by default `[-0.05, 0.05)`. */
  protected resetPhysics(rng: Rng, options: ResetOptions): void {
    const { low, high } = resetBounds(options, { low: -0.05, high: 0.05 });
    this.#state = uniformState(rng, 4, low, high);
  }

  /** Explicit Euler step of size 0.02 s. */
  protected advance(action: number): { reward: number; terminated: boolean } {
    const terminated = cartPoleStep(this.#state, action);
    return { reward: 1.0, terminated };
  }

  /** float32 of the state. */
  protected observe(): Float32Array {
    return CartPoleEnv.observe(this.#state);
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

/** CartPole-v1's observation space. */
export const CART_POLE_OBSERVATION_SPACE: BoxSpace = float32Box(
  [-4.8, -Infinity, -CART_POLE_THETA_THRESHOLD * 2, -Infinity],
  [4.8, Infinity, CART_POLE_THETA_THRESHOLD * 2, Infinity],
);
/** CartPole-v1's action space. */
export const CART_POLE_ACTION_SPACE: DiscreteSpace = Object.freeze({ kind: "discrete", n: 2 });

/**
 * CartPole-v1's rules on observation batches `[n * 4]`: reward 1 for every transition
 * (including the terminating one); terminated when `|x| > 2.4` or `|theta| > 0.2094` in the
 * next observation (the env tests the float64 state; the float32 observation can disagree only
 * within half a float32 ulp of a threshold).
 */
export const cartPoleRules: EnvRules = defineRules(4, {
  reward(_observations, _actions, _nextObservations, n) {
    return new Float32Array(n).fill(1);
  },
  terminated(nextObservations, n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = cartPoleTerminal(nextObservations[i * 4]!, nextObservations[i * 4 + 2]!) ? 1 : 0;
    }
    return out;
  },
});
