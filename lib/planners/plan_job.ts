/**
 * The layout of one planning job in shared memory: how the main thread hands a planning
 * worker its share of a rollout ({@linkcode writeJob}) and how the worker reads it back
 * ({@linkcode readJob}), without a message per planning call.
 *
 * Why not `postMessage`: in Deno's `node:worker_threads`, a message that transfers typed
 * arrays took ~3.4 ms to reach an idle worker here (a bare message ~0.4 ms, an
 * `Atomics.notify` seen by `Atomics.waitAsync` ~0.2 ms), and the design-default planning step
 * computes a share for ~20-30 ms, so that handoff alone cost a tenth of the step. The job
 * buffer is a growable `SharedArrayBuffer` each worker receives once; each call writes the
 * share's rows into it (one copy, as slicing did before) and bumps a control word.
 *
 * Layout: {@linkcode HEADER_WORDS} Int32 words (rows, spec bytes, which optional arrays are
 * present, jobs `K` of the noise), the spec as UTF-8 JSON in a fixed region of
 * {@linkcode SPEC_BYTES}, then the rows' arrays, each starting at a multiple of 8 bytes: start
 * states (f32, `[n * d]`), env actions (f32, `[H * n * envDim]`, step-major), and where present
 * member choices (i32, `[H * n]`) and the noise's seeds (i32, `[K]`) and job starts (i32,
 * `[K + 1]`, relative to the share's first row). The worker draws the noise itself.
 *
 * The control words both sides use to signal jobs are defined here too.
 *
 * @module
 */
import type { RolloutBatch, RolloutSpec } from "./rollout.ts";

/*
 * The shared control words, CTRL_WORDS per worker at `index * CTRL_WORDS`: the pool writes
 * JOB and STOP, the worker DONE, STATUS and HEARTBEAT.
 */
/** Control words per worker in the shared control array. */
export const CTRL_WORDS = 5;
/** Index of the sequence number of the last finished job. */
export const DONE = 0;
/** Index of the status of that job (0 ok, 1 failed). */
export const STATUS = 1;
/** Index of a counter the worker bumps after every model call. */
export const HEARTBEAT = 2;
/** Index of the sequence number of the job posted last (the worker waits on it). */
export const JOB = 3;
/**
 * Index of the stop flag: set before a worker is terminated, so that it serves no further job
 * (Deno's `terminate()` resolves, and fires `exit`, while the thread can still pick one up).
 */
export const STOP = 4;
/** Bytes of a worker's error message buffer. */
export const ERROR_BYTES = 2048;

/** Int32 words of the job header. */
const HEADER_WORDS = 4;
/** Header word: rows `n` of the share. */
const ROWS = 0;
/** Header word: bytes of the spec's JSON. */
const SPEC_LENGTH = 1;
/** Header word: bit 0 members, bit 1 noise seeds present. */
const FLAGS = 2;
/** Header word: jobs `K` of the noise seeds. */
const NOISE_JOBS = 3;
/** Bytes reserved for the spec's JSON (a spec is ~300 bytes; shaping adds ~20 per entry). */
export const SPEC_BYTES = 8192;
/** Where the arrays start (a multiple of 8). */
const DATA_OFFSET = HEADER_WORDS * 4 + SPEC_BYTES;
/**
 * The most bytes a job buffer may grow to (virtual reservation; only what is used is
 * committed). A share needing more is planned on the main thread instead.
 */
export const JOB_BUFFER_MAX_BYTES = 2 ** 30;

/** A growable shared buffer for jobs (starts small, grows up to {@linkcode JOB_BUFFER_MAX_BYTES}). */
export function createJobBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(DATA_OFFSET, { maxByteLength: JOB_BUFFER_MAX_BYTES });
}

