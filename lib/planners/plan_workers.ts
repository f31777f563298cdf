/**
 * Planning on several cores: a pool of Deno Workers ({@linkcode ./plan_worker.ts}), each
 * holding its own copy of the dynamics model, that roll out chunks of a planning step's rows
 * beside the main thread.
 *
 * The wasm backend computes on one thread per process, so threads are the only way to use a
 * second core. Planning calls are synchronous (`getAction` returns an action), so the main
 * thread cannot wait for a reply message. The workers received, once, a growable shared job
 * buffer and a shared result buffer; per call the main thread writes the batch (start states,
 * env actions, member choices, the seeds of the Gaussian noise and the chunk bounds:
 * {@linkcode writeJob}) into the job buffer, bumps each worker's job word and notifies it (a
 * worker waits with `Atomics.waitAsync`, so its event loop still takes weight loads). Then
 * every thread, the main one included, claims chunks of rows ({@linkcode chunkBounds},
 * {@linkcode claimChunk}) until none is left, rolling each out into the result buffer; the
 * main thread then waits with `Atomics.wait` until each worker has finished. No message per
 * call: a `postMessage` that transferred the rows took ~3.4 ms to reach the worker here.
 * Member choices are drawn on the main thread before the split and each row draws its noise
 * from its own block stream (`RolloutNoise`), so any thread drawing it gets the same values;
 * rows do not interact, so the result is the same for any worker count and any claiming
 * order.
 *
 * Weights are copied by `model.save` into a temporary folder and `loadDynamicsModel` in each
 * worker ({@linkcode PlanWorkerPool.sync}, once per refit). The threads are
 * `node:worker_threads` workers, unreferenced while idle: unlike Deno's web `Worker` (which
 * has no `unref`), a pool that is never disposed does not keep the process from exiting. A
 * worker that throws, or makes no progress for `stallTimeoutMs` (terminated, crashed), makes
 * the planning call throw; the pool is then unusable.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { envMetadata } from "../envs/registry.ts";
import type { EnvId, EnvRules } from "../envs/types.ts";
import type { BaseDynamicsModel } from "../models/mod.ts";
import type { RolloutRunner } from "./trajectory_evaluator.ts";
import {
  chunkBounds,
  claimChunk,
  createJobBuffer,
  CTRL_WORDS,
  DONE,
  ERROR_BYTES,
  HEARTBEAT,
  JOB,
  JOB_BUFFER_MAX_BYTES,
  jobBytes,
  STATUS,
  STOP,
  writeJob,
} from "./plan_job.ts";
import {
  NOISE_BLOCK_ROWS,
  type RolloutBatch,
  type RolloutSpec,
  rolloutStride,
  rolloutTotals,
} from "./rollout.ts";

/** Dense-layer FLOPs per thread and model call below which splitting does not pay here. */
const MIN_FLOPS_PER_THREAD = 4e6;

/** Matrix-multiply FLOPs of one row through one member of `model`. */
function denseFlopsPerRow(model: BaseDynamicsModel): number {
  const { stateDim, actionDim, hiddenSizes, probabilistic, learnTermination } = model.config;
  const out = (stateDim + 1) * (probabilistic ? 2 : 1) + (learnTermination ? 1 : 0);
  const sizes = [stateDim + actionDim, ...hiddenSizes, out];
  let flops = 0;
  for (let i = 0; i + 1 < sizes.length; i++) flops += 2 * sizes[i]! * sizes[i + 1]!;
  return flops;
}

/** Messages the main thread posts to a worker. */
export type PlanWorkerRequest =
  | {
    kind: "init";
    control: SharedArrayBuffer;
    error: SharedArrayBuffer;
    index: number;
    /** The pool's growable job buffer ({@linkcode writeJob}'s layout), shared by all workers. */
    job: SharedArrayBuffer;
    /**
     * The pool's growable result buffer: every row's objective, `rolloutStride` per row, each
     * written by the thread that claimed its chunk.
     */
    result: SharedArrayBuffer;
  }
  | { kind: "load"; path: string; envId: EnvId; version: number };

/** Messages a worker posts back (only for loading; jobs and results go through shared memory). */
export type PlanWorkerReply =
  | { kind: "loaded"; version: number }
  | { kind: "error"; message: string };

