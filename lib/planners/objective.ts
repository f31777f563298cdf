/**
 * The planning objective: the env's (or the model's) reward summed over the horizon until a
 * predicted termination, minus an optional, switchable shaping term.
 *
 * Why shaping exists: with CartPole's reward of 1 per step, a 10-15 step horizon cannot see the
 * cart drifting out of |x| < 2.4, and planning on survival alone plateaus below 475 even with
 * the true dynamics as the model (`shared/FACTS.md`). A small quadratic penalty on the pole
 * angle (and cart position) in each imagined next observation breaks the ties among the many
 * sequences that all survive the horizon. Evaluation never sees it: reported returns are the
 * env's true returns.
 *
 * @module
 */
import type { EnvId } from "../envs/types.ts";

/**
 * A quadratic penalty on imagined next observations: each alive step subtracts
 * `sum_j weights[j] * obs[j]^2`.
 */
export interface QuadraticShaping {
  /** One weight per observation component, `[stateDim]`. */
  weights: readonly number[];
}

/**
 * The default shaping weights per env: CartPole-v1 penalises the pole angle `theta` with
 * weight 0.05; other envs get none. A penalty on `x` as well (0.05 on both, the prototype's
 * first setting) made even the true-dynamics controller drop the pole after ~110 steps here:
 * it lets the pole lean to keep the cart central.
 */
export const DEFAULT_SHAPING: Readonly<Partial<Record<EnvId, QuadraticShaping>>> = Object.freeze({
  "CartPole-v1": Object.freeze({ weights: Object.freeze([0, 0, 0.05, 0]) }),
});

/** The default shaping of `envId`, or `null` where there is none. */
export function defaultShaping(envId: EnvId | string | undefined): QuadraticShaping | null {
  if (envId === undefined) return null;
  return DEFAULT_SHAPING[envId as EnvId] ?? null;
}

/**
 * Resolves a planner's `shaping` option: `undefined` means the env's default, `null` or
 * `false` means none.
 *
 * @throws {RangeError} when the weights do not match `stateDim` or are not finite.
 */
export function resolveShaping(
  shaping: QuadraticShaping | null | false | undefined,
  context: { envId?: EnvId | string; stateDim: number },
): Float32Array | null {
  const chosen = shaping === undefined ? defaultShaping(context.envId) : shaping || null;
  if (chosen === null) return null;
  const { weights } = chosen;
  if (weights.length !== context.stateDim) {
    throw new RangeError(
      `Expected shaping weights to have ${context.stateDim} entries (one per observation component) but found ${weights.length}`,
    );
  }
  for (const w of weights) {
    if (!Number.isFinite(w)) {
      throw new RangeError(`Expected shaping weights to be finite numbers but found ${w}`);
    }
  }
  return weights.every((w) => w === 0) ? null : Float32Array.from(weights);
}