/** Rounds `bytes` up to a multiple of 8. */
function align8(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** Byte offsets of each array of a share of `n` rows, and the total bytes. */
function layout(spec: RolloutSpec, n: number, flags: number, jobs: number) {
  const { stateDim: d, envDim, horizon: H } = spec;
  let at = DATA_OFFSET;
  const take = (bytes: number, present = true): number => {
    const start = at;
    if (present) at += align8(bytes);
    return start;
  };
  const states = take(n * d * 4);
  const actions = take(H * n * envDim * 4);
  const members = take(H * n * 4, (flags & 1) !== 0);
  const seeds = take(jobs * 4, (flags & 2) !== 0);
  const starts = take((jobs + 1) * 4, (flags & 2) !== 0);
  return { states, actions, members, seeds, starts, bytes: at };
}

/** Which optional arrays `batch` carries, as {@linkcode FLAGS} bits. */
function flagsOf(batch: RolloutBatch): number {
  return (batch.members ? 1 : 0) | (batch.noise ? 2 : 0);
}

/**
 * Bytes a job buffer needs for rows `[lo, hi)` of `batch`: compare with
 * {@linkcode JOB_BUFFER_MAX_BYTES} before writing.
 */
export function jobBytes(spec: RolloutSpec, batch: RolloutBatch, lo: number, hi: number): number {
  return layout(spec, hi - lo, flagsOf(batch), batch.noise?.seeds.length ?? 0).bytes;
}

/**
 * Writes rows `[lo, hi)` of `batch` (start states, each step's actions and members, the noise's
 * seeds with job starts relative to `lo`) and `spec` into `buffer`, growing it as needed.
 *
 * @throws {RangeError} when the share needs more than {@linkcode JOB_BUFFER_MAX_BYTES} or the
 *   spec's JSON more than {@linkcode SPEC_BYTES}.
 *
 * @example
 * ```ts
 * import type { RolloutBatch, RolloutSpec } from "./rollout.ts";
 * const spec: RolloutSpec = { stateDim: 1, envDim: 1, horizon: 2, discount: 1, shaping: null,
 *   rewardSource: "env", terminationSource: "env", call: "predict" };
 * const batch: RolloutBatch = { rows: 2, states: Float32Array.of(5, 6),
 *   actions: Float32Array.of(0, 1, 2, 3) };
 * const buffer = createJobBuffer();
 * writeJob(buffer, spec, batch, 1, 2);
 * readJob(buffer).batch.actions; // Float32Array [1, 3]: row 1's action at each step
 * ```
 */
export function writeJob(
  buffer: SharedArrayBuffer,
  spec: RolloutSpec,
  batch: RolloutBatch,
  lo: number,
  hi: number,
): void {
  const n = hi - lo;
  const flags = flagsOf(batch);
  const jobs = batch.noise?.seeds.length ?? 0;
  const at = layout(spec, n, flags, jobs);
  if (at.bytes > JOB_BUFFER_MAX_BYTES) {
    throw new RangeError(
      `A planning job of ${n} rows needs ${at.bytes} bytes, more than the ${JOB_BUFFER_MAX_BYTES} a job buffer holds`,
    );
  }
  const json = new TextEncoder().encode(JSON.stringify({
    ...spec,
    shaping: spec.shaping === null ? null : Array.from(spec.shaping),
  }));
  if (json.length > SPEC_BYTES) {
    throw new RangeError(`A planning spec of ${json.length} bytes exceeds ${SPEC_BYTES}`);
  }
  if (buffer.byteLength < at.bytes) buffer.grow(at.bytes);
  const header = new Int32Array(buffer, 0, HEADER_WORDS);
  header[ROWS] = n;
  header[SPEC_LENGTH] = json.length;
  header[FLAGS] = flags;
  header[NOISE_JOBS] = jobs;
  new Uint8Array(buffer, HEADER_WORDS * 4, json.length).set(json);
  const { stateDim: d, envDim, horizon: H } = spec;
  const R = batch.rows;
  new Float32Array(buffer, at.states, n * d).set(batch.states.subarray(lo * d, hi * d));
  // Each step's rows of the share, one after another (the share is a batch of its own).
  const perStep = (src: Float32Array | Int32Array, dst: typeof src, w: number) => {
    for (let t = 0; t < H; t++) {
      dst.set(src.subarray((t * R + lo) * w, (t * R + hi) * w) as never, t * n * w);
    }
  };
  perStep(batch.actions, new Float32Array(buffer, at.actions, H * n * envDim), envDim);
  if (batch.members) perStep(batch.members, new Int32Array(buffer, at.members, H * n), 1);
  if (batch.noise) {
    new Int32Array(buffer, at.seeds, jobs).set(batch.noise.seeds);
    const starts = new Int32Array(buffer, at.starts, jobs + 1);
    for (let k = 0; k <= jobs; k++) starts[k] = batch.noise.starts[k]! - lo;
  }
}

/**
 * The spec and the share written by {@linkcode writeJob}, as views into `buffer` (valid until
 * the next job is written).
 */
export function readJob(buffer: SharedArrayBuffer): { spec: RolloutSpec; batch: RolloutBatch } {
  const header = new Int32Array(buffer, 0, HEADER_WORDS);
  const n = header[ROWS]!;
  const flags = header[FLAGS]!;
  const jobs = header[NOISE_JOBS]!;
  // TextDecoder refuses views of shared memory: copy the few spec bytes out first.
  const bytes = new Uint8Array(buffer, HEADER_WORDS * 4, header[SPEC_LENGTH]!).slice();
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as
    & Omit<RolloutSpec, "shaping">
    & { shaping: number[] | null };
  const spec: RolloutSpec = {
    ...parsed,
    shaping: parsed.shaping === null ? null : Float32Array.from(parsed.shaping),
  };
  const { stateDim: d, envDim, horizon: H } = spec;
  const at = layout(spec, n, flags, jobs);
  const batch: RolloutBatch = {
    rows: n,
    states: new Float32Array(buffer, at.states, n * d),
    actions: new Float32Array(buffer, at.actions, H * n * envDim),
  };
  if ((flags & 1) !== 0) batch.members = new Int32Array(buffer, at.members, H * n);
  if ((flags & 2) !== 0) {
    batch.noise = {
      seeds: new Int32Array(buffer, at.seeds, jobs),
      starts: new Int32Array(buffer, at.starts, jobs + 1),
    };
  }
  return { spec, batch };
}
