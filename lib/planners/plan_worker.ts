/**
 * The planning worker's script (started by {@linkcode PlanWorkerPool}): it loads the model
 * the pool saved, then waits (`Atomics.waitAsync`, so that load messages still arrive) for the
 * pool to bump its job word, reads the batch from the shared job buffer ({@linkcode readJob}),
 * claims chunks of its rows ({@linkcode claimChunk}) until none is left, rolling each out with
 * {@linkcode rolloutTotals} into the shared result buffer, and reports the job done through the
 * shared control words. Not meant to be imported.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { setupBackend } from "../backend.ts";
import { envMetadata } from "../envs/registry.ts";
import type { EnvRules } from "../envs/types.ts";
import { type BaseDynamicsModel, loadDynamicsModel } from "../models/mod.ts";
import {
  claimChunk,
  CTRL_WORDS,
  DONE,
  ERROR_BYTES,
  HEARTBEAT,
  JOB,
  readJob,
  STATUS,
  STOP,
} from "./plan_job.ts";
import { rolloutStride, rolloutTotals } from "./rollout.ts";
import type { PlanWorkerReply, PlanWorkerRequest } from "./plan_workers.ts";

let model: BaseDynamicsModel | undefined;
let rules: EnvRules | undefined;
let backend: Promise<unknown> | undefined;

function reply(message: PlanWorkerReply): void {
  parentPort!.postMessage(message);
}

/** Runs job `seq` and reports it done (status 1 and the message on failure). */
function runJob(
  seq: number,
  shared: { ctrl: Int32Array; errors: Uint8Array; index: number; job: SharedArrayBuffer },
  result: SharedArrayBuffer,
): void {
  const { ctrl, errors, index } = shared;
  const base = index * CTRL_WORDS;
  let status = 0;
  try {
    if (model === undefined) throw new Error("no model loaded");
    const { spec, batch, chunks } = readJob(shared.job);
    const stride = rolloutStride(spec);
    const out = new Float64Array(result, 0, batch.rows * stride);
    for (let k = claimChunk(shared.job); k < chunks.length - 1; k = claimChunk(shared.job)) {
      const lo = chunks[k]!;
      const hi = chunks[k + 1]!;
      rolloutTotals(model, rules, spec, batch, {
        lo,
        hi,
        out: out.subarray(lo * stride, hi * stride),
        onBlockStep: () => Atomics.add(ctrl, base + HEARTBEAT, 1),
      });
    }
  } catch (error) {
    status = 1;
    const text = new TextEncoder().encode(String((error as Error).message ?? error));
    const slice = errors.subarray(index * ERROR_BYTES, (index + 1) * ERROR_BYTES);
    slice.fill(0);
    slice.set(text.subarray(0, ERROR_BYTES - 1));
  }
  Atomics.store(ctrl, base + STATUS, status);
  Atomics.store(ctrl, base + DONE, seq);
  Atomics.notify(ctrl, base + DONE);
}

/** Serves jobs until the pool sets the stop flag: wait for the job word to change, run, repeat. */
async function serve(
  shared: { ctrl: Int32Array; errors: Uint8Array; index: number; job: SharedArrayBuffer },
  result: SharedArrayBuffer,
): Promise<void> {
  const word = shared.index * CTRL_WORDS + JOB;
  const stop = shared.index * CTRL_WORDS + STOP;
  let last = Atomics.load(shared.ctrl, word);
  for (;;) {
    const wait = Atomics.waitAsync(shared.ctrl, word, last);
    if (wait.async) await wait.value;
    if (Atomics.load(shared.ctrl, stop) !== 0) return;
    const seq = Atomics.load(shared.ctrl, word);
    if (seq === last) continue;
    last = seq;
    runJob(seq, shared, result);
  }
}

parentPort!.on("message", async (message: PlanWorkerRequest) => {
  if (message.kind === "init") {
    backend = setupBackend({ backend: "wasm" });
    const shared = {
      ctrl: new Int32Array(message.control),
      errors: new Uint8Array(message.error),
      index: message.index,
      job: message.job,
    };
    void serve(shared, message.result);
    return;
  }
  try {
    await backend;
    const next = await loadDynamicsModel(message.path);
    model?.dispose();
    model = next;
    rules = envMetadata(message.envId).rules;
    reply({ kind: "loaded", version: message.version });
  } catch (error) {
    reply({ kind: "error", message: (error as Error).message });
  }
});
