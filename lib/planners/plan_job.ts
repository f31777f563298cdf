/**
 * The layout of one planning job in shared memory: how the main thread hands the planning
 * workers a rollout ({@linkcode writeJob}), how they read it back ({@linkcode readJob}) and
 * how every thread claims its next chunk of the rows ({@linkcode claimChunk}), without a message
 * per planning call.
 *
 * Why not `postMessage`: in Deno's `node:worker_threads`, a message that transfers typed
 * arrays took ~3.4 ms to reach an idle worker here (a bare message ~0.4 ms, an
 * `Atomics.notify` seen by `Atomics.waitAsync` ~0.2 ms), and the design-default planning step
 * computes a share for ~20-30 ms, so that handoff alone cost a tenth of the step. The job
 * buffer is a growable `SharedArrayBuffer` all workers receive once; each call writes the
 * batch's rows into it (one copy) and bumps a control word.
 *
 * Why chunks claimed at run time rather than one fixed share per thread: with fixed halves the
 * main thread waited ~1.9 ms of a 20.8 ms design-default step for the worker's half (measured
 * here: the worker runs ~10% slower per row with both threads busy, and is now and then held up
 * for ~10 ms); with
 * the rows cut into shrinking chunks ({@linkcode chunkBounds}) that each thread claims in turn,
 * a slowed thread simply takes fewer. Rows do not interact, so who rolls out which chunk does
 * not change any row's result.
 *
 * Layout: {@linkcode HEADER_WORDS} Int32 words (rows, spec bytes, which optional arrays are
 * present, jobs `K` of the noise, chunks `C`, the next chunk to claim), the spec as UTF-8 JSON
 * in a fixed region of {@linkcode SPEC_BYTES}, then the arrays, each starting at a multiple of 8
 * bytes: start states (f32, `[R * d]`), env actions (f32, `[H * R * envDim]`, step-major), and
 * where present member choices (i32, `[H * R]`) and the noise's seeds (i32, `[K]`) and job
 * starts (i32, `[K + 1]`), then the chunk bounds (i32, `[C + 1]`). The workers draw the noise
 * themselves.
 *
 * The control words each worker and the pool use to signal jobs are defined here too.
 *
 * @module
 */
import { NOISE_BLOCK_ROWS, type RolloutBatch, type RolloutSpec } from "./rollout.ts";

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
const HEADER_WORDS = 6;
/** Header word: rows `R` of the batch. */
const ROWS = 0;
/** Header word: bytes of the spec's JSON. */
const SPEC_LENGTH = 1;
/** Header word: bit 0 members, bit 1 noise seeds present. */
const FLAGS = 2;
/** Header word: jobs `K` of the noise seeds. */
const NOISE_JOBS = 3;
/** Header word: chunks `C` the rows are cut into. */
const CHUNKS = 4;
/** Header word: the next chunk to claim (bumped atomically by every thread). */
const NEXT_CHUNK = 5;
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

/** Byte offsets of each array of a job of `n` rows in `chunks` chunks, and the total bytes. */
function layout(spec: RolloutSpec, n: number, flags: number, jobs: number, chunks: number) {
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
  const bounds = take((chunks + 1) * 4);
  return { states, actions, members, seeds, starts, bounds, bytes: at };
}

/** Which optional arrays `batch` carries, as {@linkcode FLAGS} bits. */
function flagsOf(batch: RolloutBatch): number {
  return (batch.members ? 1 : 0) | (batch.noise ? 2 : 0);
}

/**
 * Bytes a job buffer needs for `batch` cut into `chunks` (bounds, `[C + 1]`): compare with
 * {@linkcode JOB_BUFFER_MAX_BYTES} before writing.
 */
export function jobBytes(spec: RolloutSpec, batch: RolloutBatch, chunks: Int32Array): number {
  const jobs = batch.noise?.seeds.length ?? 0;
  return layout(spec, batch.rows, flagsOf(batch), jobs, chunks.length - 1).bytes;
}

/**
 * How the rows `[0, rows)` of a split planning call are cut into chunks that the threads
 * claim in turn (guided self-scheduling): each chunk takes `1 / (2 * threads)` of the rows
 * still unclaimed, rounded up to whole noise blocks ({@linkcode NOISE_BLOCK_ROWS}) and at least
 * `minChunk` rows, so that the first chunks are large (few model calls) and the last ones
 * small (whoever finishes first takes them). Returns the bounds, `[C + 1]`, from 0 to `rows`.
 *
 * @throws {RangeError} when `rows` is negative or not an integer, or `threads` or `minChunk`
 *   is not a positive integer.
 *
 * @example
 * ```ts
 * Array.from(chunkBounds(1000, 2, 32)); // [0, 256, 448, 608, 736, 832, 896, 928, 960, 992, 1000]
 * ```
 */
