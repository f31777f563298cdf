/**
 * Model-agnostic sequence optimisers: random shooting, the cross-entropy method (CEM) and
 * model-predictive path integral control (MPPI). Each maximises a function
 * `f(sequences [n * H * A]) -> scores [n]` and knows nothing about models or RL (mbrl-lib's
 * split). Each searches either continuous values within bounds or categorical indices
 * `{0, ..., k - 1}` (one discrete action per step, `A = 1`), sampling from a named
 * {@linkcode Rng} stream passed in.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import type {
  ActionKind,
  OptimizeOptions,
  OptimizeResult,
  OptimizerSettings,
  SequenceObjective,
  SequenceOptimizer,
} from "./types.ts";
import { ACTION_SELECTIONS, type ActionSelection, PLANNER_DEFAULTS } from "./planner_settings.ts";
import { assertInRange, assertPositive, assertPositiveInt } from "./validate.ts";

/** Options every optimiser takes. */
export interface BaseOptimizerOptions {
  /** Planning horizon `H` (steps per sequence). @default {10} */
  horizon?: number;
  /** Width `A` of one continuous step (ignored for categorical search, where it is 1). @default {1} */
  actionDim?: number;
  /** Sequences sampled per iteration. @default {1000} */
  numSamples?: number;
  /**
   * Bounds of every continuous component, `[low, high]`; each end a number or one per
   * component. @default {[-1, 1]}
   */
  actionBounds?: readonly [number | readonly number[], number | readonly number[]];
  /** When set, search categorical indices `{0, ..., categories - 1}` instead of real values. */
  categories?: number;
  /** The stream all sampling draws from. */
  rng: Rng;
}

/** Resolved, validated common settings. */
interface Common {
  horizon: number;
  actionDim: number;
  numSamples: number;
  kind: ActionKind;
  categories: number;
  low: Float32Array;
  high: Float32Array;
  rng: Rng;
}

function resolveBound(
  bound: number | readonly number[],
  actionDim: number,
  name: string,
): Float32Array {
  if (typeof bound === "number") return new Float32Array(actionDim).fill(bound);
  if (bound.length !== actionDim) {
    throw new RangeError(
      `Expected ${name} to have ${actionDim} entries (one per action component) but found ${bound.length}`,
    );
  }
  return Float32Array.from(bound);
}

function resolveCommon(options: BaseOptimizerOptions): Common {
  const d = PLANNER_DEFAULTS.common;
  const {
    horizon = d.horizon,
    numSamples = d.numSamples,
    actionBounds = d.actionBounds,
    categories,
    rng,
  } = options;
  assertPositiveInt(horizon, "horizon");
  assertPositiveInt(numSamples, "numSamples");
  if (categories !== undefined) {
    if (!Number.isInteger(categories) || categories < 2) {
      throw new RangeError(`Expected categories to be an integer >= 2 but found ${categories}`);
    }
    return {
      horizon,
      actionDim: 1,
      numSamples,
      kind: "categorical",
      categories,
      low: new Float32Array([0]),
      high: new Float32Array([categories - 1]),
      rng,
    };
  }
  const actionDim = options.actionDim ?? 1;
  assertPositiveInt(actionDim, "actionDim");
  const low = resolveBound(actionBounds[0], actionDim, "actionBounds[0]");
  const high = resolveBound(actionBounds[1], actionDim, "actionBounds[1]");
  for (let a = 0; a < actionDim; a++) {
    if (!(low[a]! < high[a]!)) {
      throw new RangeError(
        `Expected actionBounds to have low < high but found [${low[a]}, ${high[a]}]`,
      );
    }
  }
  return { horizon, actionDim, numSamples, kind: "continuous", categories: 0, low, high, rng };
}

