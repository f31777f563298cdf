/**
 * The comparison harness: every (method, seed) job in its own Deno Worker (each sets up its own
 * tfjs backend), a pool of `workers` at a time, a progress display, and `DIR/comparison.json`
 * in the shape other tools read:
 *
 * ```json
 * { "envId": "CartPole-v1", "threshold": 475, "seeds": [0, 1, 2, 3, 4],
 *   "createdWith": "deno task compare ...", "versions": { "deno": "...", "tfjs": "...", ... },
 *   "methods": { "mbrl": { "perSeed": [{ "seed": 0, "stepsToSolve": 812, "wallSeconds": 41.2,
 *                                        "runDir": "mbrl_s0", "solved": true }],
 *                          "medianStepsToSolve": 900, "interval": [700, 1200],
 *                          "medianWallSeconds": 40.0, ... }, ... },
 *   "ratios": { "dqn/mbrl": 55.1, "ppo/mbrl": 80.3 } }
 * ```
 *
 * A seed that never solves within its budget has `stepsToSolve: null`, `solved: false`, and
 * counts as its budget in the median and interval (see `aggregate.ts`). `runDir` is relative to
 * the folder holding `comparison.json`. Run folders are named `<method>_s<seed>` so a re-run
 * with the same seeds lands in the same places and reproduces the same numbers (wall-clock
 * aside): every random draw comes from the seed, and the single-threaded backend is
 * deterministic.
 *
 * @module
 */
import { join } from "node:path";
import { aggregateMethod, type MethodAggregate, ratio } from "./aggregate.ts";
import { readSummary } from "../run_folder.ts";

/** The methods the harness can run. */
export type CompareMethod = "mbrl" | "dqn" | "ppo";

/** All methods, in display order. */
export const COMPARE_METHODS: readonly CompareMethod[] = ["mbrl", "dqn", "ppo"];

/** One (method, seed) run, as sent to a worker. */
export interface CompareJob {
  method: CompareMethod;
  seed: number;
  envId: string;
  /** Real environment steps allowed. */
  budget: number;
  /** Absolute or cwd-relative folder holding `comparison.json`; the run goes in `runDir` below it. */
  outDir: string;
  /** The run folder's name under `outDir` (`<method>_s<seed>`). */
  runId: string;
  /** Evaluation return that counts as solved. */
  threshold: number;
  /** Quick mode: the methods may shrink their own per-step costs (smaller evaluations). */
  quick: boolean;
}

/** What a finished job reports. */
export interface JobResult {
  method: CompareMethod;
  seed: number;
  stepsToSolve: number | null;
  solved: boolean;
  wallSeconds: number;
  /** Real steps the run took (its budget, or fewer when it stopped at solving). */
  envSteps: number;
  /** Relative to `outDir`. */
  runDir: string;
  /** The worker's tfjs backend (`wasm+simd`, `cpu`) and tfjs version. */
  backend: string;
  tfjs: string;
  /** True when the result was read back from an earlier run folder (`resume`). */
  reused?: boolean;
}

/** Progress a worker posts while a job runs. */
export interface JobProgress {
  method: CompareMethod;
  seed: number;
  envSteps: number;
  budget: number;
  /** The latest evaluation mean, if any. */
  lastEvalMean: number | null;
}

/** One seed's row in `comparison.json`. */
export interface PerSeedRow {
  seed: number;
  stepsToSolve: number | null;
  wallSeconds: number;
  runDir: string;
  solved: boolean;
}

/** One method's block in `comparison.json`. */
export interface MethodBlock extends MethodAggregate {
  perSeed: PerSeedRow[];
  /** The step budget unsolved seeds count as. */
  budget: number;
}

/** The whole `comparison.json`. */
export interface Comparison {
  envId: string;
  threshold: number;
  seeds: number[];
  createdWith: string;
  versions: Record<string, string | boolean | null>;
  /** How the intervals were computed and what unsolved seeds count as. */
  notes: string;
  methods: Partial<Record<CompareMethod, MethodBlock>>;
  /** `"<m>/mbrl"`: median steps of `m` over median steps of mbrl (null without mbrl). */
  ratios: Record<string, number | null>;
}

