/**
 * One place that picks and initialises the TensorFlow.js backend.
 *
 * `tfjs-node` cannot be installed here and the pure-JS `cpu` backend multiplies matrices at
 * about 1 GFLOP/s, so the default is the WebAssembly backend with SIMD on one thread (~30
 * GFLOP/s measured). Its `.wasm` files ship inside the npm package; we point `setWasmPaths` at
 * the package's `dist/` folder on disk. The multi-threaded wasm build is never used: tfjs
 * refuses threads under Node compatibility and forcing it needs fragile patches.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";

/** The backends {@linkcode setupBackend} can select. */
export type BackendName = "wasm" | "cpu";

/** Options of {@linkcode setupBackend}. */
export interface SetupBackendOptions {
  /**
   * Which backend to use. When left out, the environment variable `MBRL_BACKEND` decides
   * (`wasm` or `cpu`), and without it `"wasm"`, falling back to `"cpu"` if wasm fails.
   * @default {"wasm"}
   */
  backend?: BackendName;
}

/** What {@linkcode setupBackend} got. */
export interface BackendInfo {
  /** The active tfjs backend name (`"wasm"` or `"cpu"`). */
  backend: string;
  /** True when the wasm backend runs its SIMD build. */
  simd: boolean;
  /** Threads the backend computes with (always 1 here: the threaded build is not shipped). */
  threads: number;
  /** Why wasm was requested but cpu is used, when that happened. */
  fallbackReason?: string;
}

let wasmPathsSet = false;

/** The plain filesystem path of `@tensorflow/tfjs-backend-wasm`'s `dist/` folder, with a `/`. */
function wasmDistPath(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@tensorflow/tfjs-backend-wasm");
  return entry.slice(0, entry.lastIndexOf("/") + 1);
}

/** Reads `MBRL_BACKEND` without throwing when env access is not granted. */
function backendFromEnv(): BackendName | undefined {
  let value: string | undefined;
  try {
    value = Deno.env.get("MBRL_BACKEND");
  } catch {
    return undefined;
  }
  if (value === undefined || value === "") return undefined;
  if (value !== "wasm" && value !== "cpu") {
    throw new TypeError(`Expected MBRL_BACKEND to be "wasm" or "cpu" but found "${value}"`);
  }
  return value;
}

/**
 * The cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js..." through
 * `console.warn` on its first tensor write when `IS_NODE` is set (Deno's npm compatibility sets
 * it). Marking the instance as already used silences exactly that message and nothing else.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null && "firstUse" in cpu) cpu.firstUse = false;
}

let lastWasmError: string | undefined;

async function tryWasm(): Promise<boolean> {
  try {
    if (!wasmPathsSet) {
      // Never load the threaded build, even where tfjs would detect thread support.
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      setWasmPaths(wasmDistPath());
      wasmPathsSet = true;
    }
    const ok = await tf.setBackend("wasm");
    if (!ok) lastWasmError = "tf.setBackend('wasm') returned false";
    return ok;
  } catch (error) {
    lastWasmError = (error as Error).message;
    return false;
  }
}

/**
 * Selects and initialises the tfjs backend. Safe to call more than once: a later call with the
 * same choice is cheap and returns the same info; a different choice switches backend.
 *
 * @example
 * ```ts
 * const info = await setupBackend(); // { backend: "wasm", simd: true, threads: 1 }
 * ```
 * @throws {TypeError} when `backend` or `MBRL_BACKEND` names an unknown backend.
 * @throws {Error} when neither the requested backend nor cpu initialises.
 */
export async function setupBackend(options: SetupBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? backendFromEnv() ?? "wasm";
  if (requested !== "wasm" && requested !== "cpu") {
    throw new TypeError(`Expected backend to be "wasm" or "cpu" but found "${requested}"`);
  }
  // `tf.getBackend()` would initialise the highest-priority backend on its own (before the wasm
  // paths are set), so read the engine's current name instead.
  const current = (): string | null => tf.engine().backendName ?? null;
  let ok = current() === requested;
  if (!ok && requested === "wasm") ok = await tryWasm();
  if (!ok) ok = await tf.setBackend("cpu");
  if (!ok) {
    throw new Error(`Could not initialise the ${requested} or cpu tfjs backend`);
  }
  await tf.ready();
  silenceCpuBanner();
  const backend = tf.getBackend();
  if (backend === "wasm") {
    const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    return { backend, simd, threads: getThreadsCount() };
  }
  const info: BackendInfo = { backend, simd: false, threads: 1 };
  if (requested === "wasm") info.fallbackReason = lastWasmError ?? "wasm unavailable";
  return info;
}
