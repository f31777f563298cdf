/**
 * Proportional prioritised experience replay (Schaul et al., 2016) on a {@linkcode SumTree}.
 *
 * @module
 */
import { Rng } from "../rng.ts";
import {
  assertFiniteArray,
  assertInRange,
  assertNonNegativeInt,
  assertPositiveInt,
} from "../validate.ts";
import {
  checkExpectedDims,
  replaceOption,
  ReplayBuffer,
  type ReplayBufferLoadOptions,
  type ReplayBufferOptions,
  type ReplayBufferSampleOptions,
} from "./replay_buffer.ts";
import type { ReplayBufferJson } from "./serialization.ts";
import {
  type Snapshot,
  type SnapshotFields,
  snapshotFromBytes,
  snapshotFromJson,
} from "./serialization.ts";
import { SumTree } from "./sum_tree.ts";
import type { PrioritizedBatch, TransitionBatch } from "./types.ts";
import type { Transition } from "./replay_buffer.ts";

/** The prioritisation settings of a {@linkcode PrioritizedReplayBuffer}. */
export interface PrioritizationOptions {
  /** Priority exponent: 0 samples uniformly, 1 fully proportionally. @default {0.6} */
  alpha?: number;
  /** Importance-sampling exponent at the start, in `[0, 1]`. @default {0.4} */
  beta?: number;
  /** The exponent `beta` is annealed to, linearly, in `[0, 1]`. @default {1} */
  betaFinal?: number;
  /**
   * The number of `sample` calls over which beta goes from `beta` to `betaFinal`; 0 keeps
   * beta constant. @default {0}
   */
  betaAnnealSamples?: number;
  /** Added to each priority before the exponent, so no item gets probability 0. @default {1e-6} */
  epsilon?: number;
}

/** Options of the {@linkcode PrioritizedReplayBuffer} constructor. */
export interface PrioritizedReplayBufferOptions
  extends ReplayBufferOptions, PrioritizationOptions {}

/** Options of {@linkcode PrioritizedReplayBuffer.load}: settings given here override the file's. */
export interface PrioritizedLoadOptions extends ReplayBufferLoadOptions, PrioritizationOptions {}

/** Throws unless `value` is a number in `[0, 1]`. */
function assertUnit(value: unknown, name: string): void {
  assertInRange(value, name, { low: 0, high: 1, closed: true });
}

/**
 * A replay buffer that samples transition `i` with probability
 * `P(i) = p_i^alpha / sum_k p_k^alpha`, where `p_i = |error_i| + epsilon` is set by
 * {@linkcode updatePriorities}; a new transition gets the largest `p^alpha` currently stored
 * (1.0 in an empty buffer), so it is likely to be replayed at least once.
 *
 * Importance-sampling weights correct the bias: `w_i = (N * P(i))^(-beta) / max_j w_j`, with
 * `N = size`. The maximum is taken over **every stored transition**, not just the batch:
 * `max_j w_j = (N * P_min)^(-beta)` with `P_min` the smallest positive stored probability,
 * as OpenAI Baselines' PER does (the paper says only "normalise by max_i w_i"). So an item's
 * weight does not depend on what else was drawn, and all weights are in `(0, 1]`. Beta is annealed linearly
 * per `sample` call when `betaAnnealSamples > 0`, or set with {@linkcode setBeta}.
 *
 * Sampling is i.i.d. with replacement (not stratified into segments as in the paper), so a
 * batch's draws are exactly multinomial with probabilities `P`. `sampleSequences`, `split`
 * and `all` are the uniform buffer's.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 *
 * const buffer = new PrioritizedReplayBuffer(100_000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * buffer.add({
 *   state: [0, 0, 0, 0],
 *   action: 1,
 *   nextState: [0, 0.2, 0, -0.3],
 *   reward: 1,
 *   terminated: false,
 *   truncated: false,
 * });
 * const batch = buffer.sample(256); // batch.indices, batch.weights
 * const tdErrors = Array.from(batch.indices, () => -0.5);
 * buffer.updatePriorities(batch.indices, tdErrors.map(Math.abs));
 * ```
 */
export class PrioritizedReplayBuffer extends ReplayBuffer {
  #tree: SumTree;
  #alpha: number;
  #epsilon: number;
  #beta0: number;
  #betaFinal: number;
  #annealSamples: number;
  #samplesDrawn = 0;