/** Options of {@linkcode runComparison}. */
export interface CompareOptions {
  /** @default {"CartPole-v1"} */
  envId?: string;
  /** @default {[0, 1, 2, 3, 4]} */
  seeds?: number[];
  /** @default {["mbrl", "dqn", "ppo"]} */
  methods?: CompareMethod[];
  /** Folder for `comparison.json` and the run folders (required). */
  outDir: string;
  /** Real-step budget of the model-based loop. @default {5000} */
  budgetMbrl?: number;
  /** Real-step budget of DQN and PPO. @default {100000} */
  budgetMf?: number;
  /** Workers running at once. @default {2} */
  workers?: number;
  /** Solved threshold on the 10-episode evaluation mean. @default {475} */
  threshold?: number;
  /** Quick mode (passed to the methods). @default {false} */
  quick?: boolean;
  /** Reuse run folders that already hold a `summary.json` for the same budget. @default {false} */
  resume?: boolean;
  /** The command line recorded as `createdWith`. @default {"runComparison(...)"} */
  createdWith?: string;
  /** Progress callback. @default {prints a throttled status line} */
  onProgress?: (progress: JobProgress[], finished: JobResult[]) => void;
  /** Run jobs in this thread instead of Workers (tests, debugging). @default {false} */
  inProcess?: boolean;
}

/** Throws a clear `TypeError`/`RangeError` for options that cannot work, before any work. */
export function validateCompareOptions(options: CompareOptions): void {
  const seeds = options.seeds ?? [0, 1, 2, 3, 4];
  if (seeds.length === 0) throw new RangeError("Expected seeds to be non-empty but found []");
  for (const s of seeds) {
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new TypeError(`Expected seeds to be non-negative integers but found ${s}`);
    }
  }
  if (new Set(seeds).size !== seeds.length) {
    throw new RangeError(`Expected seeds to be distinct but found ${seeds.join(",")}`);
  }
  const methods = options.methods ?? [...COMPARE_METHODS];
  if (methods.length === 0) throw new RangeError("Expected methods to be non-empty but found []");
  for (const m of methods) {
    if (!COMPARE_METHODS.includes(m)) {
      throw new TypeError(`Expected methods among ${COMPARE_METHODS.join(",")} but found "${m}"`);
    }
  }
  const envId = options.envId ?? "CartPole-v1";
  if (envId !== "CartPole-v1") {
    throw new TypeError(
      `Expected env to be CartPole-v1 (the only one compared) but found ${envId}`,
    );
  }
  for (
    const [name, value] of [["budgetMbrl", options.budgetMbrl], ["budgetMf", options.budgetMf]]
  ) {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) {
      throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
    }
  }
  const workers = options.workers ?? 2;
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`Expected workers to be a positive integer but found ${workers}`);
  }
  if (typeof options.outDir !== "string" || options.outDir === "") {
    throw new TypeError(`Expected outDir to be a folder path but found "${options.outDir}"`);
  }
}

/**
 * Builds `comparison.json`'s object from finished jobs (pure: no files, no clock).
 *
 * @example
 * ```ts
 * const c = buildComparison(results, { envId: "CartPole-v1", seeds: [0], threshold: 475,
 *   budgets: { dqn: 100000 }, createdWith: "...", versions: {} });
 * ```
 */