/** Index of the largest score (NaN counts as -Infinity). */
function argmax(scores: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Indices of the `k` largest scores, best first (NaN counts as -Infinity). */
function topK(scores: Float32Array, k: number): Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(scores[i]!) ? -Infinity : scores[i]!);
  order.sort((a, b) => key(b) - key(a));
  return Int32Array.from(order.slice(0, k));
}

/** Draws one index from the probabilities `probs[offset .. offset + k)`. */
function drawCategory(rng: Rng, probs: Float32Array, offset: number, k: number): number {
  let u = rng.uniform();
  for (let c = 0; c < k - 1; c++) {
    u -= probs[offset + c]!;
    if (u < 0) return c;
  }
  return k - 1;
}

/** Fills `out [n * H]` with categorical draws from per-step `probs [H * k]`. */
function sampleCategorical(
  rng: Rng,
  probs: Float32Array,
  out: Float32Array,
  shape: { n: number; horizon: number; k: number },
): void {
  const { n, horizon, k } = shape;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < horizon; t++) out[i * horizon + t] = drawCategory(rng, probs, t * k, k);
  }
}

/** Per-step probabilities moved one step earlier, the last step uniform, blended to uniform. */
function shiftProbabilities(
  probs: Float32Array,
  shape: { horizon: number; k: number },
  blend: number,
): Float32Array {
  const { horizon, k } = shape;
  const out = new Float32Array(horizon * k).fill(1 / k);
  out.set(probs.subarray(k, horizon * k), 0);
  for (let j = 0; j < out.length; j++) out[j] = (1 - blend) * out[j]! + blend / k;
  return out;
}

/**
 * Mixes each step's probabilities with uniform so that every one is at least `floor`:
 * `p = floor + (1 - k * floor) * p / sum` (needs `floor <= 1 / k`).
 */
function floorProbabilities(probs: Float32Array, k: number, floor: number): void {
  for (let off = 0; off < probs.length; off += k) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probs[off + c]!;
    for (let c = 0; c < k; c++) {
      probs[off + c] = floor + (1 - k * floor) * probs[off + c]! / sum;
    }
  }
}

/**
 * What the three optimisers share: the resolved common options, the reused sample buffer
 * `[numSamples * H * A]` and the `horizon`/`actionDim`/`kind` getters.
 */
abstract class OptimizerBase {
  /** The resolved common options. */
  protected readonly c: Common;
  /** Sampled sequences, reused across calls. */
  protected readonly buffer: Float32Array;

  /** @throws {RangeError} on a non-positive horizon or sample count, or bad bounds. */
  constructor(options: BaseOptimizerOptions) {
    this.c = resolveCommon(options);
    this.buffer = new Float32Array(this.c.numSamples * this.c.horizon * this.c.actionDim);
  }

  /** Planning horizon `H`. */
  get horizon(): number {
    return this.c.horizon;
  }
  /** Width `A` of one step. */
  get actionDim(): number {
    return this.c.actionDim;
  }
  /** Continuous or categorical search. */
  get kind(): ActionKind {
    return this.c.kind;
  }
  /** Sequences sampled per iteration. */
  get numSamples(): number {
    return this.c.numSamples;
  }
  /** This optimiser's own settings, read from its state (random shooting has none). */
  get settings(): OptimizerSettings {
    return {};
  }