  /**
   * @param capacity the most transitions kept, a positive integer.
   * @param options dimensions, the sampling stream and the prioritisation settings.
   */
  constructor(capacity: number, options: PrioritizedReplayBufferOptions) {
    super(capacity, options);
    const alpha = options.alpha ?? 0.6;
    const beta = options.beta ?? 0.4;
    const betaFinal = options.betaFinal ?? 1;
    const annealSamples = options.betaAnnealSamples ?? 0;
    const epsilon = options.epsilon ?? 1e-6;
    assertInRange(alpha, "alpha", { low: 0, high: Infinity });
    assertUnit(beta, "beta");
    assertUnit(betaFinal, "betaFinal");
    assertNonNegativeInt(annealSamples, "betaAnnealSamples");
    assertInRange(epsilon, "epsilon", { low: 0, high: Infinity });
    this.#tree = new SumTree(capacity);
    this.#alpha = alpha;
    this.#beta0 = beta;
    this.#betaFinal = betaFinal;
    this.#annealSamples = annealSamples;
    this.#epsilon = epsilon;
  }

  /** The priority exponent. */
  get alpha(): number {
    return this.#alpha;
  }

  /** The constant added to priorities. */
  get epsilon(): number {
    return this.#epsilon;
  }

  /** The importance-sampling exponent the next `sample` call uses. */
  get beta(): number {
    if (this.#annealSamples === 0) return this.#beta0;
    const progress = Math.min(1, this.#samplesDrawn / this.#annealSamples);
    return this.#beta0 + (this.#betaFinal - this.#beta0) * progress;
  }

  /** Sets beta (in `[0, 1]`) for all later samples, ending any annealing schedule. */
  setBeta(beta: number): void {
    assertUnit(beta, "beta");
    this.#beta0 = beta;
    this.#annealSamples = 0;
  }

  /** The stored `p^alpha` of the transition in `slot` (its unnormalised sampling weight). */
  priority(slot: number): number {
    this.#checkSlot(slot, "slot");
    return this.#tree.get(slot);
  }

  /** The largest stored `p^alpha`, which new transitions get (1 when empty). */
  get maxPriority(): number {
    return this.size > 0 && this.#tree.max > 0 ? this.#tree.max : 1;
  }

  /** Stores one transition at the current maximum priority and returns its slot. */
  override add(transition: Transition): number {
    const priority = this.maxPriority;
    const slot = super.add(transition);
    this.#tree.update(slot, priority);
    return slot;
  }

  /** Stores a batch in order, every kept row at the current maximum priority. */
  override addBatch(batch: TransitionBatch): void {
    const priority = this.maxPriority;
    super.addBatch(batch);
    const kept = Math.min(batch.size, this.capacity);
    const capacity = this.capacity;
    for (let i = 0; i < kept; i++) {
      this.#tree.update((this.writePosition - kept + i + capacity) % capacity, priority);
    }
  }

  /**
   * `batchSize` transitions drawn i.i.d. with probability `P(i)`, their slots and their
   * importance-sampling weights `[batchSize]` (see the class notes); advances the beta
   * schedule by one. Only sampling with replacement is supported.
   */
  override sample(batchSize: number, options: ReplayBufferSampleOptions = {}): PrioritizedBatch {
    assertPositiveInt(batchSize, "batchSize");
    if (this.size === 0) {
      throw new RangeError("Expected a non-empty buffer to sample from but found size 0");
    }
    if (!replaceOption(options)) {
      throw new TypeError("Expected replace to be true: prioritized sampling is with replacement");
    }
    const tree = this.#tree;
    const total = tree.total;
    if (!(total > 0)) {
      throw new RangeError("Expected a positive priority to sample from but all are 0");
    }
    const rng = this.rng;
    const indices = new Int32Array(batchSize);
    // uniform() < 1, but u * total can round up to total; stay strictly below it.
    const below = total * (1 - Number.EPSILON);
    for (let i = 0; i < batchSize; i++) {
      indices[i] = tree.find(Math.min(rng.uniform() * total, below));
    }
    const beta = this.beta;
    const n = this.size;
    const maxWeight = (n * (tree.min / total)) ** -beta;
    const weights = new Float32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      weights[i] = (n * (tree.get(indices[i]!) / total)) ** -beta / maxWeight;
    }
    this.#samplesDrawn++;
    return { ...this.gather(indices), weights };
  }

  /**
   * Sets `p_i = (priorities[k] + epsilon)^alpha` for each slot `i = indices[k]` (later
   * duplicates win). Priorities are non-negative prediction errors, e.g. `|TD error|` or a
   * model's per-transition loss. Checks everything before changing anything.
   */
  updatePriorities(indices: ArrayLike<number>, priorities: ArrayLike<number>): void {
    assertFiniteArray(indices, "indices");
    assertFiniteArray(priorities, "priorities");
    if (indices.length !== priorities.length) {
      throw new TypeError(
        `Expected as many priorities as indices (${indices.length}) but found ${priorities.length}`,
      );
    }
    for (let k = 0; k < indices.length; k++) {
      this.#checkSlot(indices[k]!, `indices[${k}]`);
      const priority = priorities[k]!;
      if (!(Number.isFinite(priority) && priority >= 0)) {
        throw new RangeError(
          `Expected priorities[${k}] to be a finite number >= 0 but found ${priority}`,
        );
      }
    }
    for (let k = 0; k < indices.length; k++) {
      this.#tree.update(indices[k]!, (priorities[k]! + this.#epsilon) ** this.#alpha);
    }
  }

  /** Forgets every transition and priority. */
  override clear(): void {
    super.clear();
    this.#tree.clear();
  }

  /**
   * Rebuilds a prioritized buffer from {@linkcode toJSON}'s output. Data from a uniform buffer
   * loads with every priority at 1. Settings in `options` override those in the data.
   */
  static override fromJSON(
    json: ReplayBufferJson | string,
    options: PrioritizedLoadOptions = {},
  ): PrioritizedReplayBuffer {
    return PrioritizedReplayBuffer.#fromSnapshot(snapshotFromJson(json), "JSON", options);
  }

  /** Reads a file written by `save`, exactly as it was (contents, slots, priorities, beta). */
  static override async load(
    path: string,
    options: PrioritizedLoadOptions = {},
  ): Promise<PrioritizedReplayBuffer> {
    const bytes = await Deno.readFile(path);
    return PrioritizedReplayBuffer.#fromSnapshot(snapshotFromBytes(bytes, path), path, options);
  }

  static #fromSnapshot(
    snapshot: Snapshot,
    source: string,
    options: PrioritizedLoadOptions,
  ): PrioritizedReplayBuffer {
    const fields = snapshot.fields;
    checkExpectedDims(fields, source, options);
    const fromFile = (key: keyof PrioritizationOptions): number | undefined => {
      const value = options[key] ?? fields[key];
      return typeof value === "number" ? value : undefined;
    };
    const buffer = new PrioritizedReplayBuffer(fields.capacity, {
      stateDim: fields.stateDim,
      actionDim: fields.actionDim,
      rng: options.rng ?? new Rng(0),
      actionSpace: options.actionSpace,
      alpha: fromFile("alpha"),
      beta: fromFile("beta"),
      betaFinal: fromFile("betaFinal"),
      betaAnnealSamples: fromFile("betaAnnealSamples"),
      epsilon: fromFile("epsilon"),
    });
    buffer.restore(snapshot, source);
    return buffer;
  }

