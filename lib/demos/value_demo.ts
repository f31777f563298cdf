/**
 * The rows notebook 05 (value-guided planning and exploration) draws: one planner episode on
 * an env with the reason it ended, a learned value evaluated on a grid over two state
 * dimensions, the states a run visited, and the share of a grid of cells they cover.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import type { Env, EnvId } from "../envs/types.ts";
import type { PlanStats } from "../planners/mpc.ts";
import type { EpisodeRecord } from "./episode.ts";
import { type EpisodePlanner, planEpisode } from "./model_demo.ts";

/** Why an episode stopped. */
export type EpisodeEnding =
  /** CartPole: the pole passed ±12 degrees (the cart still inside ±2.4). */
  | "pole angle"
  /** CartPole: the cart left ±2.4 (checked first, as when both happen). */
  | "cart position"
  /** MountainCar, MountainCarContinuous, Acrobot: the goal was reached. */
  | "goal"
  /** The env's TimeLimit (truncated). */
  | "time limit"
  /** The caller's `maxSteps` cap, before any of the above. */
  | "step cap";

/** Names of each env's physical state components (`env.getState()`), in order. */
export const STATE_NAMES: Readonly<Record<EnvId, readonly string[]>> = Object.freeze({
  "CartPole-v1": ["x", "x_dot", "theta", "theta_dot"],
  "Pendulum-v1": ["theta", "theta_dot"],
  "MountainCar-v0": ["position", "velocity"],
  "MountainCarContinuous-v0": ["position", "velocity"],
  "Acrobot-v1": ["theta1", "theta2", "theta1_dot", "theta2_dot"],
});

/**
 * Why an episode of `envId` ended, from its flags and its last physical state: a truncation
 * is `"time limit"`, neither flag is `"step cap"`; a CartPole termination is `"cart position"`
 * when `|x| > 2.4` (Gymnasium's bound), else `"pole angle"`; any other env terminates only at
 * its goal. Pendulum-v1 never terminates.
 *
 * @example
 * ```ts
 * episodeEnding("CartPole-v1", { terminated: true, truncated: false }, [2.45, 1, 0.01, 0]); // "cart position"
 * episodeEnding("MountainCar-v0", { terminated: true, truncated: false }, [0.51, 0.02]); // "goal"
 * ```
 * @throws {RangeError} for a terminated Pendulum-v1 episode (it has no terminal states).
 */
export function episodeEnding(
  envId: EnvId,
  flags: { terminated: boolean; truncated: boolean },
  lastState: ArrayLike<number>,
): EpisodeEnding {
  if (flags.terminated) {
    if (envId === "CartPole-v1") {
      return Math.abs(lastState[0]!) > 2.4 ? "cart position" : "pole angle";
    }
    if (envId === "Pendulum-v1") {
      throw new RangeError(
        "Expected a Pendulum-v1 episode never to terminate but found terminated",
      );
    }
    return "goal";
  }
  return flags.truncated ? "time limit" : "step cap";
}

/** One state component at one step of one episode (tidy rows for `stateTrace`). */
export interface StateTraceRow {
  /** The episode's label (e.g. "seed 0"). */
  series: string;
  /** Step index: 0 is the state after reset. */
  step: number;
  /** State component name (from {@linkcode STATE_NAMES}). */
  dim: string;
  value: number;
}

/** Options of {@linkcode myopicEpisode}. */
export interface MyopicEpisodeOptions {
  /** Reset seed. @default {0} */
  seed?: number;
  /** Stop after this many steps. @default {the env's time limit} */
  maxSteps?: number;
  /** Label of the rows. @default {`seed ${seed}`} */
  series?: string;
  /** Components recorded in `rows`, by name. @default {all of STATE_NAMES[env.id]} */
  dims?: readonly string[];
  /** Plan with `{ explore: true }` (the exploration bonus, when the planner has one). @default {false} */
  explore?: boolean;
}

