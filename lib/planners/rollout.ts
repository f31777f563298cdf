/**
 * The inner loop of trajectory evaluation as one pure function over prepared arrays, so that
 * the main thread and the planning workers run exactly the same code on their share of rows.
 *
 * Member choices are drawn before the rollout (by {@linkcode TrajectoryEvaluator}, on the
 * main thread, from each planning slot's own stream); Gaussian noise is drawn during it from
 * per-block streams of a seed per slot ({@linkcode RolloutNoise}). Both are replayed to the
 * model row by row, so a row's result does not depend on which thread or block computes it.
 *
 * @module
 */
import type { EnvRules } from "../envs/types.ts";
import { deltaStdOf, epistemicDisagreement } from "../models/disagreement.ts";
import type { Normalizer } from "../models/normalizer.ts";
import type { DynamicsModel, DynamicsPrediction } from "../models/types.ts";
import { Rng } from "../rng.ts";
import type { RuleSource } from "./trajectory_evaluator.ts";

/** Rows per model call: larger batches were slower per FLOP here (cache), smaller ones pay dispatch. */
export const ROLLOUT_BLOCK_ROWS = 2048;

/** What a rollout computes, independent of the rows (plain data: it is posted to workers). */
export interface RolloutSpec {
  /** State (observation) dimension `d`. */
  stateDim: number;
  /** Width of one env action row. */
  envDim: number;
  /** Horizon `H`. */
  horizon: number;
  /** Per-step discount. */
  discount: number;
  /** Quadratic shaping weights `[d]`, or null. */
  shaping: Float32Array | null;
  /** Rewards from the env's rules or the model. */
  rewardSource: RuleSource;
  /** Terminations from the env's rules or the model. */
  terminationSource: RuleSource;
  /**
   * `"predict"`: the model's mean; `"sample"`: `model.sample` with the member
   * choices and Gaussian noise of {@linkcode RolloutBatch}.
   */
  call: "predict" | "sample";
  /**
   * Weight of the exploration bonus: every alive step also adds `bonusWeight * d_t`, the
   * ensemble's epistemic disagreement at `(s_t, a_t)` (`epistemicDisagreement`; ensembles
   * only). 0 or absent: off.
   */
  bonusWeight?: number;
  /**
   * Also write each row's terminal weight `discount^H * alive_H` and last imagined state `s_H`
   * (see {@linkcode rolloutStride}), for the caller's terminal value.
   */
  terminal?: boolean;
}

/**
 * Numbers {@linkcode rolloutTotals} writes per row: 1 (the objective), or with
 * `spec.terminal` `2 + stateDim` (the objective, the terminal weight `discount^H * alive_H`,
 * then `s_H`).
 *
 * @example
 * ```ts
 * const spec: RolloutSpec = { stateDim: 4, envDim: 1, horizon: 2, discount: 1, shaping: null,
 *   rewardSource: "env", terminationSource: "env", call: "predict", terminal: true };
 * rolloutStride(spec); // 6
 * ```
 */
export function rolloutStride(spec: RolloutSpec): number {
  return spec.terminal === true ? 2 + spec.stateDim : 1;
}

/**
 * The per-dimension delta std the exploration bonus divides by, from an ensemble's target
 * normaliser.
 * @throws {TypeError} when `model` is not an ensemble with a target normaliser.
 */
function bonusScale(model: DynamicsModel): Float32Array {
  const norm = (model as { targetNormalizer?: Normalizer }).targetNormalizer;
  if (model.numMembers < 2 || norm === undefined) {
    throw new TypeError(
      `Expected an ensemble dynamics model for the exploration bonus but found one with ${model.numMembers} member(s)`,
    );
  }
  return deltaStdOf({ stateDim: model.stateDim, targetNormalizer: norm });
}

/** Writes rows `[0, n)` of a block at row `offset` of `out`, in the layout of {@linkcode rolloutStride}. */
function writeRows(
  spec: RolloutSpec,
  out: Float64Array,
  offset: number,
  total: Float64Array,
  alive: Uint8Array,
  weight: number,
  finalState: (r: number, j: number) => number,
): void {
  const stride = rolloutStride(spec);
  const d = spec.stateDim;
  for (let r = 0; r < total.length; r++) {
    const o = (offset + r) * stride;
    out[o] = total[r]!;
    if (stride === 1) continue;
    out[o + 1] = alive[r] === 1 ? weight : 0;
    for (let j = 0; j < d; j++) out[o + 2 + j] = finalState(r, j);
  }
}

