/**
 * The planning worker's script (started by {@linkcode PlanWorkerPool}): it loads the model
 * the pool saved, then rolls out the rows it is posted with {@linkcode rolloutTotals} and
 * writes their objectives into the shared result buffer, signalling through the shared
 * control words. Not meant to be imported.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { setupBackend } from "../backend.ts";
import { envMetadata } from "../envs/registry.ts";
import type { EnvRules } from "../envs/types.ts";
import { type BaseDynamicsModel, loadDynamicsModel } from "../models/mod.ts";
import { rolloutStride, rolloutTotals } from "./rollout.ts";
import type { PlanWorkerReply, PlanWorkerRequest } from "./plan_workers.ts";

const CTRL_WORDS = 4;
const ERROR_BYTES = 2048;

let control: Int32Array | undefined;
let errors: Uint8Array | undefined;
let base = 0;
let model: BaseDynamicsModel | undefined;
let rules: EnvRules | undefined;
let backend: Promise<unknown> | undefined;

function reply(message: PlanWorkerReply): void {
  parentPort!.postMessage(message);
}

parentPort!.on("message", async (message: PlanWorkerRequest) => {
  if (message.kind === "init") {
    control = new Int32Array(message.control);
    errors = new Uint8Array(message.error);
    base = message.index * CTRL_WORDS;
    backend = setupBackend({ backend: "wasm" });
    return;
  }
  if (message.kind === "load") {
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
    return;
  }
  const ctrl = control!;
  let status = 0;
  try {
    if (model === undefined) throw new Error("no model loaded");
    const out = new Float64Array(
      message.result,
      0,
      message.batch.rows * rolloutStride(message.spec),
    );
    rolloutTotals(model, rules, message.spec, message.batch, {
      lo: 0,
      hi: message.batch.rows,
      out,
      onBlockStep: () => Atomics.add(ctrl, base + 2, 1),
    });
  } catch (error) {
    status = 1;
    const text = new TextEncoder().encode(String((error as Error).message ?? error));
    const index = base / CTRL_WORDS;
    const slice = errors!.subarray(index * ERROR_BYTES, (index + 1) * ERROR_BYTES);
    slice.fill(0);
    slice.set(text.subarray(0, ERROR_BYTES - 1));
  }
  Atomics.store(ctrl, base + 1, status);
  Atomics.store(ctrl, base, message.seq);
  Atomics.notify(ctrl, base);
});