  /** Adds the priorities and settings. Internal to `lib/buffer/`. */
  protected override snapshot(): Snapshot {
    const base = super.snapshot();
    const fields: SnapshotFields = {
      ...base.fields,
      kind: "prioritized",
      alpha: this.#alpha,
      beta: this.#beta0,
      betaFinal: this.#betaFinal,
      betaAnnealSamples: this.#annealSamples,
      samplesDrawn: this.#samplesDrawn,
      epsilon: this.#epsilon,
    };
    const priorities = this.#tree.leaves().slice(0, this.size);
    return { fields, arrays: { ...base.arrays, priorities } };
  }

  /** Restores data and priorities (1 for each item of a uniform snapshot). Internal. */
  protected override restore(snapshot: Snapshot, source: string): void {
    super.restore(snapshot, source);
    const n = this.size;
    const priorities = snapshot.arrays.priorities;
    if (snapshot.fields.kind === "uniform") {
      for (let i = 0; i < n; i++) this.#tree.update(i, 1);
      return;
    }
    if (!(priorities instanceof Float64Array) || priorities.length !== n) {
      throw new Error(
        `Corrupt or incompatible replay buffer ${source}: expected ${n} float64 priorities`,
      );
    }
    if (!priorities.every((p) => Number.isFinite(p) && p >= 0)) {
      throw new Error(
        `Corrupt or incompatible replay buffer ${source}: priorities must be finite and >= 0`,
      );
    }
    const drawn = snapshot.fields.samplesDrawn;
    if (!Number.isSafeInteger(drawn) || (drawn as number) < 0) {
      throw new Error(
        `Corrupt or incompatible replay buffer ${source}: bad samplesDrawn ${String(drawn)}`,
      );
    }
    this.#samplesDrawn = drawn as number;
    for (let i = 0; i < n; i++) this.#tree.update(i, priorities[i]!);
  }

  #checkSlot(slot: number, what: string): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) {
      throw new RangeError(
        `Expected ${what} to be an integer in [0, ${this.size}) but found ${slot}`,
      );
    }
  }
}