/**
 * Where a rollout's Gaussian model noise comes from (probabilistic sample calls): one seed per
 * job (planning slot) for this call, from which every row draws its own noise by blocks of
 * {@linkcode NOISE_BLOCK_ROWS} rows ({@linkcode blockNoise}). A row's noise depends only on its
 * job's seed and its index within the job, so any thread can draw the noise of the rows it
 * rolls out, and a share of the rows sees the same noise as the whole batch.
 */
export interface RolloutNoise {
  /** One stream seed per job, `[K]` (integers in [0, 2^31)). */
  seeds: Int32Array;
  /**
   * The row at which each job starts, `[K + 1]` (the last entry is where the last job ends),
   * in this batch's rows: a share that starts inside a job has a negative first entry.
   */
  starts: Int32Array;
}

/** The rows of one rollout: start states, env actions and the randomness, step-major. */
export interface RolloutBatch {
  /** Rows `R`. */
  rows: number;
  /** Start state of each row, `[R * d]`. */
  states: Float32Array;
  /** Env actions, `[H * R * envDim]`: step `t`, row `r` at `(t * R + r) * envDim`. */
  actions: Float32Array;
  /** Ensemble member (elite index) per step and row, `[H * R]` (sample calls with ensembles). */
  members?: Int32Array;
  /** The Gaussian noise's seeds (probabilistic sample calls). */
  noise?: RolloutNoise;
}

/** Rows per noise stream: small, so that a share's partly used edge blocks cost little. */
export const NOISE_BLOCK_ROWS = 32;

/**
 * The standard normal noise rows `[a, b)` of a batch need for `H` steps: state noise
 * `[H * (b - a) * d]` and reward noise `[H * (b - a)]`, step-major (step `t`, row `r` at
 * `t * (b - a) + (r - a)`). Row `i` of job `k` draws from the stream of block
 * `floor(i / NOISE_BLOCK_ROWS)` of seed `seeds[k]`, which, step by step, draws the `d` state
 * values of each of the block's rows and then their reward values (the order in which
 * `BaseDynamicsModel.sample` consumes them).
 *
 * @example
 * ```ts
 * const noise: RolloutNoise = { seeds: Int32Array.of(7), starts: Int32Array.of(0, 100) };
 * const all = blockNoise(noise, 0, 100, 2, 4);
 * const part = blockNoise(noise, 40, 60, 2, 4);
 * part.rewardNoise[0] === all.rewardNoise[40]; // true: a row's noise does not depend on the split
 * ```
 */
export function blockNoise(
  noise: RolloutNoise,
  a: number,
  b: number,
  H: number,
  d: number,
): { meanNoise: Float64Array; rewardNoise: Float64Array } {
  const n = b - a;
  const meanNoise = new Float64Array(H * n * d);
  const rewardNoise = new Float64Array(H * n);
  const { seeds, starts } = noise;
  for (let k = 0; k < seeds.length; k++) {
    const start = starts[k]!;
    const jobRows = starts[k + 1]! - start;
    const i0 = Math.max(a, start) - start;
    const i1 = Math.min(b, start + jobRows) - start;
    if (i0 >= i1) continue;
    for (let q = Math.floor(i0 / NOISE_BLOCK_ROWS); q * NOISE_BLOCK_ROWS < i1; q++) {
      const first = q * NOISE_BLOCK_ROWS;
      const last = Math.min(first + NOISE_BLOCK_ROWS, jobRows);
      // seeds < 2^31 and q < 2^21 here: a distinct safe integer per (job seed, block).
      const rng = new Rng(seeds[k]! * 2 ** 21 + q);
      for (let t = 0; t < H; t++) {
        for (let i = first; i < last; i++) {
          const used = i >= i0 && i < i1;
          const o = (t * n + start + i - a) * d;
          for (let j = 0; j < d; j++) {
            const v = rng.normal();
            if (used) meanNoise[o + j] = v;
          }
        }
        for (let i = first; i < last; i++) {
          const v = rng.normal();
          if (i >= i0 && i < i1) rewardNoise[t * n + start + i - a] = v;
        }
      }
    }
  }
  return { meanNoise, rewardNoise };
}