/** Options of {@linkcode PlanWorkerPool}. */
export interface PlanWorkerPoolOptions {
  /** Worker threads (at least 1). */
  workers: number;
  /** The env whose rules the workers score with (they look them up by id). */
  envId: EnvId;
  /**
   * How long a worker may make no progress before the planning call fails, ms.
   * @default {30000}
   */
  stallTimeoutMs?: number;
  /**
   * Fewest rows per thread worth splitting; smaller batches run on the main thread. The
   * default asks for about 4 MFLOP of dense layers per thread and model call: 64 rows of a
   * [256,256] probabilistic network, ~420 of a [64,64] deterministic one, so that a CartPole
   * lockstep evaluation (10 x 500 rows) splits. Measured here (idle, CartPole main command,
   * `--workers 1`): 19.1-20.1 s without splitting, 16.0-16.2 s at 1e7, 13.8 s at 4e6, 14.4 s at
   * 2e6. (It was 4e7 while each call's rows travelled by `postMessage`, ~3.4 ms a call.)
   * @default {max(64, ceil(4e6 / dense FLOPs per row))}
   */
  minRowsPerThread?: number;
}

/**
 * Where split planning calls spent their time on the main thread, ms summed over calls
 * ({@linkcode PlanWorkerPool.timings}; for benchmarks).
 */
export interface PlanWorkerTimings {
  /** Writing the workers' job buffers and waking them. */
  handoffMs: number;
  /** Rolling out the chunks the main thread claimed. */
  mainShareMs: number;
  /** Waiting for the workers after that, and gathering the results. */
  waitMs: number;
  /** Rows the main thread rolled out. */
  mainRows: number;
  /** Rows of all split calls. */
  rows: number;
}

interface Slot {
  worker: Worker;
  alive: boolean;
}

/**
 * The worker pool behind a planner's `workers` setting.
 *
 * @example
 * ```ts
 * import { createDynamicsModel } from "../models/mod.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = createDynamicsModel({ type: "deterministic", stateDim: 4, actionDim: 1,
 *   hiddenSizes: [8] });
 * const pool = new PlanWorkerPool(model, { workers: 1, envId: "CartPole-v1" });
 * await pool.sync(1); // copies the weights into the worker
 * pool.dispose();
 * model.dispose();
 * ```
 */
