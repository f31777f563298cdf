/**
 * A uniform replay buffer on typed-array ring storage, with seeded sampling, sequence windows
 * that respect episode boundaries, a train/validation split, and lossless save/load.
 *
 * @module
 */
import { dirname } from "node:path";
import { Rng } from "../rng.ts";
import {
  assertFinite,
  assertFiniteArray,
  assertIndex,
  assertInRange,
  assertPositiveInt,
  describeValue,
} from "../validate.ts";
import {
  type Snapshot,
  type SnapshotFields,
  snapshotFromBytes,
  snapshotFromJson,
  snapshotToBytes,
  snapshotToJson,
} from "./serialization.ts";
import type { ReplayBufferJson } from "./serialization.ts";
import type { BufferActionSpace, SampledBatch, SequenceBatch, TransitionBatch } from "./types.ts";
import { validationCount } from "./validation_split.ts";

export type { ReplayBufferJson } from "./serialization.ts";

/** One environment step, as it is added to a buffer. */
export interface Transition {
  /** The observation before the step, `[stateDim]`. */
  state: ArrayLike<number>;
  /** The action taken, `[actionDim]`; a plain number is accepted when `actionDim` is 1. */
  action: ArrayLike<number> | number;
  /** The observation after the step, `[stateDim]`. */
  nextState: ArrayLike<number>;
  /** The reward of the step. */
  reward: number;
  /** True (or 1) when the episode ended in a terminal state. */
  terminated: boolean | number;
  /** True (or 1) when the episode was cut short (time limit), not terminal. */
  truncated: boolean | number;
}

/** Options of the {@linkcode ReplayBuffer} constructor. */
export interface ReplayBufferOptions {
  /** Length of a state (observation) vector. */
  stateDim: number;
  /** Length of an action vector (1 for a discrete action stored as its index). */
  actionDim: number;
  /** The stream that sampling and the default split draw from. */
  rng: Rng;
  /**
   * The env's action space (`env.actionSpace` fits). With a `Discrete(n)` space every stored
   * action must be an integer index in `[0, n)` and `actionDim` must be 1; a Box space (or
   * none) only requires finite actions (planners may propose values outside the box, which
   * the env clips).
   * @default {undefined}
   */
  actionSpace?: BufferActionSpace;
}

/** Options of {@linkcode ReplayBuffer.sample}. */
export interface ReplayBufferSampleOptions {
  /**
   * Draw with replacement (i.i.d. uniform slots). Without replacement, `batchSize` may not
   * exceed `size`. @default {true}
   */
  replace?: boolean;
}

/** Options of {@linkcode ReplayBuffer.fromJSON} and {@linkcode ReplayBuffer.load}. */
export interface ReplayBufferLoadOptions {
  /** The loaded buffer's sampling stream. @default {new Rng(0)} */
  rng?: Rng;
  /** When given, loading fails unless the data has this state dimension. */
  stateDim?: number;
  /** When given, loading fails unless the data has this action dimension. */
  actionDim?: number;
  /** The loaded buffer's action space (see {@linkcode ReplayBufferOptions.actionSpace}); its
   * stored actions are checked against it. @default {undefined} */
  actionSpace?: BufferActionSpace;
}

/** The two parts of {@linkcode ReplayBuffer.split}. */
export interface TransitionSplit {
  train: TransitionBatch;
  validation: TransitionBatch;
}

/** Throws unless `value` is a finite number that stays finite when stored as float32. */
function assertFloat32(value: unknown, what: string): asserts value is number {
  assertFinite(value, what);
  if (!Number.isFinite(Math.fround(value))) {
    throw new RangeError(`Expected ${what} to be finite in float32 but found ${value}`);
  }
}

/** A flag as 0 or 1; throws unless it is a boolean, 0 or 1. */
function flagOf(value: unknown, what: string): number {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  throw new TypeError(`Expected ${what} to be a boolean but found ${describeValue(value)}`);
}