/**
 * An {@linkcode Rng} that hands out given normal draws in order: the state noise, then the
 * reward noise, the order in which `BaseDynamicsModel.sample` draws them. Any other draw
 * throws, so a change in how the model consumes randomness fails loudly.
 */
class ReplayRng extends Rng {
  #first: Float64Array;
  #second: Float64Array;
  #i = 0;

  constructor(first: Float64Array, second: Float64Array) {
    super(0);
    this.#first = first;
    this.#second = second;
  }

  override normal(): number {
    const i = this.#i++;
    const n = this.#first.length;
    if (i < n) return this.#first[i]!;
    if (i - n < this.#second.length) return this.#second[i - n]!;
    throw new Error("The model drew more normal values than the planner prepared");
  }

  override uniform(): number {
    throw new Error("The model drew a uniform value the planner did not prepare");
  }

  override int(_n: number): number {
    throw new Error("The model drew an integer the planner did not prepare");
  }
}

const EMPTY = new Float64Array(0);

/**
 * Rolls rows `[lo, hi)` of `batch` out for `spec.horizon` steps and writes each row's
 * discounted objective to `out[(r - lo) * stride]` (`stride` from {@linkcode rolloutStride}):
 * `sum_t discount^t * alive_t * (reward_t + bonusWeight * d_t - shaping(next_t))`, a row
 * stopping after its first terminal next state (whose reward counts); with `spec.terminal`,
 * followed by `discount^H * alive_H` and `s_H`.
 * Rows are processed in blocks of at most {@linkcode ROLLOUT_BLOCK_ROWS} model rows; `onBlockStep`
 * is called after every model call (the workers' heartbeat).
 *
 * @example
 * ```ts
 * import { TrueDynamicsModel } from "./true_dynamics_model.ts";
 * import { CartPoleEnv, cartPoleRules } from "../envs/cart_pole.ts";
 * const model = new TrueDynamicsModel({ env: new CartPoleEnv() });
 * const spec: RolloutSpec = { stateDim: 4, envDim: 1, horizon: 2, discount: 1, shaping: null,
 *   rewardSource: "env", terminationSource: "env", call: "predict" };
 * const batch: RolloutBatch = { rows: 1, states: new Float32Array(4), actions: Float32Array.of(1, 0) };
 * const out = new Float64Array(1);
 * rolloutTotals(model, cartPoleRules, spec, batch, { lo: 0, hi: 1, out });
 * out[0]; // 2
 * ```
 */
export function rolloutTotals(
  model: DynamicsModel,
  rules: EnvRules | undefined,
  spec: RolloutSpec,
  batch: RolloutBatch,
  range: { lo: number; hi: number; out: Float64Array; onBlockStep?: () => void },
): void {
  const { stateDim: d, envDim, horizon: H, discount, shaping } = spec;
  const { rows: R } = batch;
  const { lo, hi, out } = range;
  const bonus = spec.bonusWeight ?? 0;
  const deltaStd = bonus > 0 ? bonusScale(model) : undefined;
  for (let a = lo; a < hi; a += ROLLOUT_BLOCK_ROWS) {
    const b = Math.min(hi, a + ROLLOUT_BLOCK_ROWS);
    if (spec.call === "predict") {
      rolloutDeterministic(model, rules, spec, batch, a, b, range, deltaStd);
      continue;
    }
    const n = b - a;
    let states: Float32Array = batch.states.slice(a * d, b * d);
    const alive = new Uint8Array(n).fill(1);
    const total = new Float64Array(n);
    // Drawn here, by whichever thread rolls these rows out (see RolloutNoise).
    const noise = batch.noise === undefined ? undefined : blockNoise(batch.noise, a, b, H, d);
    let weight = 1;
    for (let t = 0; t < H; t++) {
      const base = t * R;
      const actions = batch.actions.subarray((base + a) * envDim, (base + b) * envDim);
      const members = batch.members?.subarray(base + a, base + b);
      const rng = new ReplayRng(
        noise?.meanNoise.subarray(t * n * d, (t + 1) * n * d) ?? EMPTY,
        noise?.rewardNoise.subarray(t * n, (t + 1) * n) ?? EMPTY,
      );
      const pred = model.sample(states, actions, {
        rng,
        propagation: members === undefined ? "ts1" : "tsinf",
        members,
      });
      range.onBlockStep?.();
      // The disagreement needs every elite on every row: one more (deterministic) call.
      const disagreement = deltaStd === undefined
        ? undefined
        : epistemicDisagreement(model.predict(states, actions), deltaStd);
      const next = pred.mean;
      const reward = spec.rewardSource === "env"
        ? rules!.reward(states, actions, next, n)
        : pred.reward;
      const done = terminated(spec.terminationSource, rules, pred, n);
      accumulateStep(total, alive, { reward, next, done, weight, shaping, d, n }, {
        disagreement,
        bonus,
      });
      states = next;
      weight *= discount;
    }
    const last = states;
    writeRows(spec, out, a - lo, total, alive, weight, (r, j) => last[r * d + j]!);
  }
}

/** Largest action index (exclusive) for which rows are merged by action prefix. */
const MERGE_ACTIONS = 64;

/**
 * Rows `[a, b)` with a deterministic model: rows that share a start state and every action
 * so far share their state, so each step predicts once per distinct (state group, action) and
 * hands the result to every row of the group. With Discrete actions most early steps have few
 * distinct prefixes (random shooting over 2 actions: 2, 4, 8, ... of 500 rows), which saves
 * model rows without changing any row's result (the model treats rows independently). Steps
 * whose actions are not small integers predict every group as it is.
 */
function rolloutDeterministic(
  model: DynamicsModel,
  rules: EnvRules | undefined,
  spec: RolloutSpec,
  batch: RolloutBatch,
  a: number,
  b: number,
  range: { lo: number; out: Float64Array; onBlockStep?: () => void },
  deltaStd: Float32Array | undefined,
): void {
  const { stateDim: d, envDim, horizon: H, discount, shaping } = spec;
  const bonus = spec.bonusWeight ?? 0;
  const R = batch.rows;
  const n = b - a;
  // Initial groups: runs of rows with the same start state (a job's rows are contiguous).
  const group = new Int32Array(n);
  const start = batch.states;
  let groups = 0;
  for (let r = 0; r < n; r++) {
    let same = r > 0;
    for (let j = 0; same && j < d; j++) {
      if (!Object.is(start[(a + r) * d + j], start[(a + r - 1) * d + j])) same = false;
    }
    group[r] = same ? group[r - 1]! : groups++;
  }
  let groupStates: Float32Array = new Float32Array(groups * d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) groupStates[group[r]! * d + j] = start[(a + r) * d + j]!;
  }
  const alive = new Uint8Array(n).fill(1);
  const total = new Float64Array(n);
  const next = new Int32Array(n);
  const firstRow = new Int32Array(n);
  // A terminated row's objective no longer changes, so its states need no more predictions,
  // unless its last state is written out for a terminal value (where it must stay the
  // model's). Rows are independent through the model, so this changes no result.
  const skipDone = rolloutStride(spec) === 1;
  let weight = 1;
  for (let t = 0; t < H; t++) {
    const actions = batch.actions.subarray((t * R + a) * envDim, (t * R + b) * envDim);
    // The distinct (group, action) pairs of this step's live rows, as new groups.
    let small = envDim === 1;
    let k = 1;
    for (let r = 0; small && r < n; r++) {
      const v = actions[r]!;
      // (v | 0) === v with the range check is Number.isInteger(v) here, without a call.
      if (!(v >= 0 && v < MERGE_ACTIONS && (v | 0) === v)) small = false;
      else if (v + 1 > k) k = v + 1;
    }
    let count = 0;
    if (small) {
      const table = new Int32Array(groups * k).fill(-1);
      for (let r = 0; r < n; r++) {
        if (skipDone && alive[r] === 0) continue;
        const key = group[r]! * k + actions[r]!;
        let id = table[key]!;
        if (id < 0) {
          firstRow[count] = r;
          id = table[key] = count++;
        }
        next[r] = id;
      }
    } else {
      for (let r = 0; r < n; r++) {
        if (skipDone && alive[r] === 0) continue;
        next[r] = count;
        firstRow[count++] = r;
      }
    }
    if (count === 0) break;
    const inStates = new Float32Array(count * d);
    const inActions = new Float32Array(count * envDim);
    for (let u = 0; u < count; u++) {
      const r = firstRow[u]!;
      const g = group[r]!;
      for (let j = 0; j < d; j++) inStates[u * d + j] = groupStates[g * d + j]!;
      for (let c = 0; c < envDim; c++) inActions[u * envDim + c] = actions[r * envDim + c]!;
    }
    const pred = model.predict(inStates, inActions);
    range.onBlockStep?.();
    const nextStates = pred.mean;
    const reward = spec.rewardSource === "env"
      ? rules!.reward(inStates, inActions, nextStates, count)
      : pred.reward;
    const done = terminated(spec.terminationSource, rules, pred, count);
    const disagreement = deltaStd === undefined ? undefined : epistemicDisagreement(pred, deltaStd);
    const values = new Float64Array(count);
    for (let u = 0; u < count; u++) {
      let value = reward[u]!;
      if (disagreement !== undefined) value += bonus * disagreement[u]!;
      if (shaping !== null) {
        for (let j = 0; j < d; j++) {
          const w = shaping[j]!;
          if (w !== 0) value -= w * nextStates[u * d + j]! ** 2;
        }
      }
      values[u] = value;
    }
    for (let r = 0; r < n; r++) {
      if (alive[r] === 0) continue;
      const u = next[r]!;
      total[r] = total[r]! + weight * values[u]!;
      if (done[u] === 1) alive[r] = 0;
    }
    group.set(next);
    groups = count;
    groupStates = nextStates;
    weight *= discount;
  }
  const last = groupStates;
  writeRows(
    spec,
    range.out,
    a - range.lo,
    total,
    alive,
    weight,
    (r, j) => last[group[r]! * d + j]!,
  );
}

