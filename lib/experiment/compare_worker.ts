/**
 * Worker entry of the comparison harness: receives one {@linkcode CompareJob}, runs it with
 * its own tfjs backend, posts `progress` messages and a final `done` (or `error`) message.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { runJob } from "./compare_job.ts";
import type { CompareJob } from "./compare.ts";

self.onmessage = async (event: MessageEvent<CompareJob>) => {
  try {
    const result = await runJob(event.data, (progress) => {
      self.postMessage({ type: "progress", progress });
    });
    self.postMessage({ type: "done", result });
  } catch (error) {
    const message = error instanceof Error ? `${error.message}\n${error.stack}` : String(error);
    self.postMessage({ type: "error", message });
  }
};