  /**
   * One call of `optimize` as a generator: each `yield` hands out `numSamples` sequences
   * `[numSamples * H * A]` (this optimiser's reused buffer: score them before the next step)
   * and receives their scores `[numSamples]`; the return value is the result.
   */
  abstract steps(
    options?: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array>;

  /** Maximises `objective` by driving {@linkcode OptimizerBase.steps} to its end. */
  optimize(objective: SequenceObjective, options: OptimizeOptions = {}): OptimizeResult {
    const run = this.steps(options);
    let next = run.next(undefined as unknown as Float32Array);
    while (next.done !== true) next = run.next(objective(next.value, this.c.numSamples));
    return next.value;
  }
}

/** Options the iterative, distribution-refitting optimisers (CEM, MPPI) share. */
interface DistributionOptions extends BaseOptimizerOptions {
  /** Categorical only: the smallest probability any action keeps after an update. */
  minProbability?: number;
  /** Categorical only: how far the shifted warm start is pulled back towards uniform. */
  shiftBlend?: number;
}

/**
 * CEM's and MPPI's shared part: the categorical floor and shift blend, the initial
 * distribution, the warm-start shift, and `optimize` dispatching on the search kind.
 */
abstract class DistributionOptimizer extends OptimizerBase {
  /** Categorical only: the smallest probability after an update (0 when continuous). */
  protected readonly minProbability: number;
  /** Categorical only: the pull of the shifted warm start towards uniform. */
  protected readonly shiftBlend: number;

  /** @throws {RangeError} on bad common options, `minProbability` or `shiftBlend`. */
  constructor(options: DistributionOptions) {
    super(options);
    // CEM and MPPI share these defaults.
    const { shiftBlend = PLANNER_DEFAULTS.cem.shiftBlend } = options;
    const minProbability = options.minProbability ??
      (this.c.kind === "categorical" ? PLANNER_DEFAULTS.minProbability(this.c.categories) : 0);
    if (this.c.kind === "categorical") {
      assertInRange(minProbability, "minProbability", {
        low: 0,
        high: 1 / this.c.categories,
        closed: true,
      });
    }
    assertInRange(shiftBlend, "shiftBlend", { low: 0, high: 1, closed: true });
    this.minProbability = minProbability;
    this.shiftBlend = shiftBlend;
  }

  /** The categorical floor and shift blend, read back (`minProbability` null when continuous). */
  protected get categoricalSettings(): { minProbability: number | null; shiftBlend: number } {
    return {
      minProbability: this.c.kind === "categorical" ? this.minProbability : null,
      shiftBlend: this.shiftBlend,
    };
  }

  /** The initial distribution: the bounds' midpoint, or uniform probabilities. */
  initialDistribution(): Float32Array {
    const { horizon, actionDim, kind, categories, low, high } = this.c;
    if (kind === "categorical") return new Float32Array(horizon * categories).fill(1 / categories);
    const mean = new Float32Array(horizon * actionDim);
    for (let j = 0; j < mean.length; j++) {
      const a = j % actionDim;
      mean[j] = (low[a]! + high[a]!) / 2;
    }
    return mean;
  }

  /**
   * The warm start (copied) when given, else the initial distribution.
   *
   * @throws {RangeError} when the warm start's length is not the distribution's.
   */
  protected startDistribution(options: OptimizeOptions): Float32Array {
    const { horizon, actionDim, kind, categories } = this.c;
    const length = horizon * (kind === "categorical" ? categories : actionDim);
    const warm = options.warmStart;
    if (warm !== undefined && warm.length !== length) {
      throw new RangeError(`Expected warmStart to have ${length} entries but found ${warm.length}`);
    }
    return warm?.slice() ?? this.initialDistribution();
  }

  /** Warm starts are used: the previous distribution, shifted. */
  readonly usesWarmStart = true;

  /**
   * Runs `numIterations` rounds of sample, score and update (CEM refits to the elites, MPPI
   * reweights perturbations), one `yield` per round.
   */
  steps(options: OptimizeOptions = {}): Generator<Float32Array, OptimizeResult, Float32Array> {
    return this.c.kind === "categorical"
      ? this.optimizeCategorical(options)
      : this.optimizeContinuous(options);
  }

  /** Continuous: the mean moved one step earlier, the last step the midpoint; categorical:
   * probabilities moved one step earlier and pulled `shiftBlend` of the way to uniform. */
  shift(distribution: Float32Array): Float32Array {
    const { horizon, actionDim, kind, categories } = this.c;
    if (kind === "categorical") {
      return shiftProbabilities(distribution, { horizon, k: categories }, this.shiftBlend);
    }
    const out = this.initialDistribution();
    out.set(distribution.subarray(actionDim, horizon * actionDim), 0);
    return out;
  }