/** Copies a checked vector of length `dim` into `out` at `offset`. */
function writeVector(
  out: Float32Array,
  offset: number,
  vector: ArrayLike<number> | number,
  dim: number,
  what: string,
): void {
  if (typeof vector === "number") {
    if (dim !== 1) {
      throw new TypeError(`Expected ${what} to have length ${dim} but found a single number`);
    }
    assertFloat32(vector, what);
    out[offset] = vector;
    return;
  }
  assertFiniteArray(vector, what, dim);
  for (let i = 0; i < dim; i++) {
    const value = vector[i]!;
    out[offset + i] = value;
    if (!Number.isFinite(out[offset + i]!)) assertFloat32(value, `${what}[${i}]`); // throws
  }
}

/** An empty batch with room for `size` transitions. */
function allocateBatch(size: number, stateDim: number, actionDim: number): TransitionBatch {
  return {
    size,
    stateDim,
    actionDim,
    states: new Float32Array(size * stateDim),
    actions: new Float32Array(size * actionDim),
    nextStates: new Float32Array(size * stateDim),
    rewards: new Float32Array(size),
    terminated: new Uint8Array(size),
    truncated: new Uint8Array(size),
  };
}

/**
 * A fixed-capacity ring of transitions in `Float32Array`s (states, actions, next states,
 * rewards) and `Uint8Array`s (terminated, truncated flags). When full, each add overwrites
 * the oldest transition.
 *
 * Ring slots: while the buffer is not yet full, slots `0..size-1` hold the transitions in the
 * order added; afterwards the oldest sits at `writePosition`. Sampled batches report the slots
 * they came from (`indices`).
 *
 * Episodes are delimited by the `terminated`/`truncated` flags only: if you stop collecting
 * in the middle of an episode and start a new one, mark the last step `truncated`.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 *
 * const root = new Rng(0);
 * const buffer = new ReplayBuffer(100_000, {
 *   stateDim: 4,
 *   actionDim: 1,
 *   rng: root.stream("buffer"),
 *   actionSpace: { kind: "discrete", n: 2 }, // optional: CartPole's Discrete(2)
 * });
 * const state = [0, 0, 0.01, 0];
 * const nextState = [0, 0.2, 0.01, -0.3];
 * buffer.add({ state, action: 1, nextState, reward: 1, terminated: false, truncated: false });
 * const batch = buffer.sample(256); // batch.states is [256 * 4]
 * ```
 */
export class ReplayBuffer {
  #capacity: number;
  #stateDim: number;
  #actionDim: number;
  #rng: Rng;
  /** `n` of a Discrete action space, else undefined (actions only need to be finite). */
  #discreteActions: number | undefined;
  #states: Float32Array;
  #actions: Float32Array;
  #nextStates: Float32Array;
  #rewards: Float32Array;
  #terminated: Uint8Array;
  #truncated: Uint8Array;
  #size = 0;
  #writePosition = 0;
  /** Bumped on every change, to invalidate the sequence-window cache. */
  #version = 0;
  #windowCache: { version: number; length: number; starts: Int32Array } | undefined;
  /** Room for one checked transition (state, nextState, action) before it is stored. */
  #scratch: Float32Array;

  /**
   * @param capacity the most transitions kept, a positive integer.
   * @param options dimensions and the sampling stream.
   */
  constructor(capacity: number, options: ReplayBufferOptions) {
    assertPositiveInt(capacity, "capacity");
    if (options === null || typeof options !== "object") {
      throw new TypeError("Expected options { stateDim, actionDim, rng } but found none");
    }
    assertPositiveInt(options.stateDim, "stateDim");
    assertPositiveInt(options.actionDim, "actionDim");
    if (!(options.rng instanceof Rng)) {
      throw new TypeError(`Expected rng to be an Rng but found ${describeValue(options.rng)}`);
    }
    this.#discreteActions = discreteActionsOf(options.actionSpace, options.actionDim);
    this.#capacity = capacity;
    this.#stateDim = options.stateDim;
    this.#actionDim = options.actionDim;
    this.#rng = options.rng;
    this.#states = new Float32Array(capacity * options.stateDim);
    this.#actions = new Float32Array(capacity * options.actionDim);
    this.#nextStates = new Float32Array(capacity * options.stateDim);
    this.#rewards = new Float32Array(capacity);
    this.#terminated = new Uint8Array(capacity);
    this.#truncated = new Uint8Array(capacity);
    this.#scratch = new Float32Array(2 * options.stateDim + options.actionDim);
  }