export function chunkBounds(rows: number, threads: number, minChunk: number): Int32Array {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new RangeError(`Expected rows to be a non-negative integer but found ${rows}`);
  }
  for (const [name, v] of [["threads", threads], ["minChunk", minChunk]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Expected ${name} to be a positive integer but found ${v}`);
    }
  }
  const bounds = [0];
  let at = 0;
  while (at < rows) {
    const guided = Math.ceil((rows - at) / (2 * threads) / NOISE_BLOCK_ROWS) * NOISE_BLOCK_ROWS;
    at = Math.min(rows, at + Math.max(minChunk, guided));
    bounds.push(at);
  }
  return Int32Array.from(bounds);
}

/**
 * Claims the next chunk of the job in `buffer` for the calling thread: its index, or
 * `C` (the chunk count) and above once every chunk is taken. Atomic: each chunk goes to
 * exactly one thread.
 */
export function claimChunk(buffer: SharedArrayBuffer): number {
  return Atomics.add(new Int32Array(buffer, 0, HEADER_WORDS), NEXT_CHUNK, 1);
}

/**
 * Writes `batch` (start states, each step's actions and members, the noise's seeds and job
 * starts), its chunk bounds `chunks` (from {@linkcode chunkBounds}) and `spec` into `buffer`,
 * growing it as needed, and resets the chunk claims.
 *
 * @throws {RangeError} when the job needs more than {@linkcode JOB_BUFFER_MAX_BYTES}, the
 *   spec's JSON more than {@linkcode SPEC_BYTES}, or `chunks` does not run from 0 to the rows.
 *
 * @example
 * ```ts
 * import type { RolloutBatch, RolloutSpec } from "./rollout.ts";
 * const spec: RolloutSpec = { stateDim: 1, envDim: 1, horizon: 2, discount: 1, shaping: null,
 *   rewardSource: "env", terminationSource: "env", call: "predict" };
 * const batch: RolloutBatch = { rows: 2, states: Float32Array.of(5, 6),
 *   actions: Float32Array.of(0, 1, 2, 3) };
 * const buffer = createJobBuffer();
 * writeJob(buffer, spec, batch, Int32Array.of(0, 1, 2));
 * claimChunk(buffer); // 0
 * readJob(buffer).chunks; // Int32Array [0, 1, 2]
 * ```
 */
export function writeJob(
  buffer: SharedArrayBuffer,
  spec: RolloutSpec,
  batch: RolloutBatch,
  chunks: Int32Array,
): void {
  const n = batch.rows;
  if (chunks.length < 1 || chunks[0] !== 0 || chunks[chunks.length - 1] !== n) {
    throw new RangeError(`Expected chunk bounds from 0 to ${n} but found [${chunks.join(", ")}]`);
  }
  const flags = flagsOf(batch);
  const jobs = batch.noise?.seeds.length ?? 0;
  const at = layout(spec, n, flags, jobs, chunks.length - 1);
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
  header[CHUNKS] = chunks.length - 1;
  header[NEXT_CHUNK] = 0;
  new Uint8Array(buffer, HEADER_WORDS * 4, json.length).set(json);
  const { stateDim: d, envDim, horizon: H } = spec;
  new Float32Array(buffer, at.states, n * d).set(batch.states.subarray(0, n * d));
  new Float32Array(buffer, at.actions, H * n * envDim).set(
    batch.actions.subarray(0, H * n * envDim),
  );
  if (batch.members) {
    new Int32Array(buffer, at.members, H * n).set(batch.members.subarray(0, H * n));
  }
  if (batch.noise) {
    new Int32Array(buffer, at.seeds, jobs).set(batch.noise.seeds);
    new Int32Array(buffer, at.starts, jobs + 1).set(batch.noise.starts);
  }
  new Int32Array(buffer, at.bounds, chunks.length).set(chunks);
}

/**
 * The spec, the batch and the chunk bounds written by {@linkcode writeJob}, as views into
 * `buffer` (valid until the next job is written).
 */
export function readJob(
  buffer: SharedArrayBuffer,
): { spec: RolloutSpec; batch: RolloutBatch; chunks: Int32Array } {
  const header = new Int32Array(buffer, 0, HEADER_WORDS);
  const n = header[ROWS]!;
  const flags = header[FLAGS]!;
  const jobs = header[NOISE_JOBS]!;
  const chunkCount = header[CHUNKS]!;
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
  const at = layout(spec, n, flags, jobs, chunkCount);
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
  return { spec, batch, chunks: new Int32Array(buffer, at.bounds, chunkCount + 1) };
}