  /** One call of `optimize` over real-valued sequences, one `yield` per iteration. */
  protected abstract optimizeContinuous(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array>;
  /** One call of `optimize` over categorical sequences, one `yield` per iteration. */
  protected abstract optimizeCategorical(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array>;
}

/** Options of {@linkcode RandomShootingOptimizer}. */
export interface RandomShootingOptions extends BaseOptimizerOptions {
  /**
   * Which sequence's first action is returned: `"best"`, the best-scoring sequence;
   * `"firstActionMean"` (categorical search only), the best sequence among those that begin
   * with the first action whose sequences have the highest mean score (NaN scores left out;
   * a first action no sequence starts with is never chosen). @default {"best"}
   */
  selection?: ActionSelection;
}

/** The best-scoring sequence and its score (`"best"` selection). */
function bestSequence(scores: Float32Array): { best: number; score: number } {
  const best = argmax(scores);
  return { best, score: scores[best]! };
}

/**
 * The first action whose sequences have the highest mean score (NaN scores are left out; ties
 * go to the lower index), and the best sequence that starts with it.
 */
function firstActionMean(
  seqs: Float32Array,
  scores: Float32Array,
  shape: { n: number; horizon: number; categories: number },
): { best: number; score: number } {
  const { n, horizon, categories } = shape;
  const sums = new Float64Array(categories);
  const counts = new Int32Array(categories);
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    if (Number.isNaN(v)) continue;
    const c = seqs[i * horizon]!;
    sums[c] = sums[c]! + v;
    counts[c] = counts[c]! + 1;
  }
  let chosen = -1;
  let chosenMean = -Infinity;
  for (let c = 0; c < categories; c++) {
    if (counts[c] === 0) continue;
    const m = sums[c]! / counts[c]!;
    if (chosen < 0 || m > chosenMean) {
      chosen = c;
      chosenMean = m;
    }
  }
  if (chosen < 0) return { best: 0, score: NaN }; // every score NaN: the first sequence
  let best = -1;
  for (let i = 0; i < n; i++) {
    if (seqs[i * horizon] !== chosen || Number.isNaN(scores[i]!)) continue;
    if (best < 0 || scores[i]! > scores[best]!) best = i;
  }
  return { best, score: chosenMean };
}

/**
 * Random shooting: samples `numSamples` sequences uniformly (within bounds, or uniformly over
 * the categories) and keeps the best (or, with `selection: "firstActionMean"`, the best of
 * those beginning with the first action of highest mean score; its `score` is then that
 * mean). It ignores warm starts.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * const opt = new RandomShootingOptimizer({ horizon: 5, numSamples: 500, rng: new Rng(0) });
 * // Maximise -sum(u^2): the best sequence is near 0 everywhere.
 * const { sequence } = opt.optimize((seqs, n) =>
 *   Float32Array.from({ length: n }, (_, i) => {
 *     let s = 0;
 *     for (let t = 0; t < 5; t++) s -= seqs[i * 5 + t]! ** 2;
 *     return s;
 *   })
 * );
 * ```
 */
export class RandomShootingOptimizer extends OptimizerBase implements SequenceOptimizer {
  #selection: ActionSelection;

  /**
   * @throws {RangeError} on a non-positive horizon or sample count, bad bounds, an unknown
   *   `selection`, or `"firstActionMean"` in continuous search.
   */
  constructor(options: RandomShootingOptions) {
    super(options);
    const selection = options.selection ?? "best";
    if (!ACTION_SELECTIONS.includes(selection)) {
      throw new RangeError(
        `Expected selection to be "best" or "firstActionMean" but found "${selection}"`,
      );
    }
    if (selection === "firstActionMean" && this.c.kind !== "categorical") {
      throw new RangeError(
        `Expected categorical search (categories) with selection "firstActionMean" but found ` +
          `continuous search`,
      );
    }
    this.#selection = selection;
  }