/** What {@linkcode myopicEpisode} returns. */
export interface MyopicEpisodeResult {
  /** The whole episode (states, observations, actions, rewards, flags). */
  episode: EpisodeRecord;
  /** Why it ended. */
  ending: EpisodeEnding;
  /** The chosen components at every step, `(length + 1) * dims.length` rows. */
  rows: StateTraceRow[];
  /** Planning statistics per step (empty for a planner without `lastStats`). */
  stats: PlanStats[];
}

/**
 * Plays one episode of `env` choosing each action with `planner` (reset first), scored by the
 * env itself (its true reward and termination), and says why it ended. With a planner on the
 * true dynamics ({@linkcode TrueDynamicsModel}) and the true reward, what goes wrong is the
 * objective's fault, not a model's.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/registry.ts";
 * import { RandomShootingMPC } from "../planners/mpc.ts";
 * import { TrueDynamicsModel } from "../planners/true_dynamics_model.ts";
 * const planner = new RandomShootingMPC({
 *   dynamicsModel: new TrueDynamicsModel({ env: makeEnv("CartPole-v1") }),
 *   envId: "CartPole-v1",
 *   horizon: 5,
 *   numSamples: 20,
 *   shaping: null,
 * });
 * const { ending, rows } = myopicEpisode(makeEnv("CartPole-v1"), planner, {
 *   maxSteps: 10,
 *   dims: ["x", "theta"],
 * });
 * ending; // "step cap" (10 steps is too short to fail), or how it failed
 * rows.length; // 2 rows (x, theta) per state: up to 22
 * ```
 * @throws {RangeError} on a `dims` name the env's state does not have.
 */
export function myopicEpisode(
  env: Env,
  planner: EpisodePlanner,
  options: MyopicEpisodeOptions = {},
): MyopicEpisodeResult {
  const { seed = 0, maxSteps, explore = false } = options;
  const series = options.series ?? `seed ${seed}`;
  const names = STATE_NAMES[env.id];
  const dims = options.dims ?? names;
  const indices = dims.map((dim) => {
    const i = names.indexOf(dim);
    if (i < 0) {
      throw new RangeError(
        `Expected dims to name ${env.id} state components (${names.join(", ")}) but found "${dim}"`,
      );
    }
    return i;
  });
  const { episode, stats } = planEpisode(env, planner, { seed, maxSteps, explore });
  const ending = episodeEnding(env.id, episode, episode.states[episode.states.length - 1]!);
  const rows: StateTraceRow[] = [];
  episode.states.forEach((state, step) => {
    indices.forEach((i, k) => rows.push({ series, step, dim: dims[k]!, value: state[i]! }));
  });
  return { episode, ending, rows, stats };
}

/** One axis of a {@linkcode ValueGrid}: a state component swept over `[min, max]`. */
export interface GridAxis {
  /** Index of the component in the state vector. */
  dim: number;
  min: number;
  max: number;
  /** Grid points, `min` and `max` included (at least 2). */
  steps: number;
}

/** Where {@linkcode valueGridRows} evaluates: two swept components, the others fixed. */
export interface ValueGrid {
  /** The full state the other components are taken from, `[stateDim]`. */
  base: ArrayLike<number>;
  /** The component on the figure's x axis. */
  x: GridAxis;
  /** The component on the figure's y axis. */
  y: GridAxis;
}

/** One grid point's value (tidy rows for `valueMap`). */
export interface ValueGridRow {
  x: number;
  y: number;
  value: number;
}

/** Any batched function of states, e.g. `ValueFunction.predict`: `[n * stateDim]` to `[n]`. */
export type StateValueFn = (states: Float32Array, n: number) => ArrayLike<number>;