/**
 * Adds one imagined step to each live row's objective: `weight * (reward + bonus *
 * disagreement - shaping(next))`, then marks the rows that terminated. The one per-step
 * accumulation of the rollout kernel and of the evaluator's row-by-row path.
 *
 * @example
 * ```ts
 * const total = new Float64Array(2);
 * const alive = Uint8Array.of(1, 1);
 * accumulateStep(total, alive, {
 *   reward: Float32Array.of(1, 1), next: new Float32Array(8), done: Uint8Array.of(0, 1),
 *   weight: 1, shaping: null, d: 4, n: 2,
 * });
 * // total: [1, 1]; alive: [1, 0]
 * ```
 */
export function accumulateStep(
  total: Float64Array,
  alive: Uint8Array,
  step: {
    reward: ArrayLike<number>;
    next: ArrayLike<number>;
    done: ArrayLike<number>;
    weight: number;
    shaping: ArrayLike<number> | null;
    d: number;
    n: number;
  },
  exploration: { disagreement?: ArrayLike<number>; bonus?: number } = {},
): void {
  const { reward, next, done, weight, shaping, d, n } = step;
  const { disagreement, bonus = 0 } = exploration;
  for (let r = 0; r < n; r++) {
    if (alive[r] === 0) continue;
    let value = reward[r]!;
    if (disagreement !== undefined) value += bonus * disagreement[r]!;
    if (shaping !== null) {
      for (let j = 0; j < d; j++) {
        const w = shaping[j]!;
        if (w !== 0) value -= w * next[r * d + j]! ** 2;
      }
    }
    total[r] = total[r]! + weight * value;
    if (done[r] === 1) alive[r] = 0;
  }
}

/** Terminal flags `[n]` of a prediction, from the env's rule or the model's head (> 0.5). */
export function terminated(
  source: RuleSource,
  rules: EnvRules | undefined,
  pred: DynamicsPrediction,
  n: number,
): Uint8Array {
  if (source === "env") return rules!.terminated(pred.mean, n);
  const out = new Uint8Array(n);
  const prob = pred.terminationProb;
  if (prob !== undefined) { for (let r = 0; r < n; r++) out[r] = prob[r]! > 0.5 ? 1 : 0; }
  return out;
}