  /** The selection rule, read back. */
  override get settings(): OptimizerSettings {
    return { selection: this.#selection };
  }

  /** Warm starts are ignored: every step samples afresh. */
  readonly usesWarmStart = false;

  /** Samples, scores in one batch (one `yield`) and returns the best sequence. */
  *steps(_options: OptimizeOptions = {}): Generator<Float32Array, OptimizeResult, Float32Array> {
    const { numSamples: n, horizon, actionDim, kind, categories, low, high, rng } = this.c;
    const seqs = this.buffer;
    if (kind === "categorical") {
      for (let j = 0; j < seqs.length; j++) seqs[j] = rng.int(categories);
    } else {
      for (let j = 0; j < seqs.length; j++) {
        const a = j % actionDim;
        seqs[j] = low[a]! + (high[a]! - low[a]!) * rng.uniform();
      }
    }
    const scores: Float32Array = yield seqs;
    const { best, score } = this.#selection === "firstActionMean"
      ? firstActionMean(seqs, scores, { n, horizon, categories })
      : bestSequence(scores);
    const width = horizon * actionDim;
    const sequence = seqs.slice(best * width, (best + 1) * width);
    return {
      sequence,
      score,
      distribution: sequence.slice(),
      evaluations: n,
    };
  }

  /**
   * The best sequence moved one step earlier, the last step repeated (not the initial
   * distribution, as CEM and MPPI do). Random shooting itself ignores warm starts, so the MPC
   * classes never call this; it is here for callers that want the previous plan shifted.
   */
  shift(distribution: Float32Array): Float32Array {
    const { horizon, actionDim } = this.c;
    const out = new Float32Array(horizon * actionDim);
    out.set(distribution.subarray(actionDim));
    out.set(distribution.subarray((horizon - 1) * actionDim), (horizon - 1) * actionDim);
    return out;
  }
}

/** Options of {@linkcode CemOptimizer}. */
export interface CemOptions extends BaseOptimizerOptions {
  /** Elites kept per iteration (at most `numSamples`). @default {min(100, numSamples)} */
  numElite?: number;
  /** Iterations per call. @default {5} */
  numIterations?: number;
  /**
   * Weight of the old distribution in each update (mbrl-lib's `alpha`):
   * `new = alpha * old + (1 - alpha) * elite statistics`. @default {0.1}
   */
  alpha?: number;
  /**
   * Categorical only: the smallest probability any action keeps after an update, which
   * stops the distribution collapsing onto one action (measured to matter for CartPole).
   * @default {0.2 / categories}
   */
  minProbability?: number;
  /**
   * Categorical only: how far the shifted warm start is pulled back towards uniform
   * (0 keeps it, 1 forgets it). @default {0.5}
   */
  shiftBlend?: number;
}

/**
 * The cross-entropy method. Continuous: a diagonal Gaussian per step and component, sampled
 * truncated at two standard deviations and within the bounds (mbrl-lib's variance constraint);
 * categorical: per-step probabilities. Each iteration refits to the `numElite` best samples,
 * smoothed by `alpha`. Returns the best sequence seen over all iterations.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import type { SequenceObjective } from "./types.ts";
 * const f: SequenceObjective = (seqs, n) =>
 *   Float32Array.from({ length: n }, (_, i) => -Math.abs(seqs[i * 10]! - 0.5));
 * const cem = new CemOptimizer({ horizon: 10, numSamples: 500, numElite: 50, rng: new Rng(0) });
 * const first = cem.optimize(f);
 * const next = cem.optimize(f, { warmStart: cem.shift(first.distribution) });
 * ```
 */
export class CemOptimizer extends DistributionOptimizer implements SequenceOptimizer {
  #numElite: number;
  #numIterations: number;
  #alpha: number;