function checkAxis(axis: GridAxis, name: string, stateDim: number): void {
  if (!Number.isInteger(axis.dim) || axis.dim < 0 || axis.dim >= stateDim) {
    throw new RangeError(
      `Expected ${name}.dim to be an integer in [0, ${stateDim}) but found ${axis.dim}`,
    );
  }
  if (!Number.isInteger(axis.steps) || axis.steps < 2) {
    throw new RangeError(`Expected ${name}.steps to be an integer >= 2 but found ${axis.steps}`);
  }
  if (!(Number.isFinite(axis.min) && Number.isFinite(axis.max) && axis.min < axis.max)) {
    throw new RangeError(
      `Expected ${name}.min < ${name}.max, both finite, but found [${axis.min}, ${axis.max}]`,
    );
  }
}

/**
 * `valueOf` on every point of a `grid.x.steps x grid.y.steps` grid over two state components
 * (evenly spaced, ends included), the other components fixed at `grid.base`: one batched call,
 * rows `{ x, y, value }` with x varying fastest.
 *
 * @example
 * ```ts
 * // V(s) = x + 10 y on a 2 x 2 grid.
 * const rows = valueGridRows((states, n) => {
 *   const out = new Float32Array(n);
 *   for (let i = 0; i < n; i++) out[i] = states[2 * i]! + 10 * states[2 * i + 1]!;
 *   return out;
 * }, { base: [0, 0], x: { dim: 0, min: 0, max: 1, steps: 2 }, y: { dim: 1, min: 0, max: 1, steps: 2 } });
 * rows.map((r) => r.value); // [0, 1, 10, 11]
 * ```
 * @throws {RangeError} on a bad axis (dim out of range, fewer than 2 steps, empty range), the
 *   same dim on both axes, a non-finite base, or a result of the wrong length or non-finite.
 */
export function valueGridRows(valueOf: StateValueFn, grid: ValueGrid): ValueGridRow[] {
  const d = grid.base.length;
  checkAxis(grid.x, "x", d);
  checkAxis(grid.y, "y", d);
  if (grid.x.dim === grid.y.dim) {
    throw new RangeError(`Expected two different dims but found ${grid.x.dim} on both axes`);
  }
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(grid.base[j]!)) {
      throw new RangeError(`Expected base[${j}] to be finite but found ${grid.base[j]}`);
    }
  }
  const at = (axis: GridAxis, k: number) =>
    k === axis.steps - 1 ? axis.max : axis.min + (axis.max - axis.min) * k / (axis.steps - 1);
  const n = grid.x.steps * grid.y.steps;
  const states = new Float32Array(n * d);
  const points: { x: number; y: number }[] = [];
  for (let iy = 0; iy < grid.y.steps; iy++) {
    for (let ix = 0; ix < grid.x.steps; ix++) {
      const i = points.length;
      for (let j = 0; j < d; j++) states[i * d + j] = grid.base[j]!;
      const x = at(grid.x, ix);
      const y = at(grid.y, iy);
      states[i * d + grid.x.dim] = x;
      states[i * d + grid.y.dim] = y;
      points.push({ x, y });
    }
  }
  const values = valueOf(states, n);
  if (values.length !== n) {
    throw new RangeError(`Expected valueOf to return ${n} values but found ${values.length}`);
  }
  return points.map((p, i) => {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      throw new RangeError(`Expected finite values but found ${value} at (${p.x}, ${p.y})`);
    }
    return { ...p, value };
  });
}

/** One visited state in two dimensions (tidy rows for `visitedStates`). */
export interface VisitedStateRow {
  /** The run's label (e.g. "with bonus"). */
  series: string;
  x: number;
  y: number;
}

/** Options of {@linkcode visitedStateRows}. */
export interface VisitedStateOptions {
  /** Indices of the two components (x, y) in the state vector. @default {[0, 1]} */
  dims?: readonly [number, number];
  /** Keep every `every`-th transition (a thinner figure). @default {1} */
  every?: number;
}

