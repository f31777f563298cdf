/**
 * Greedy evaluation shared by the model-free baselines: `episodes` evaluation environments
 * stepped side by side, one batched network call per time step for all still-running
 * episodes (a solved 10-episode evaluation is 500 calls on `[<=10, 4]`, not 5,000 on `[1, 4]`).
 * Evaluation steps never count as training steps.
 *
 * @module
 */
import type { Env } from "../envs/types.ts";
import type { Rng } from "../rng.ts";

/**
 * Picks one discrete action per row of `observations` (`[n * obsDim]` row-major); returns `[n]`.
 */
export type BatchPolicy = (observations: Float32Array, n: number) => ArrayLike<number>;

/** Result of {@linkcode evaluateBatched}. */
export interface EvalResult {
  /** Undiscounted return of each episode, `[episodes]`. */
  returns: number[];
  mean: number;
  /** Population standard deviation of the returns. */
  std: number;
}

/**
 * Runs one episode in each of `envs` (reset with seeds drawn from `rng`) with `policy`,
 * batching the still-running episodes, and returns their returns.
 *
 * @example
 * ```ts
 * const envs = Array.from({ length: 10 }, () => makeEnv("CartPole-v1"));
 * const { mean } = evaluateBatched(envs, (obs, n) => new Int32Array(n), rng.stream("eval"));
 * ```
 */
export function evaluateBatched(envs: readonly Env[], policy: BatchPolicy, rng: Rng): EvalResult {
  const dim = envs[0]!.observationSpace.shape[0]!;
  const obs = envs.map((env) => env.reset({ seed: rng.nextSeed() }).observation);
  const returns = envs.map(() => 0);
  let alive = envs.map((_, i) => i);
  const batch = new Float32Array(envs.length * dim);
  while (alive.length > 0) {
    alive.forEach((e, row) => batch.set(obs[e]!, row * dim));
    const actions = policy(batch.subarray(0, alive.length * dim), alive.length);
    const still: number[] = [];
    alive.forEach((e, row) => {
      const step = envs[e]!.step(actions[row]!);
      returns[e]! += step.reward;
      obs[e] = step.observation;
      if (!step.terminated && !step.truncated) still.push(e);
    });
    alive = still;
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length);
  return { returns, mean, std };
}

/** Index of the largest of `k` values in each row of `values` (`[n * k]`); returns `[n]`. */
export function argmaxRows(values: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** What the model-free trainers report through `onProgress` (after each evaluation). */
export interface BaselineProgress {
  /** Cumulative real environment steps (evaluation excluded). */
  envSteps: number;
  /** The step budget. */
  maxSteps: number;
  /** Training episodes finished so far. */
  episodes: number;
  /** The latest evaluation mean, or `null` before the first evaluation. */
  lastEvalMean: number | null;
}