  /** @throws {RangeError} on bad counts, `numElite > numSamples`, or `alpha` outside [0, 1). */
  constructor(options: CemOptions) {
    super(options);
    const d = PLANNER_DEFAULTS.cem;
    const {
      numElite = PLANNER_DEFAULTS.numElite(this.c.numSamples),
      numIterations = d.numIterations,
      alpha = d.alpha,
    } = options;
    assertPositiveInt(numElite, "numElite");
    if (numElite > this.c.numSamples) {
      throw new RangeError(
        `Expected numElite to be at most numSamples (${this.c.numSamples}) but found ${numElite}`,
      );
    }
    assertPositiveInt(numIterations, "numIterations");
    assertInRange(alpha, "alpha", { low: 0, high: 1 });
    this.#numElite = numElite;
    this.#numIterations = numIterations;
    this.#alpha = alpha;
  }

  /** Elites, iterations, smoothing and the categorical settings, read from this optimiser. */
  override get settings(): OptimizerSettings {
    return {
      numElite: this.#numElite,
      numIterations: this.#numIterations,
      alpha: this.#alpha,
      ...this.categoricalSettings,
    };
  }

  protected *optimizeContinuous(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array> {
    const { numSamples: n, horizon, actionDim, low, high, rng } = this.c;
    const width = horizon * actionDim;
    const mean = this.startDistribution(options);
    const variance = new Float32Array(width);
    for (let j = 0; j < width; j++) {
      const a = j % actionDim;
      variance[j] = (high[a]! - low[a]!) ** 2 / 16;
    }
    const seqs = this.buffer;
    const alpha = this.#alpha;
    let bestScore = -Infinity;
    let best = mean.slice();
    for (let iter = 0; iter < this.#numIterations; iter++) {
      // Sample a Gaussian truncated at 2 std whose 2 std stays within the bounds.
      const std = new Float32Array(width);
      for (let j = 0; j < width; j++) {
        const a = j % actionDim;
        const room = Math.min(mean[j]! - low[a]!, high[a]! - mean[j]!) / 2;
        std[j] = Math.sqrt(Math.min(Math.max(room, 0) ** 2, variance[j]!));
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < width; j++) {
          let z = rng.normal();
          while (z < -2 || z > 2) z = rng.normal();
          const a = j % actionDim;
          seqs[i * width + j] = Math.min(high[a]!, Math.max(low[a]!, mean[j]! + std[j]! * z));
        }
      }
      const scores: Float32Array = yield seqs;
      const elites = topK(scores, this.#numElite);
      const top = elites[0]!;
      if (scores[top]! > bestScore) {
        bestScore = scores[top]!;
        best = seqs.slice(top * width, (top + 1) * width);
      }
      for (let j = 0; j < width; j++) {
        let m = 0;
        for (const e of elites) m += seqs[e * width + j]!;
        m /= elites.length;
        let v = 0;
        for (const e of elites) v += (seqs[e * width + j]! - m) ** 2;
        v /= elites.length;
        mean[j] = alpha * mean[j]! + (1 - alpha) * m;
        variance[j] = alpha * variance[j]! + (1 - alpha) * v;
      }
    }
    return {
      sequence: best,
      score: bestScore,
      distribution: mean,
      evaluations: n * this.#numIterations,
    };
  }

  protected *optimizeCategorical(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array> {
    const { numSamples: n, horizon, categories: k, rng } = this.c;
    const probs = this.startDistribution(options);
    const seqs = this.buffer;
    const alpha = this.#alpha;
    let bestScore = -Infinity;
    let best = new Float32Array(horizon);
    for (let iter = 0; iter < this.#numIterations; iter++) {
      sampleCategorical(rng, probs, seqs, { n, horizon, k });
      const scores: Float32Array = yield seqs;
      const elites = topK(scores, this.#numElite);
      const top = elites[0]!;
      if (scores[top]! > bestScore) {
        bestScore = scores[top]!;
        best = seqs.slice(top * horizon, (top + 1) * horizon);
      }
      const freq = new Float32Array(horizon * k);
      for (const e of elites) {
        for (let t = 0; t < horizon; t++) freq[t * k + seqs[e * horizon + t]!]! += 1;
      }
      for (let j = 0; j < probs.length; j++) {
        probs[j] = alpha * probs[j]! + (1 - alpha) * freq[j]! / elites.length;
      }
      floorProbabilities(probs, k, this.minProbability);
    }
    return {
      sequence: best,
      score: bestScore,
      distribution: probs,
      evaluations: n * this.#numIterations,
    };
  }
}

/** Options of {@linkcode MppiOptimizer}. */
export interface MppiOptions extends BaseOptimizerOptions {
  /**
   * Softmax temperature over scores: weights `exp((score - max) / temperature)`.
   * @default {1}
   */
  temperature?: number;
  /** Std of the Gaussian perturbations of the mean (continuous only). @default {0.5} */
  noiseSigma?: number;
  /**
   * Time correlation of the perturbations (mbrl-lib's `beta`):
   * `noise[t] = beta * noise[t] + (1 - beta) * noise[t - 1]`; 1 keeps them independent.
   * @default {0.9}
   */
  noiseBeta?: number;
  /** Weight of the old mean in each update: `new = alpha * old + (1 - alpha) * weighted`. @default {0.1} */
  alpha?: number;
  /** Iterations per call. @default {1} */
  numIterations?: number;
  /** Categorical only: the smallest probability any action keeps. @default {0.2 / categories} */
  minProbability?: number;
  /** Categorical only: pull of the shifted warm start towards uniform. @default {0.5} */
  shiftBlend?: number;
}

/**
 * Model-predictive path integral control: perturbs a mean sequence (continuous) or samples
 * from per-step probabilities (categorical), and moves the mean to the softmax-weighted
 * average of the samples, smoothed by `alpha`. The returned `sequence` is the updated mean
 * (categorical: each step's most probable action), `score` the softmax-weighted mean score of
 * the last iteration's samples.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import type { SequenceObjective } from "./types.ts";
 * const f: SequenceObjective = (seqs, n) =>
 *   Float32Array.from({ length: n }, (_, i) => -Math.abs(seqs[i * 10]! - 0.5));
 * const rng = new Rng(0);
 * const mppi = new MppiOptimizer({ horizon: 10, numSamples: 500, temperature: 0.5, rng });
 * let result = mppi.optimize(f);
 * result = mppi.optimize(f, { warmStart: mppi.shift(result.distribution) });
 * ```
 */
export class MppiOptimizer extends DistributionOptimizer implements SequenceOptimizer {
  #temperature: number;
  #noiseSigma: number;
  #noiseBeta: number;
  #alpha: number;
  #numIterations: number;

  /** @throws {RangeError} on a non-positive temperature or noiseSigma, or bad counts. */
  constructor(options: MppiOptions) {
    super(options);
    const d = PLANNER_DEFAULTS.mppi;
    const {
      temperature = d.temperature,
      noiseSigma = d.noiseSigma,
      noiseBeta = d.noiseBeta,
      alpha = d.alpha,
      numIterations = d.numIterations,
    } = options;
    assertPositive(temperature, "temperature");
    assertPositive(noiseSigma, "noiseSigma");
    assertInRange(noiseBeta, "noiseBeta", { low: 0, high: 1, closed: true });
    assertInRange(alpha, "alpha", { low: 0, high: 1 });
    assertPositiveInt(numIterations, "numIterations");
    this.#temperature = temperature;
    this.#noiseSigma = noiseSigma;
    this.#noiseBeta = noiseBeta;
    this.#alpha = alpha;
    this.#numIterations = numIterations;
  }

  /** Iterations, smoothing, temperature, noise and categorical settings, read back. */
  override get settings(): OptimizerSettings {
    return {
      numIterations: this.#numIterations,
      alpha: this.#alpha,
      temperature: this.#temperature,
      noiseSigma: this.#noiseSigma,
      noiseBeta: this.#noiseBeta,
      ...this.categoricalSettings,
    };
  }

  /** Softmax weights of `scores` at this temperature (NaN and -Infinity weigh 0). */
  #weights(scores: Float32Array): { weights: Float64Array; weightedScore: number } {
    let max = -Infinity;
    for (const s of scores) if (s > max) max = s;
    const weights = new Float64Array(scores.length);
    if (max === -Infinity) {
      weights.fill(1 / scores.length);
      return { weights, weightedScore: max };
    }
    let sum = 0;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      const w = Number.isNaN(s) ? 0 : Math.exp((s - max) / this.#temperature);
      weights[i] = w;
      sum += w;
    }
    let weightedScore = 0;
    for (let i = 0; i < scores.length; i++) {
      weights[i] = weights[i]! / sum;
      if (weights[i]! > 0) weightedScore += weights[i]! * scores[i]!;
    }
    return { weights, weightedScore };
  }

  protected *optimizeContinuous(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array> {
    const { numSamples: n, horizon, actionDim, low, high, rng } = this.c;
    const width = horizon * actionDim;
    const mean = this.startDistribution(options);
    const seqs = this.buffer;
    const beta = this.#noiseBeta;
    const noise = new Float32Array(width);
    let score = -Infinity;
    for (let iter = 0; iter < this.#numIterations; iter++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < width; j++) noise[j] = this.#noiseSigma * rng.normal();
        for (let t = 1; t < horizon; t++) {
          for (let a = 0; a < actionDim; a++) {
            const j = t * actionDim + a;
            noise[j] = beta * noise[j]! + (1 - beta) * noise[j - actionDim]!;
          }
        }
        for (let j = 0; j < width; j++) {
          const a = j % actionDim;
          seqs[i * width + j] = Math.min(high[a]!, Math.max(low[a]!, mean[j]! + noise[j]!));
        }
      }
      const scores: Float32Array = yield seqs;
      const { weights, weightedScore } = this.#weights(scores);
      score = weightedScore;
      for (let j = 0; j < width; j++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += weights[i]! * seqs[i * width + j]!;
        mean[j] = this.#alpha * mean[j]! + (1 - this.#alpha) * m;
      }
    }
    return {
      sequence: mean.slice(),
      score,
      distribution: mean,
      evaluations: n * this.#numIterations,
    };
  }

  protected *optimizeCategorical(
    options: OptimizeOptions,
  ): Generator<Float32Array, OptimizeResult, Float32Array> {
    const { numSamples: n, horizon, categories: k, rng } = this.c;
    const probs = this.startDistribution(options);
    const seqs = this.buffer;
    let score = -Infinity;
    for (let iter = 0; iter < this.#numIterations; iter++) {
      sampleCategorical(rng, probs, seqs, { n, horizon, k });
      const scores: Float32Array = yield seqs;
      const { weights, weightedScore } = this.#weights(scores);
      score = weightedScore;
      const freq = new Float64Array(horizon * k);
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < horizon; t++) freq[t * k + seqs[i * horizon + t]!]! += weights[i]!;
      }
      for (let j = 0; j < probs.length; j++) {
        probs[j] = this.#alpha * probs[j]! + (1 - this.#alpha) * freq[j]!;
      }
      floorProbabilities(probs, k, this.minProbability);
    }
    const sequence = new Float32Array(horizon);
    for (let t = 0; t < horizon; t++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[t * k + c]! > probs[t * k + best]!) best = c;
      sequence[t] = best;
    }
    return { sequence, score, distribution: probs, evaluations: n * this.#numIterations };
  }
}