  /** The most transitions kept. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The number of transitions stored, at most `capacity`. */
  get size(): number {
    return this.#size;
  }

  /** Length of a state vector. */
  get stateDim(): number {
    return this.#stateDim;
  }

  /** Length of an action vector. */
  get actionDim(): number {
    return this.#actionDim;
  }

  /** The slot the next add writes (once full, the oldest transition's slot). */
  get writePosition(): number {
    return this.#writePosition;
  }

  /** The stream sampling draws from. */
  get rng(): Rng {
    return this.#rng;
  }

  /**
   * The action space stored actions are checked against: `Discrete(n)` when one was given,
   * else undefined (only finiteness is checked).
   */
  get actionSpace(): BufferActionSpace | undefined {
    const n = this.#discreteActions;
    return n === undefined ? undefined : { kind: "discrete", n };
  }

  /**
   * The number of episodes with at least one stored transition: the ended ones (a
   * `terminated` or `truncated` step) plus one for the episode still running, if the newest
   * transition did not end it. An episode whose start was overwritten still counts. O(size).
   */
  get episodeCount(): number {
    if (this.#size === 0) return 0;
    let ends = 0;
    for (let slot = 0; slot < this.#size; slot++) {
      ends += this.#terminated[slot]! | this.#truncated[slot]!;
    }
    const newest = (this.#writePosition - 1 + this.#capacity) % this.#capacity;
    const running = (this.#terminated[newest]! | this.#truncated[newest]!) === 0 ? 1 : 0;
    return ends + running;
  }

  /**
   * Stores one transition, overwriting the oldest when full, and returns its slot.
   * Throws a `TypeError` on wrong lengths, non-numbers and non-boolean flags, a `RangeError`
   * on NaN or infinite values (also values that overflow float32) and on a Discrete action
   * outside the buffer's `actionSpace`; nothing is stored then.
   */
  add(transition: Transition): number {
    if (transition === null || typeof transition !== "object") {
      throw new TypeError(`Expected a transition object but found ${describeValue(transition)}`);
    }
    const slot = this.#writePosition;
    const s = this.#stateDim;
    const a = this.#actionDim;
    // Validate everything before touching the ring, so a bad transition leaves no trace.
    const scratch = this.#scratch;
    writeVector(scratch, 0, transition.state, s, "state");
    writeVector(scratch, s, transition.nextState, s, "nextState");
    writeVector(scratch, 2 * s, transition.action, a, "action");
    if (this.#discreteActions !== undefined) {
      const action = transition.action;
      assertIndex(typeof action === "number" ? action : action[0], "action", this.#discreteActions);
    }
    assertFloat32(transition.reward, "reward");
    const terminated = flagOf(transition.terminated, "terminated");
    const truncated = flagOf(transition.truncated, "truncated");
    this.#states.set(scratch.subarray(0, s), slot * s);
    this.#nextStates.set(scratch.subarray(s, 2 * s), slot * s);
    this.#actions.set(scratch.subarray(2 * s), slot * a);
    this.#rewards[slot] = transition.reward;
    this.#terminated[slot] = terminated;
    this.#truncated[slot] = truncated;
    this.#advance(1);
    return slot;
  }

  /**
   * Stores a batch in order (as `size` calls of `add`, but checked up front, one pass per
   * array, and copied in blocks). If the batch is larger than `capacity`, only its last
   * `capacity` rows remain. Throws as `add` does (naming the field and row, e.g.
   * `Expected batch.rewards[3] to be finite but found NaN`); nothing is stored then.
   */
  addBatch(batch: TransitionBatch): void {
    this.#checkBatch(batch);
    const n = batch.size;
    const s = this.#stateDim;
    const a = this.#actionDim;
    const skip = Math.max(0, n - this.#capacity);
    if (skip > 0) this.#advance(skip); // rows that would be overwritten within this batch
    let row = skip;
    while (row < n) {
      const slot = this.#writePosition;
      const count = Math.min(n - row, this.#capacity - slot);
      this.#states.set(batch.states.subarray(row * s, (row + count) * s), slot * s);
      this.#nextStates.set(batch.nextStates.subarray(row * s, (row + count) * s), slot * s);
      this.#actions.set(batch.actions.subarray(row * a, (row + count) * a), slot * a);
      this.#rewards.set(batch.rewards.subarray(row, row + count), slot);
      this.#terminated.set(batch.terminated.subarray(row, row + count), slot);
      this.#truncated.set(batch.truncated.subarray(row, row + count), slot);
      this.#advance(count);
      row += count;
    }
  }

  /**
   * `batchSize` transitions drawn uniformly at random from the stored ones with the buffer's
   * stream, with their slots in `indices`.
   *
   * @param batchSize a positive integer.
   */
  sample(batchSize: number, options: ReplayBufferSampleOptions = {}): SampledBatch {
    this.#checkSampleSize(batchSize);
    const replace = replaceOption(options);
    const indices = new Int32Array(batchSize);
    if (replace) {
      for (let i = 0; i < batchSize; i++) indices[i] = this.#rng.int(this.#size);
    } else {
      if (batchSize > this.#size) {
        throw new RangeError(
          `Expected batchSize to be at most size (${this.#size}) without replacement but found ${batchSize}`,
        );
      }
      // Floyd's algorithm: a uniform k-subset in O(k), then a shuffle for a uniform order.
      const chosen = new Set<number>();
      for (let j = this.#size - batchSize; j < this.#size; j++) {
        const t = this.#rng.int(j + 1);
        chosen.add(chosen.has(t) ? j : t);
      }
      indices.set([...chosen]);
      this.#rng.shuffle(indices);
    }
    return this.gather(indices);
  }

  /**
   * The transitions in the given slots (each an integer in `[0, size)`), in that order.
   */
  gather(indices: ArrayLike<number>): SampledBatch {
    assertFiniteArray(indices, "indices");
    const n = indices.length;
    const slots = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const slot = indices[i]!;
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.#size) {
        throw new RangeError(
          `Expected indices[${i}] to be an integer in [0, ${this.#size}) but found ${slot}`,
        );
      }
      slots[i] = slot;
    }
    const batch = allocateBatch(n, this.#stateDim, this.#actionDim);
    this.#copyRows(slots, batch, 0);
    return { ...batch, indices: slots };
  }

  /**
   * The number of distinct windows of `length` consecutive transitions that lie within one
   * episode and do not wrap past the write position: what {@linkcode sampleSequences} draws
   * from. O(size) after a change, then cached.
   */
  countSequences(length: number): number {
    assertPositiveInt(length, "length");
    return this.#windowStarts(length).length;
  }

  /**
   * `batchSize` windows of `length` consecutive transitions, each drawn uniformly (with
   * replacement) from all valid windows: a window never spans two episodes (only its last
   * step may be terminated or truncated) and never wraps from the newest transition to the
   * oldest. See {@linkcode SequenceBatch} for the layout (`states` is
   * `[batchSize, length + 1, stateDim]`). Throws a `RangeError` when no valid window exists.
   *
   * @param batchSize a positive integer.
   * @param length steps per window, a positive integer.
   */
  sampleSequences(batchSize: number, length: number): SequenceBatch {
    assertPositiveInt(batchSize, "batchSize");
    assertPositiveInt(length, "length");
    const starts = this.#windowStarts(length);
    if (starts.length === 0) {
      throw new RangeError(
        `Expected at least one window of length ${length} within an episode but found none ` +
          `(size ${this.#size})`,
      );
    }
    const s = this.#stateDim;
    const a = this.#actionDim;
    const states = new Float32Array(batchSize * (length + 1) * s);
    const actions = new Float32Array(batchSize * length * a);
    const rewards = new Float32Array(batchSize * length);
    const terminated = new Uint8Array(batchSize * length);
    const truncated = new Uint8Array(batchSize * length);
    const indices = new Int32Array(batchSize * length);
    const sourceStates = this.#states;
    const sourceNext = this.#nextStates;
    const sourceActions = this.#actions;
    for (let b = 0; b < batchSize; b++) {
      const start = starts[this.#rng.int(starts.length)]!;
      // Element loops: cheaper than subarray().set() for rows of a few numbers.
      let out = b * (length + 1) * s;
      for (let d = 0; d < s; d++) states[out + d] = sourceStates[start * s + d]!;
      for (let t = 0; t < length; t++) {
        const slot = (start + t) % this.#capacity;
        const row = b * length + t;
        out += s;
        for (let d = 0; d < s; d++) states[out + d] = sourceNext[slot * s + d]!;
        for (let d = 0; d < a; d++) actions[row * a + d] = sourceActions[slot * a + d]!;
        rewards[row] = this.#rewards[slot]!;
        terminated[row] = this.#terminated[slot]!;
        truncated[row] = this.#truncated[slot]!;
        indices[row] = slot;
      }
    }
    return {
      batchSize,
      length,
      stateDim: s,
      actionDim: a,
      states,
      actions,
      rewards,
      terminated,
      truncated,
      indices,
    };
  }

  /** A copy of every stored transition, oldest first. */
  all(): TransitionBatch {
    const batch = allocateBatch(this.#size, this.#stateDim, this.#actionDim);
    const oldest = this.#oldestSlot();
    // At most two contiguous blocks: [oldest, capacity) then [0, writePosition).
    const firstCount = Math.min(this.#size, this.#capacity - oldest);
    this.#copyBlock(oldest, firstCount, batch, 0);
    this.#copyBlock(0, this.#size - firstCount, batch, firstCount);
    return batch;
  }

  /**
   * A random partition of the stored transitions into train and validation batches, each in
   * chronological order. The validation part has {@linkcode validationCount} rows (the
   * workbook's one split rule: `floor(size * validationFraction)`, at least one when the
   * fraction is positive and `size >= 2`, never all of them).
   *
   * @param validationFraction in `[0, 1)`.
   * @param rng the stream to draw the partition from. @default {the buffer's stream}
   */
  split(validationFraction: number, rng: Rng = this.#rng): TransitionSplit {
    assertInRange(validationFraction, "validationFraction", { low: 0, high: 1 });
    if (!(rng instanceof Rng)) {
      throw new TypeError(`Expected rng to be an Rng but found ${describeValue(rng)}`);
    }
    const n = this.#size;
    const heldOut = validationCount(n, validationFraction);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    rng.shuffle(order);
    const isValidation = new Uint8Array(n);
    for (let i = 0; i < heldOut; i++) isValidation[order[i]!] = 1;
    const oldest = this.#oldestSlot();
    const trainSlots = new Int32Array(n - heldOut);
    const validationSlots = new Int32Array(heldOut);
    let t = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const slot = (oldest + i) % this.#capacity;
      if (isValidation[i]) validationSlots[v++] = slot;
      else trainSlots[t++] = slot;
    }
    const train = allocateBatch(trainSlots.length, this.#stateDim, this.#actionDim);
    const validation = allocateBatch(heldOut, this.#stateDim, this.#actionDim);
    this.#copyRows(trainSlots, train, 0);
    this.#copyRows(validationSlots, validation, 0);
    return { train, validation };
  }

  /** Forgets every transition (capacity, dimensions and stream stay). */
  clear(): void {
    this.#size = 0;
    this.#writePosition = 0;
    this.#version++;
    this.#states.fill(0);
    this.#actions.fill(0);
    this.#nextStates.fill(0);
    this.#rewards.fill(0);
    this.#terminated.fill(0);
    this.#truncated.fill(0);
  }

  /**
   * The buffer's exact contents and ring layout as a JSON-ready object (arrays in base64).
   * `JSON.stringify(buffer)` calls it. The sampling stream's state is not included.
   */
  toJSON(): ReplayBufferJson {
    return snapshotToJson(this.snapshot());
  }

  /**
   * Writes the buffer to `path` in the compact binary form described in `serialization.ts`
   * (a JSON header, then the raw arrays and a checksum), creating parent folders.
   */
  async save(path: string): Promise<void> {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeFile(path, snapshotToBytes(this.snapshot()));
  }

  /**
   * Rebuilds a buffer from {@linkcode toJSON}'s output (or its string). A prioritized
   * buffer's data loads as a plain one (its priorities are dropped). Throws an `Error` naming
   * the defect when the data is corrupt or does not match `options.stateDim`/`actionDim`.
   */
  static fromJSON(
    json: ReplayBufferJson | string,
    options: ReplayBufferLoadOptions = {},
  ): ReplayBuffer {
    return ReplayBuffer.#fromSnapshot(snapshotFromJson(json), "JSON", options);
  }

  /**
   * Reads a buffer written by {@linkcode save}, exactly as it was (contents and slots).
   * Throws an `Error` naming the file and the defect when it is corrupt, truncated, of
   * another format, or does not match `options.stateDim`/`actionDim`.
   */
  static async load(path: string, options: ReplayBufferLoadOptions = {}): Promise<ReplayBuffer> {
    const bytes = await Deno.readFile(path);
    return ReplayBuffer.#fromSnapshot(snapshotFromBytes(bytes, path), path, options);
  }

  static #fromSnapshot(
    snapshot: Snapshot,
    source: string,
    options: ReplayBufferLoadOptions,
  ): ReplayBuffer {
    const { capacity, stateDim, actionDim } = snapshot.fields;
    checkExpectedDims(snapshot.fields, source, options);
    const buffer = new ReplayBuffer(capacity, {
      stateDim,
      actionDim,
      rng: options.rng ?? new Rng(0),
      actionSpace: options.actionSpace,
    });
    buffer.restore(snapshot, source);
    return buffer;
  }

  /**
   * The buffer's fields and the filled part of its arrays (slots `0..size-1`). Subclasses add
   * their own fields and arrays. Internal to `lib/buffer/`.
   */
  protected snapshot(): Snapshot {
    const n = this.#size;
    return {
      fields: {
        kind: "uniform",
        capacity: this.#capacity,
        stateDim: this.#stateDim,
        actionDim: this.#actionDim,
        size: n,
        writePosition: this.#writePosition,
      },
      arrays: {
        states: this.#states.slice(0, n * this.#stateDim),
        actions: this.#actions.slice(0, n * this.#actionDim),
        nextStates: this.#nextStates.slice(0, n * this.#stateDim),
        rewards: this.#rewards.slice(0, n),
        terminated: this.#terminated.slice(0, n),
        truncated: this.#truncated.slice(0, n),
      },
    };
  }

  /**
   * Fills this (empty, same-shaped) buffer from a snapshot after checking it fully.
   * Internal to `lib/buffer/`.
   */
  protected restore(snapshot: Snapshot, source: string): void {
    const { size, writePosition, capacity } = snapshot.fields;
    const bad = (why: string) =>
      new Error(`Corrupt or incompatible replay buffer ${source}: ${why}`);
    if (size > capacity) throw bad(`size ${size} exceeds capacity ${capacity}`);
    const expectedWrite = size < capacity ? size : writePosition;
    if (writePosition !== expectedWrite || writePosition >= capacity) {
      throw bad(`write position ${writePosition} does not fit size ${size}`);
    }
    const expected: Record<string, [new (n: number) => unknown, number]> = {
      states: [Float32Array, size * this.#stateDim],
      actions: [Float32Array, size * this.#actionDim],
      nextStates: [Float32Array, size * this.#stateDim],
      rewards: [Float32Array, size],
      terminated: [Uint8Array, size],
      truncated: [Uint8Array, size],
    };
    for (const [name, [type, length]] of Object.entries(expected)) {
      const array = snapshot.arrays[name];
      if (!(array instanceof type) || (array as ArrayLike<number>).length !== length) {
        throw bad(`array ${name} is missing or does not have ${length} ${type.name} elements`);
      }
    }
    const floats = snapshot.arrays as Record<string, Float32Array>;
    const flags = snapshot.arrays as Record<string, Uint8Array>;
    for (const name of ["states", "actions", "nextStates", "rewards"]) {
      if (!floats[name]!.every(Number.isFinite)) throw bad(`array ${name} has non-finite values`);
    }
    for (const name of ["terminated", "truncated"]) {
      if (!flags[name]!.every((flag) => flag <= 1)) throw bad(`array ${name} is not 0/1`);
    }
    const n = this.#discreteActions;
    if (n !== undefined && !floats.actions!.every((a) => Number.isInteger(a) && a >= 0 && a < n)) {
      throw bad(`array actions holds values outside the action space Discrete(${n})`);
    }
    this.#states.set(floats.states!);
    this.#actions.set(floats.actions!);
    this.#nextStates.set(floats.nextStates!);
    this.#rewards.set(floats.rewards!);
    this.#terminated.set(flags.terminated!);
    this.#truncated.set(flags.truncated!);
    this.#size = size;
    this.#writePosition = writePosition;
    this.#version++;
  }

  #advance(count: number): void {
    this.#writePosition = (this.#writePosition + count) % this.#capacity;
    this.#size = Math.min(this.#capacity, this.#size + count);
    this.#version++;
  }

  #oldestSlot(): number {
    return this.#size < this.#capacity ? 0 : this.#writePosition;
  }

  #checkSampleSize(batchSize: number): void {
    assertPositiveInt(batchSize, "batchSize");
    if (this.#size === 0) {
      throw new RangeError("Expected a non-empty buffer to sample from but found size 0");
    }
  }

  /** Valid window starts (slots) for `length`, cached until the next change. */
  #windowStarts(length: number): Int32Array {
    const cache = this.#windowCache;
    if (cache && cache.version === this.#version && cache.length === length) return cache.starts;
    const n = this.#size;
    const oldest = this.#oldestSlot();
    // ends[c] = number of episode ends among chronological positions 0..c-1.
    const ends = new Int32Array(n + 1);
    for (let c = 0; c < n; c++) {
      const slot = (oldest + c) % this.#capacity;
      ends[c + 1] = ends[c]! + (this.#terminated[slot]! | this.#truncated[slot]!);
    }
    const valid: number[] = [];
    // Window c..c+length-1 is valid when it fits before the newest transition and no step
    // but its last ends an episode.
    for (let c = 0; c + length <= n; c++) {
      if (ends[c + length - 1] === ends[c]) valid.push((oldest + c) % this.#capacity);
    }
    const starts = Int32Array.from(valid);
    this.#windowCache = { version: this.#version, length, starts };
    return starts;
  }

  #copyBlock(fromSlot: number, count: number, batch: TransitionBatch, toRow: number): void {
    if (count <= 0) return;
    const s = this.#stateDim;
    const a = this.#actionDim;
    const end = fromSlot + count;
    batch.states.set(this.#states.subarray(fromSlot * s, end * s), toRow * s);
    batch.nextStates.set(this.#nextStates.subarray(fromSlot * s, end * s), toRow * s);
    batch.actions.set(this.#actions.subarray(fromSlot * a, end * a), toRow * a);
    batch.rewards.set(this.#rewards.subarray(fromSlot, end), toRow);
    batch.terminated.set(this.#terminated.subarray(fromSlot, end), toRow);
    batch.truncated.set(this.#truncated.subarray(fromSlot, end), toRow);
  }

  #copyRows(slots: Int32Array, batch: TransitionBatch, toRow: number): void {
    const s = this.#stateDim;
    const a = this.#actionDim;
    const states = this.#states;
    const nextStates = this.#nextStates;
    const actions = this.#actions;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const row = toRow + i;
      for (let d = 0; d < s; d++) {
        batch.states[row * s + d] = states[slot * s + d]!;
        batch.nextStates[row * s + d] = nextStates[slot * s + d]!;
      }
      for (let d = 0; d < a; d++) batch.actions[row * a + d] = actions[slot * a + d]!;
      batch.rewards[row] = this.#rewards[slot]!;
      batch.terminated[row] = this.#terminated[slot]!;
      batch.truncated[row] = this.#truncated[slot]!;
    }
  }

  #checkBatch(batch: TransitionBatch): void {
    if (batch === null || typeof batch !== "object") {
      throw new TypeError(`Expected a TransitionBatch but found ${describeValue(batch)}`);
    }
    const n = batch.size;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`Expected batch.size to be a non-negative integer but found ${n}`);
    }
    if (batch.stateDim !== this.#stateDim || batch.actionDim !== this.#actionDim) {
      throw new TypeError(
        `Expected a batch with stateDim ${this.#stateDim} and actionDim ${this.#actionDim} ` +
          `but found ${batch.stateDim} and ${batch.actionDim}`,
      );
    }
    const fields: [keyof TransitionBatch, new (n: number) => unknown, number][] = [
      ["states", Float32Array, n * this.#stateDim],
      ["actions", Float32Array, n * this.#actionDim],
      ["nextStates", Float32Array, n * this.#stateDim],
      ["rewards", Float32Array, n],
      ["terminated", Uint8Array, n],
      ["truncated", Uint8Array, n],
    ];
    for (const [name, type, length] of fields) {
      const array = batch[name];
      if (!(array instanceof type)) {
        throw new TypeError(
          `Expected batch.${name} to be a ${type.name} but found ${describeValue(array)}`,
        );
      }
      assertFiniteArray(array, `batch.${name}`, length);
    }
    const discrete = this.#discreteActions;
    if (discrete !== undefined) {
      const actions = batch.actions;
      for (let i = 0; i < actions.length; i++) {
        const a = actions[i]!;
        if (!(Number.isInteger(a) && a >= 0 && a < discrete)) {
          assertIndex(a, `batch.actions[${i}]`, discrete); // throws with the message
        }
      }
    }
    for (const name of ["terminated", "truncated"] as const) {
      const array = batch[name];
      for (let i = 0; i < array.length; i++) {
        if (array[i]! > 1) {
          throw new RangeError(`Expected batch.${name}[${i}] to be 0 or 1 but found ${array[i]}`);
        }
      }
    }
  }
}

/** `n` of a Discrete action space (checked against `actionDim`), else undefined. */
function discreteActionsOf(
  space: BufferActionSpace | undefined,
  actionDim: number,
): number | undefined {
  if (space === undefined) return undefined;
  if (space === null || typeof space !== "object") {
    throw new TypeError(`Expected actionSpace to be a space but found ${describeValue(space)}`);
  }
  if (space.kind === "box") return undefined;
  if (space.kind !== "discrete") {
    throw new TypeError(
      `Expected actionSpace.kind to be discrete or box but found ${
        describeValue((space as { kind?: unknown }).kind)
      }`,
    );
  }
  assertPositiveInt(space.n, "actionSpace.n");
  if (actionDim !== 1) {
    throw new TypeError(
      `Expected actionDim to be 1 for a Discrete action space but found ${actionDim}`,
    );
  }
  return space.n;
}

/** The `replace` option of `sample`, checked. */
export function replaceOption(options: ReplayBufferSampleOptions): boolean {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Expected sample options to be an object but found ${describeValue(options)}`,
    );
  }
  const replace = options.replace ?? true;
  if (typeof replace !== "boolean") {
    throw new TypeError(`Expected replace to be a boolean but found ${describeValue(replace)}`);
  }
  return replace;
}

/** Throws when the loaded fields contradict the caller's expected dimensions. */
export function checkExpectedDims(
  fields: SnapshotFields,
  source: string,
  options: { stateDim?: number; actionDim?: number },
): void {
  for (const key of ["stateDim", "actionDim"] as const) {
    const expected = options[key];
    if (expected !== undefined && fields[key] !== expected) {
      throw new Error(
        `Mismatched replay buffer ${source}: expected ${key} ${expected} but found ${fields[key]}`,
      );
    }
  }
  for (const key of ["capacity", "stateDim", "actionDim"] as const) {
    if (fields[key] <= 0) {
      throw new Error(
        `Corrupt or incompatible replay buffer ${source}: ${key} must be positive but is ${
          fields[key]
        }`,
      );
    }
  }
}