export class PlanWorkerPool implements RolloutRunner {
  #model: BaseDynamicsModel;
  #rules: EnvRules;
  #envId: EnvId;
  #slots: Slot[];
  #control: Int32Array;
  #errors: Uint8Array;
  #stallMs: number;
  #minRows: number;
  /**
   * The smallest chunk: half the rows a thread needs for splitting to pay
   * ({@linkcode PlanWorkerPoolOptions.minRowsPerThread}), in whole noise blocks, so that a
   * chunk's fixed cost per model call stays small against its work.
   */
  #minChunk: number;
  #job = createJobBuffer();
  #result = new SharedArrayBuffer(8, { maxByteLength: JOB_BUFFER_MAX_BYTES });
  #seq = 0;
  #timings: PlanWorkerTimings = {
    handoffMs: 0,
    mainShareMs: 0,
    waitMs: 0,
    mainRows: 0,
    rows: 0,
  };
  #version: number | null = null;
  #dir: string | null = null;
  #failure: string | null = null;
  #disposed = false;

  /**
   * Starts `workers` threads (they import tfjs and initialise wasm in the background); they
   * score with the rules of `envId`, and the main thread's share runs on `model` itself.
   *
   * @throws {RangeError} when `workers` is not a positive integer.
   */
  constructor(model: BaseDynamicsModel, options: PlanWorkerPoolOptions) {
    const {
      workers,
      envId,
      stallTimeoutMs = 30000,
      minRowsPerThread = Math.max(64, Math.ceil(MIN_FLOPS_PER_THREAD / denseFlopsPerRow(model))),
    } = options;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Expected workers to be a positive integer but found ${workers}`);
    }
    this.#model = model;
    this.#envId = envId;
    this.#rules = envMetadata(envId).rules;
    this.#stallMs = stallTimeoutMs;
    this.#minRows = minRowsPerThread;
    this.#minChunk = Math.max(
      NOISE_BLOCK_ROWS,
      Math.ceil(minRowsPerThread / 2 / NOISE_BLOCK_ROWS) * NOISE_BLOCK_ROWS,
    );
    const control = new SharedArrayBuffer(workers * CTRL_WORDS * 4);
    const errors = new SharedArrayBuffer(workers * ERROR_BYTES);
    this.#control = new Int32Array(control);
    this.#errors = new Uint8Array(errors);
    this.#slots = [];
    for (let index = 0; index < workers; index++) {
      const worker = new Worker(new URL("./plan_worker.ts", import.meta.url));
      worker.unref();
      const slot: Slot = { worker, alive: true };
      worker.on("error", (error: Error) => {
        this.#failure ??= `Planning worker ${index} crashed: ${error.message}`;
      });
      worker.on("exit", () => {
        slot.alive = false;
      });
      worker.postMessage(
        {
          kind: "init",
          control,
          error: errors,
          index,
          job: this.#job,
          result: this.#result,
        } satisfies PlanWorkerRequest,
      );
      this.#slots.push(slot);
    }
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.#slots.length;
  }

  /** Workers started and not yet terminated (0 after {@linkcode PlanWorkerPool.dispose}). */
  get liveWorkers(): number {
    return this.#slots.filter((s) => s.alive).length;
  }

  /** Planning calls split across the workers so far. */
  get runs(): number {
    return this.#seq;
  }

  /** Where split calls spent their main-thread time so far (a copy; see {@linkcode PlanWorkerTimings}). */
  get timings(): PlanWorkerTimings {
    return { ...this.#timings };
  }

  /** The version last passed to {@linkcode PlanWorkerPool.sync}, or null before. */
  get version(): number | null {
    return this.#version;
  }

  /**
   * Copies the model's current weights into every worker (save to a temporary folder, load
   * there) and records `version` as the weights the workers hold.
   *
   * @throws {Error} when a worker fails to load the model, or the pool is disposed or failed.
   */
  async sync(version: number): Promise<void> {
    this.#assertUsable();
    this.#dir ??= await Deno.makeTempDir({ prefix: "mbrl-plan-weights-" });
    const path = `${this.#dir}/v${version}`;
    await this.#model.save(path);
    try {
      await Promise.all(this.#slots.map((slot) => this.#load(slot, path, version)));
    } finally {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
    this.#version = version;
  }

  /** Whether this pool takes `rows` rows now: synced, healthy and enough rows to split. */
  accepts(rows: number): boolean {
    return !this.#disposed && this.#version !== null &&
      rows >= this.#minRows * (this.#slots.length + 1);
  }

  /**
   * Writes the batch into the shared job buffer, wakes the workers, claims and rolls out
   * chunks of rows on this thread until none is left ({@linkcode chunkBounds}: shrinking
   * chunks, so that a thread slowed by anything else on the machine takes fewer; on tfjs
   * inference and for mean rollouts one equal share per thread) and waits for the workers. A
   * batch too large for the job or result buffer
   * ({@linkcode JOB_BUFFER_MAX_BYTES}) is not split: it runs on this thread.
   *
   * @throws {Error} when a worker failed, crashed or stalled, or the pool is disposed.
   */
  run(spec: RolloutSpec, batch: RolloutBatch, out: Float64Array): void {
    this.#assertUsable();
    const R = batch.rows;
    // Numbers per row in `out` and the result buffer (the objective, or more: rolloutStride).
    const stride = rolloutStride(spec);
    const threads = this.#slots.length + 1;
    // Two cases keep one equal share per thread, as before the chunks. On tfjs inference every
    // model call costs ~10 tfjs ops of fixed dispatch, so more, smaller chunks made split steps
    // slower (design default 29 -> 32 ms, lockstep 9 -> 13 ms). Mean ("predict") rollouts
    // predict each shared action prefix once per chunk, so chunks cut those merges apart (the
    // CartPole main command: 8.8 -> 10.0 s).
    const equal = this.#model.config.inference === "tfjs" || spec.call === "predict";
    const chunks = equal
      ? chunkBounds(R, threads, Math.max(1, Math.ceil(R / threads)))
      : chunkBounds(R, threads, this.#minChunk);
    if (
      jobBytes(spec, batch, chunks) > JOB_BUFFER_MAX_BYTES ||
      R * stride * 8 > JOB_BUFFER_MAX_BYTES
    ) {
      rolloutTotals(this.#model, this.#rules, spec, batch, { lo: 0, hi: R, out });
      return;
    }
    const seq = ++this.#seq;
    const t0 = performance.now();
    writeJob(this.#job, spec, batch, chunks);
    if (this.#result.byteLength < R * stride * 8) this.#result.grow(R * stride * 8);
    const result = new Float64Array(this.#result, 0, R * stride);
    this.#slots.forEach((_, w) => {
      Atomics.store(this.#control, w * CTRL_WORDS + JOB, seq);
      Atomics.notify(this.#control, w * CTRL_WORDS + JOB);
    });
    const t1 = performance.now();
    // Wait for the workers even when this thread's chunk throws: the next call rewrites the
    // job buffer, which must not happen while they still read it.
    let failure: { error: unknown } | undefined;
    let mainRows = 0;
    try {
      for (let k = claimChunk(this.#job); k < chunks.length - 1; k = claimChunk(this.#job)) {
        const lo = chunks[k]!;
        const hi = chunks[k + 1]!;
        rolloutTotals(this.#model, this.#rules, spec, batch, {
          lo,
          hi,
          out: result.subarray(lo * stride, hi * stride),
        });
        mainRows += hi - lo;
      }
    } catch (error) {
      failure = { error };
    }
    const t2 = performance.now();
    this.#slots.forEach((_, w) => this.#await(w, seq));
    out.set(result);
    const t3 = performance.now();
    this.#timings.handoffMs += t1 - t0;
    this.#timings.mainShareMs += t2 - t1;
    this.#timings.waitMs += t3 - t2;
    this.#timings.mainRows += mainRows;
    this.#timings.rows += R;
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Terminates worker `index` without telling the pool, as a crash would (for tests: the
   * next planning call must fail rather than return a wrong action). Resolves once the thread
   * has exited (its `exit` event; `terminate()` itself can resolve while the thread still runs).
   */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (slot === undefined || !slot.alive) return;
    Atomics.store(this.#control, index * CTRL_WORDS + STOP, 1);
    const exited = new Promise<void>((resolve) => slot.worker.once("exit", () => resolve()));
    await slot.worker.terminate();
    await exited;
  }

  /** Terminates every worker and removes the weight folder. Later calls throw. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const [w, slot] of this.#slots.entries()) {
      Atomics.store(this.#control, w * CTRL_WORDS + STOP, 1);
      void slot.worker.terminate();
      slot.alive = false;
    }
    if (this.#dir !== null) {
      try {
        Deno.removeSync(this.#dir, { recursive: true });
      } catch {
        // already gone
      }
    }
  }

  #load(slot: Slot, path: string, version: number): Promise<void> {
    // Referenced while loading, so that awaiting the reply keeps the process alive.
    slot.worker.ref();
    return new Promise<void>((resolve, reject) => {
      const onMessage = (reply: PlanWorkerReply) => {
        slot.worker.off("message", onMessage);
        if (reply.kind === "loaded" && reply.version === version) resolve();
        else {
          reject(
            new Error(
              `A planning worker failed to load the model: ${
                reply.kind === "error" ? reply.message : "unexpected reply"
              }`,
            ),
          );
        }
      };
      slot.worker.on("message", onMessage);
      slot.worker.postMessage(
        { kind: "load", path, envId: this.#envId, version } satisfies PlanWorkerRequest,
      );
    }).finally(() => slot.worker.unref());
  }

  /** Waits until worker `w` reports job `seq`, watching its heartbeat. */
  #await(w: number, seq: number): void {
    const ctrl = this.#control;
    const base = w * CTRL_WORDS;
    let beat = Atomics.load(ctrl, base + HEARTBEAT);
    let since = performance.now();
    for (;;) {
      const done = Atomics.load(ctrl, base + DONE);
      if (done === seq) break;
      Atomics.wait(ctrl, base + DONE, done, 50);
      const now = Atomics.load(ctrl, base + HEARTBEAT);
      if (now !== beat) {
        beat = now;
        since = performance.now();
      } else if (performance.now() - since > this.#stallMs) {
        this.#fail(
          `Planning worker ${w} made no progress for ${this.#stallMs} ms (crashed or terminated)`,
        );
      }
    }
    if (Atomics.load(ctrl, base + STATUS) !== 0) {
      const bytes = this.#errors.slice(w * ERROR_BYTES, (w + 1) * ERROR_BYTES);
      const end = bytes.indexOf(0);
      const text = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
      this.#fail(`Planning worker ${w} failed: ${text}`);
    }
  }

  #fail(message: string): never {
    this.#failure ??= message;
    throw new Error(this.#failure);
  }

  #assertUsable(): void {
    if (this.#disposed) throw new Error("This planning worker pool has been disposed");
    if (this.#failure !== null) throw new Error(this.#failure);
  }
}
