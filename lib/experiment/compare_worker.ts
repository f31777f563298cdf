/**
 * Worker entry of the comparison harness: receives one {@linkcode CompareJob}, runs it with
 * its own tfjs backend, posts `progress` messages and a final `done` (with the run folder) or
 * `error` (one line) message.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { runJob } from "./compare_job.ts";
import type { CompareJob } from "./compare.ts";

self.onmessage = async (event: MessageEvent<CompareJob>) => {
  try {
    const runDir = await runJob(event.data, (progress) => {
      self.postMessage({ type: "progress", progress });
    });
    self.postMessage({ type: "done", runDir });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const name = error instanceof Error ? error.name : "Error";
    if (Deno.env.get("MBRL_TRACE") === "1" && error instanceof Error) console.error(error.stack);
    self.postMessage({ type: "error", name, message });
  }
};