export function buildComparison(
  results: readonly JobResult[],
  info: {
    envId: string;
    seeds: number[];
    threshold: number;
    budgets: Partial<Record<CompareMethod, number>>;
    createdWith: string;
    versions: Record<string, string | boolean | null>;
  },
): Comparison {
  const methods: Partial<Record<CompareMethod, MethodBlock>> = {};
  for (const method of COMPARE_METHODS) {
    const rows = results.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
    if (rows.length === 0) continue;
    const budget = info.budgets[method];
    if (budget === undefined) throw new TypeError(`Expected a budget for ${method}`);
    const perSeed = rows.map((r) => ({
      seed: r.seed,
      stepsToSolve: r.stepsToSolve,
      wallSeconds: Math.round(r.wallSeconds * 10) / 10,
      runDir: r.runDir,
      solved: r.solved,
    }));
    methods[method] = { perSeed, ...aggregateMethod(perSeed, budget), budget };
  }
  const ratios: Record<string, number | null> = {};
  const base = methods.mbrl;
  for (const method of COMPARE_METHODS) {
    const block = methods[method];
    if (method === "mbrl" || block === undefined || base === undefined) continue;
    ratios[`${method}/mbrl`] = ratio(block.medianStepsToSolve, base.medianStepsToSolve);
  }
  return {
    envId: info.envId,
    threshold: info.threshold,
    seeds: [...info.seeds],
    createdWith: info.createdWith,
    versions: info.versions,
    notes: "stepsToSolve: first cumulative real env steps after which a greedy " +
      "10-episode evaluation mean reached the threshold (evaluation steps not counted). " +
      "Unsolved seeds (solved: false, stepsToSolve: null) count as the method's budget in " +
      "medianStepsToSolve and interval. interval: distribution-free order-statistic " +
      "confidence interval for the median, [x(k), x(n+1-k)] with the largest k reaching 95% " +
      "coverage; with 5 seeds that is [min, max] at 93.75% (intervalConfidence). " +
      "ratios: median steps of the method over median steps of mbrl.",
    methods,
    ratios,
  };
}

/** Reads a finished run folder back as a job result, or `null` if it is missing or differs. */
function reuseRun(job: CompareJob): JobResult | null {
  const dir = join(job.outDir, job.runId);
  try {
    const summary = readSummary(dir);
    const config = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
    if (summary.seed !== job.seed || config.maxSteps !== job.budget) return null;
    return {
      method: job.method,
      seed: job.seed,
      stepsToSolve: summary.stepsToSolve,
      solved: summary.solved,
      wallSeconds: summary.wallSeconds,
      envSteps: summary.envSteps,
      runDir: job.runId,
      backend: summary.backend,
      tfjs: typeof summary.tfjs === "string" ? summary.tfjs : "",
      reused: true,
    };
  } catch {
    return null;
  }
}

/** Runs one job in a fresh Worker; resolves with its result, rejects on a worker error. */
function runInWorker(job: CompareJob, onProgress: (p: JobProgress) => void): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./compare_worker.ts", import.meta.url).href, {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent) => {
      const message = event.data as
        | { type: "progress"; progress: JobProgress }
        | { type: "done"; result: JobResult }
        | { type: "error"; message: string };
      if (message.type === "progress") onProgress(message.progress);
      else if (message.type === "done") {
        worker.terminate();
        resolve(message.result);
      } else {
        worker.terminate();
        reject(new Error(`${job.method} seed ${job.seed}: ${message.message}`));
      }
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`${job.method} seed ${job.seed}: ${event.message}`));
    };
    worker.postMessage(job);
  });
}

/**
 * The Deno, V8 and TypeScript versions plus the git commit, if readable (`+uncommitted` when
 * `lib/` differs from it).
 */
function hostVersions(): Record<string, string | null> {
  let commit: string | null = null;
  try {
    const out = new Deno.Command("git", { args: ["rev-parse", "HEAD"], stderr: "null" })
      .outputSync();
    if (out.success) commit = new TextDecoder().decode(out.stdout).trim();
    const status = new Deno.Command("git", {
      args: ["status", "--porcelain", "lib"],
      stderr: "null",
    })
      .outputSync();
    if (commit !== null && status.success && status.stdout.length > 0) commit += "+uncommitted";
  } catch {
    commit = null;
  }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    gitCommit: commit,
  };
}

