/**
 * How planned actions become env actions. The optimisers search either a continuous box or
 * categorical indices; the env takes a Discrete index or a Box value.
 *
 * @module
 */
import type { Space } from "../envs/types.ts";

/**
 * How to plan over an action space.
 * `"continuous"`: search `u` within `actionBounds` (the design's way; for a Discrete(n) space
 * the interval is cut into n equal bins, so for CartPole the sign of `u` picks the push);
 * `"discrete"`: search action indices directly (Discrete spaces only).
 */
export type ActionMode = "continuous" | "discrete";

/** Maps planned actions to the env's encoding (what models are trained on). */
export interface ActionAdapter {
  /** Continuous or categorical search. */
  readonly mode: ActionMode;
  /** Width `A` of one planned step. */
  readonly planDim: number;
  /** Width of one env action row (1 for Discrete: the index as a number). */
  readonly envDim: number;
  /** For `"discrete"`: the number of actions; else undefined. */
  readonly categories: number | undefined;
  /** Search bounds of each planned component (continuous mode). */
  readonly bounds: readonly [number, number];
  /** True when the env's action space is Discrete. */
  readonly discreteEnv: boolean;
  /** Converts `n` planned actions `[n * planDim]` into env actions `[n * envDim]`. */
  toEnv(planned: Float32Array, n: number): Float32Array;
}

/** Options of {@linkcode makeActionAdapter}. */
export interface ActionAdapterOptions {
  /** @default {"continuous"} */
  mode?: ActionMode;
  /** Continuous search bounds. @default {[-1, 1]} */
  actionBounds?: readonly [number, number];
}

/**
 * The adapter for `space`. Box spaces are searched within `actionBounds` and mapped linearly
 * onto the env's own bounds.
 *
 * @example
 * ```ts
 * const adapter = makeActionAdapter({ kind: "discrete", n: 2 });
 * adapter.toEnv(Float32Array.of(-0.3, 0.7), 2); // Float32Array [0, 1]
 * ```
 * @throws {RangeError} for `"discrete"` on a Box space or bounds with low >= high.
 */
export function makeActionAdapter(space: Space, options: ActionAdapterOptions = {}): ActionAdapter {
  const { mode = "continuous", actionBounds = [-1, 1] } = options;
  if (mode !== "continuous" && mode !== "discrete") {
    throw new RangeError(`Expected action mode "continuous" or "discrete" but found "${mode}"`);
  }
  const [lo, hi] = actionBounds;
  if (!(lo < hi)) {
    throw new RangeError(`Expected actionBounds to have low < high but found [${lo}, ${hi}]`);
  }
  if (space.kind === "discrete") {
    const k = space.n;
    if (mode === "discrete") {
      return {
        mode,
        planDim: 1,
        envDim: 1,
        categories: k,
        bounds: [0, k - 1],
        discreteEnv: true,
        toEnv: (planned) => planned.slice(),
      };
    }
    return {
      mode,
      planDim: 1,
      envDim: 1,
      categories: undefined,
      bounds: [lo, hi],
      discreteEnv: true,
      toEnv(planned, n) {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const bin = Math.floor(((planned[i]! - lo) / (hi - lo)) * k);
          out[i] = Math.min(k - 1, Math.max(0, bin));
        }
        return out;
      },
    };
  }
  if (mode === "discrete") {
    throw new RangeError(`Expected a Discrete action space for action mode "discrete"`);
  }
  const dim = space.shape[0] ?? 1;
  return {
    mode,
    planDim: dim,
    envDim: dim,
    categories: undefined,
    bounds: [lo, hi],
    discreteEnv: false,
    toEnv(planned, n) {
      const out = new Float32Array(n * dim);
      for (let j = 0; j < n * dim; j++) {
        const a = j % dim;
        const low = space.low[a]!;
        const high = space.high[a]!;
        const u = Math.min(hi, Math.max(lo, planned[j]!));
        out[j] = low + ((u - lo) / (hi - lo)) * (high - low);
      }
      return out;
    },
  };
}