/**
 * The two chosen components of every state in `data` (a batch, or anything with `all()`,
 * such as a replay buffer), in storage order, labelled `series`.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "../buffer/replay_buffer.ts";
 * import { Rng } from "../rng.ts";
 * import { collectRandomEpisodes } from "./buffer_demo.ts";
 * const buffer = new ReplayBuffer(1000, { stateDim: 2, actionDim: 1, rng: new Rng(0) });
 * collectRandomEpisodes("MountainCar-v0", { steps: 400, buffer });
 * const rows = visitedStateRows(buffer, "random", { every: 4 }); // 100 rows { series, x, y }
 * ```
 * @throws {RangeError} on a dim outside the state or a non-positive `every`.
 */
export function visitedStateRows(
  data: TransitionBatch | { all(): TransitionBatch },
  series: string,
  options: VisitedStateOptions = {},
): VisitedStateRow[] {
  const batch = "all" in data && typeof data.all === "function"
    ? data.all()
    : data as TransitionBatch;
  const [dx, dy] = options.dims ?? [0, 1];
  const every = options.every ?? 1;
  const d = batch.stateDim;
  for (const [name, dim] of [["dims[0]", dx], ["dims[1]", dy]] as const) {
    if (!Number.isInteger(dim) || dim < 0 || dim >= d) {
      throw new RangeError(`Expected ${name} to be an integer in [0, ${d}) but found ${dim}`);
    }
  }
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`Expected every to be a positive integer but found ${every}`);
  }
  const rows: VisitedStateRow[] = [];
  for (let i = 0; i < batch.size; i += every) {
    rows.push({ series, x: batch.states[i * d + dx]!, y: batch.states[i * d + dy]! });
  }
  return rows;
}

/** The box and resolution of {@linkcode coveredFraction}. */
export interface CoverageGrid {
  /** `[low, high]` of x. */
  x: readonly [number, number];
  /** `[low, high]` of y. */
  y: readonly [number, number];
  /** Cells per axis. @default {20} */
  cells?: number;
}

/**
 * The share of the `cells x cells` grid over the box that holds at least one of `rows`
 * (points outside the box count in the nearest edge cell): a one-number summary of how much
 * of the state space a run visited.
 *
 * @example
 * ```ts
 * coveredFraction([{ x: 0.1, y: 0.1 }, { x: 0.9, y: 0.9 }], { x: [0, 1], y: [0, 1], cells: 2 }); // 0.5
 * ```
 * @throws {RangeError} on an empty box or a non-positive `cells`.
 */
export function coveredFraction(
  rows: readonly { x: number; y: number }[],
  grid: CoverageGrid,
): number {
  const cells = grid.cells ?? 20;
  if (!Number.isInteger(cells) || cells < 1) {
    throw new RangeError(`Expected cells to be a positive integer but found ${cells}`);
  }
  const [x0, x1] = grid.x;
  const [y0, y1] = grid.y;
  if (!(x0 < x1 && y0 < y1)) {
    throw new RangeError(`Expected a non-empty box but found x [${x0}, ${x1}], y [${y0}, ${y1}]`);
  }
  const cell = (v: number, lo: number, hi: number) =>
    Math.min(cells - 1, Math.max(0, Math.floor((v - lo) / (hi - lo) * cells)));
  const seen = new Set<number>();
  for (const r of rows) seen.add(cell(r.y, y0, y1) * cells + cell(r.x, x0, x1));
  return seen.size / (cells * cells);
}

/**
 * MountainCar's textbook hand-written controller: push in the direction the car is moving
 * (`velocity >= 0`: push right, action 2; else left, action 0), which pumps energy into the
 * swing and reaches the flag in about 100-120 steps from any start. Not learned: a quick way
 * to get data that reaches the goal.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/registry.ts";
 * import { playEpisode } from "./episode.ts";
 * const episode = playEpisode(makeEnv("MountainCar-v0"), pumpingPolicy);
 * episode.terminated; // true: the flag, well before the 200-step limit
 * ```
 */
export function pumpingPolicy(observation: Float32Array): number {
  return observation[1]! >= 0 ? 2 : 0;
}