function printProgress(progress: JobProgress[], finished: JobResult[]): void {
  const now = new Date().toISOString().slice(11, 19);
  const running = progress.map((p) => {
    const evalText = p.lastEvalMean === null ? "-" : p.lastEvalMean.toFixed(0);
    return `${p.method} s${p.seed} ${p.envSteps}/${p.budget} eval ${evalText}`;
  });
  console.log(`[${now}] done ${finished.length} | ${running.join(" | ")}`);
}

/**
 * Runs every (method, seed) job, `workers` at a time, and writes `outDir/comparison.json`.
 *
 * @example
 * ```ts
 * const comparison = await runComparison({ outDir: "data/comparison", methods: ["dqn"] });
 * console.log(comparison.methods.dqn?.medianStepsToSolve);
 * ```
 */
export async function runComparison(options: CompareOptions): Promise<Comparison> {
  validateCompareOptions(options);
  const envId = options.envId ?? "CartPole-v1";
  const seeds = options.seeds ?? [0, 1, 2, 3, 4];
  const methods = options.methods ?? [...COMPARE_METHODS];
  const threshold = options.threshold ?? 475;
  const quick = options.quick ?? false;
  const budgets: Partial<Record<CompareMethod, number>> = {};
  for (const m of methods) {
    budgets[m] = m === "mbrl" ? options.budgetMbrl ?? 5000 : options.budgetMf ?? 100000;
  }
  Deno.mkdirSync(options.outDir, { recursive: true });
  // Read before the runs: the commit (and tree state) the runs start from.
  const host = hostVersions();
  const jobs: CompareJob[] = [];
  // Slowest first (DQN, then MBRL, then PPO) so the pool ends with short jobs.
  const order: CompareMethod[] = ["dqn", "mbrl", "ppo"];
  for (const method of order.filter((m) => methods.includes(m))) {
    for (const seed of seeds) {
      jobs.push({
        method,
        seed,
        envId,
        budget: budgets[method]!,
        outDir: options.outDir,
        runId: `${method}_s${seed}`,
        threshold,
        quick,
      });
    }
  }
  const results: JobResult[] = [];
  const running = new Map<string, JobProgress>();
  let lastPrint = 0;
  const report = options.onProgress ?? printProgress;
  const onProgress = (p: JobProgress): void => {
    running.set(`${p.method}_s${p.seed}`, p);
    if (options.onProgress !== undefined || Date.now() - lastPrint > 15000) {
      lastPrint = Date.now();
      report([...running.values()], results);
    }
  };
  const runOne = options.inProcess === true
    ? async (job: CompareJob, cb: (p: JobProgress) => void) => {
      const { runJob } = await import("./compare_job.ts");
      return await runJob(job, cb);
    }
    : runInWorker;
  let next = 0;
  const pool = Array.from({ length: Math.min(options.workers ?? 2, jobs.length) }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const reused = options.resume === true ? reuseRun(job) : null;
      const result = reused ?? await runOne(job, onProgress);
      running.delete(`${job.method}_s${job.seed}`);
      results.push(result);
      const steps = result.solved ? `solved at ${result.stepsToSolve}` : "not solved";
      console.log(
        `${job.method} seed ${job.seed}: ${steps} (${result.envSteps} steps, ` +
          `${result.wallSeconds.toFixed(1)} s${result.reused ? ", reused" : ""}) ` +
          `[${results.length}/${jobs.length}]`,
      );
    }
  });
  await Promise.all(pool);
  const first = results.find((r) => !r.reused) ?? results[0]!;
  const versions = { ...host, tfjs: first.tfjs, backend: first.backend };
  const comparison = buildComparison(results, {
    envId,
    seeds,
    threshold,
    budgets,
    createdWith: options.createdWith ?? "runComparison(...)",
    versions,
  });
  Deno.writeTextFileSync(
    join(options.outDir, "comparison.json"),
    JSON.stringify(comparison, null, 2) + "\n",
  );
  return comparison;
}
