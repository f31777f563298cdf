/**
 * The comparison harness: one (env, method, seed) job per run folder, run `workers` at a time
 * in Deno Workers (each with its own tfjs backend), then `DIR/comparison.json` built from the
 * run folders, in the shape other tools read:
 *
 * ```json
 * { "envId": "CartPole-v1", "threshold": 475, "seeds": [0, 1, 2, 3, 4],
 *   "createdWith": "deno task compare ...", "versions": { "deno": "...", "tfjs": "...", ... },
 *   "protocol": { "evalEvery": 100, "evalEpisodes": 10, "budgets": { ... }, "reasons": { ... } },
 *   "methods": { "mbrl": { "perSeed": [{ "seed": 0, "stepsToSolve": 300, "wallSeconds": 41.2,
 *                                        "runDir": "mbrl_s0", "solved": true,
 *                                        "censored": false, "countedSteps": 300 }],
 *                          "medianStepsToSolve": 300, "interval": [200, 400],
 *                          "medianWallSeconds": 40.0, "censoredCount": 0,
 *                          "evaluation": { "every": 100, "episodes": 10, "maxGap": 100 }, ... } },
 *   "ratios": { "dqn/mbrl": 55.1 }, "ratioBounds": { "dqn/mbrl": "exact" } }
 * ```
 *
 * A seed that never solves within its budget is censored: `stepsToSolve: null`,
 * `solved: false`, `censored: true`, and it counts as its budget (`countedSteps`) in the median
 * and interval (see `aggregate.ts`). `runDir` is relative to the folder holding
 * `comparison.json`. The same object comes out of a direct run and of
 * {@linkcode aggregateRunFolders} over the same run folders (wall clock aside), because both
 * read the folders back through {@linkcode readJobFolder}.
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { envMetadata } from "../envs/registry.ts";
import {
  readMetrics,
  readRunStatus,
  readSummary,
  RunReadError,
  RunWriteError,
  writeJsonAtomic,
} from "../run_folder.ts";
import { aggregateMethod, type MethodAggregate, ratio } from "./aggregate.ts";
import {
  assertCompareEnv,
  assertMethodFor,
  COMPARE_METHODS,
  type CompareMethod,
  methodsFor,
  protocolFor,
  QUICK_MODEL_FREE_CAP,
} from "./compare_protocol.ts";

export { COMPARE_METHODS, type CompareMethod } from "./compare_protocol.ts";

/** JSON overrides of the model-based loop's configuration (`MbrlConfigInput` without env/seed). */
export type MbrlOverrides = Record<string, unknown>;

/** One (env, method, seed) job: everything a worker, or `deno task compare:job`, needs. */
export interface CompareJob {
  method: CompareMethod;
  seed: number;
  envId: string;
  /** Real environment steps allowed. */
  budget: number;
  /** Folder the run folder is created in. */
  outDir: string;
  /** The run folder's name under `outDir` (`<method>_s<seed>`). */
  runId: string;
  /** Real steps between evaluations (the protocol's, the same for every method). */
  evalEvery: number;
  /** Episodes per evaluation. */
  evalEpisodes: number;
  /** Overrides of the model-based configuration (mbrl jobs only). */
  mbrlConfig?: MbrlOverrides;
  /** Replace an existing run folder of that name. @default {false} */
  overwrite?: boolean;
}

/** What a finished job's run folder says (see {@linkcode readJobFolder}). */
export interface JobResult {
  method: CompareMethod;
  seed: number;
  stepsToSolve: number | null;
  solved: boolean;
  wallSeconds: number;
  /** Real steps the run took (its budget, or fewer when it stopped at solving). */
  envSteps: number;
  /** The run folder (relative to the comparison's folder once built). */
  runDir: string;
  /** The worker's tfjs backend (`wasm+simd`, `cpu`) and tfjs version. */
  backend: string;
  tfjs: string;
  /** The env the run used. */
  envId?: string;
  /** Its real-step budget, from its `config.json`. */
  budget?: number;
  /** Its evaluation interval and episodes, from its `config.json`. */
  evalEvery?: number;
  evalEpisodes?: number;
  /** `envSteps` of its evaluation rows, in order. */
  evalSteps?: number[];
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
  /** True when the seed did not solve within its budget (it counts as the budget). */
  censored: boolean;
  /** What the median counts: `stepsToSolve`, or the budget when censored. */
  countedSteps: number;
}

/** How a method was evaluated in a comparison (from its run folders' evaluation rows). */
export interface EvaluationFacts {
  /** The protocol's interval, real steps. */
  every: number;
  /** Episodes per evaluation. */
  episodes: number;
  /**
   * The rounding bound: the largest gap between consecutive evaluations (from 0 to the first
   * included) over the method's seeds. Steps to solve overstate the first step at which the
   * policy would have passed by less than this.
   */
  maxGap: number;
  /** Real steps of the earliest evaluation (the smallest value the method can report). */
  firstAt: number | null;
}

/** One method's block in `comparison.json`. */
export interface MethodBlock extends MethodAggregate {
  perSeed: PerSeedRow[];
  /** The step budget unsolved seeds count as. */
  budget: number;
  /** Seeds that did not solve within the budget. */
  censoredCount: number;
  /** True when the median is a censored value (at most half the seeds solved): a lower bound. */
  medianCensored: boolean;
  /** The evaluation schedule the method actually had. */
  evaluation: EvaluationFacts;
}

/** What a ratio of medians is, given censoring. */
export type RatioBound = "exact" | "lower bound" | "upper bound" | "unknown";

/** The protocol a comparison ran under (the table's row, or overrides of it). */
export interface ComparisonProtocolRecord {
  /** Real steps between evaluations; `null` when the methods' runs had different intervals. */
  evalEvery: number | null;
  evalEpisodes: number;
  budgets: Partial<Record<CompareMethod, number>>;
  reasons: Record<string, string>;
  /** True when a value differs from `COMPARISON_PROTOCOLS` (tests, quick runs). */
  overridden: boolean;
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
  /** The protocol (absent in comparisons written before it was recorded). */
  protocol?: ComparisonProtocolRecord;
  methods: Partial<Record<CompareMethod, MethodBlock>>;
  /** `"<m>/mbrl"`: median steps of `m` over median steps of mbrl (null without mbrl). */
  ratios: Record<string, number | null>;
  /** What each ratio is when a median is censored. */
  ratioBounds?: Record<string, RatioBound>;
}

/** Options of {@linkcode runComparison} and {@linkcode planComparison}. */
export interface CompareOptions {
  /** @default {"CartPole-v1"} */
  envId?: string;
  /** @default {[0, 1, 2, 3, 4]} ([0, 1] in quick mode) */
  seeds?: number[];
  /** @default {every method the env admits} */
  methods?: CompareMethod[];
  /** Folder for `comparison.json` and the run folders (required). */
  outDir: string;
  /** Real-step budget of the model-based loop. @default {the protocol's} */
  budgetMbrl?: number;
  /** Real-step budget of every model-free method (DQN, PPO, SAC). @default {the protocol's} */
  budgetMf?: number;
  /** Per-method budgets (win over `budgetMbrl`/`budgetMf`). @default {the protocol's} */
  budgets?: Partial<Record<CompareMethod, number>>;
  /** Real steps between evaluations, every method. @default {the protocol's} */
  evalEvery?: number;
  /** Episodes per evaluation. @default {the protocol's (10)} */
  evalEpisodes?: number;
  /** Overrides of the model-based configuration (`MbrlConfigInput` groups). @default {{}} */
  mbrlConfig?: MbrlOverrides;
  /** Workers running at once. @default {2} */
  workers?: number;
  /** Quick mode: seeds 0 and 1, model-free budgets capped at 10,000 steps. @default {false} */
  quick?: boolean;
  /** Reuse finished run folders under `outDir` made with the same job. @default {false} */
  resume?: boolean;
  /** Replace existing run folders of the jobs' names. @default {false} */
  overwrite?: boolean;
  /** The command line recorded as `createdWith`. @default {"runComparison(...)"} */
  createdWith?: string;
  /** Progress callback. @default {prints a throttled status line} */
  onProgress?: (progress: JobProgress[], finished: JobResult[]) => void;
  /** Run jobs in this thread instead of Workers (tests, debugging). @default {false} */
  inProcess?: boolean;
}

/** A comparison's options with every default filled in and checked. */
export interface ResolvedCompare {
  envId: string;
  seeds: number[];
  methods: CompareMethod[];
  budgets: Partial<Record<CompareMethod, number>>;
  evalEvery: number;
  evalEpisodes: number;
  mbrlConfig: MbrlOverrides;
  outDir: string;
  workers: number;
  overridden: boolean;
}

function assertPositiveInteger(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
  }
}

const MBRL_OWNED: Readonly<Record<string, string>> = {
  "loop.maxSteps": "--budget-mbrl",
  "eval.every": "--eval-every",
  "eval.episodes": "--eval-episodes",
  "envId": "--env",
  "seed": "--seeds",
};

/** Checks that `overrides` is a JSON object that does not set what the protocol sets. */
function checkMbrlOverrides(overrides: unknown): asserts overrides is MbrlOverrides {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new TypeError(
      `Expected mbrlConfig to be a JSON object of MbrlConfigInput groups but found ${
        JSON.stringify(overrides)
      }`,
    );
  }
  for (const [path, flag] of Object.entries(MBRL_OWNED)) {
    const [group, field] = path.split(".");
    const value = (overrides as Record<string, unknown>)[group!];
    const set = field === undefined
      ? value !== undefined
      : typeof value === "object" && value !== null && field in value;
    if (set) {
      throw new TypeError(
        `Expected mbrlConfig not to set ${path} (the comparison sets it for every method: use ` +
          `${flag})`,
      );
    }
  }
}

/**
 * Fills in and checks a comparison's options; throws a clear `TypeError`/`RangeError` for any
 * that cannot work, before any work (unknown env, a method the env does not admit, bad seeds,
 * budgets or sizes, MBRL overrides that set what the protocol sets).
 *
 * @example
 * ```ts
 * resolveCompareOptions({ envId: "Pendulum-v1", outDir: "data/cmp" }).methods; // ["mbrl", "ppo", "sac"]
 * ```
 */
export function resolveCompareOptions(options: CompareOptions): ResolvedCompare {
  const envId = options.envId ?? "CartPole-v1";
  assertCompareEnv(envId);
  const protocol = protocolFor(envId);
  const quick = options.quick ?? false;
  const seeds = options.seeds ?? (quick ? [0, 1] : [0, 1, 2, 3, 4]);
  if (!Array.isArray(seeds) || seeds.length === 0) {
    throw new RangeError(`Expected seeds to be non-empty but found ${JSON.stringify(seeds)}`);
  }
  for (const s of seeds) {
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new TypeError(`Expected seeds to be non-negative integers but found ${s}`);
    }
  }
  if (new Set(seeds).size !== seeds.length) {
    throw new RangeError(`Expected seeds to be distinct but found ${seeds.join(",")}`);
  }
  const methods = options.methods ?? methodsFor(envId);
  if (methods.length === 0) throw new RangeError("Expected methods to be non-empty but found []");
  for (const m of methods) {
    if (!COMPARE_METHODS.includes(m)) {
      throw new TypeError(`Expected methods among ${COMPARE_METHODS.join(",")} but found "${m}"`);
    }
    assertMethodFor(m, envId);
  }
  if (new Set(methods).size !== methods.length) {
    throw new RangeError(`Expected methods to be distinct but found ${methods.join(",")}`);
  }
  const budgets: Partial<Record<CompareMethod, number>> = {};
  for (const m of methods) {
    const given = options.budgets?.[m] ?? (m === "mbrl" ? options.budgetMbrl : options.budgetMf);
    const name = options.budgets?.[m] !== undefined
      ? `budgets.${m}`
      : m === "mbrl"
      ? "budgetMbrl"
      : "budgetMf";
    if (given !== undefined) assertPositiveInteger(given, name);
    const table = protocol.budgets[m]!;
    budgets[m] = given ?? (quick && m !== "mbrl" ? Math.min(table, QUICK_MODEL_FREE_CAP) : table);
  }
  const evalEvery = options.evalEvery ?? protocol.evalEvery;
  assertPositiveInteger(evalEvery, "evalEvery");
  const evalEpisodes = options.evalEpisodes ?? protocol.evalEpisodes;
  assertPositiveInteger(evalEpisodes, "evalEpisodes");
  const mbrlConfig = options.mbrlConfig ?? {};
  checkMbrlOverrides(mbrlConfig);
  const workers = options.workers ?? 2;
  assertPositiveInteger(workers, "workers");
  if (typeof options.outDir !== "string" || options.outDir === "") {
    throw new TypeError(`Expected outDir to be a folder path but found "${options.outDir}"`);
  }
  const overridden = evalEvery !== protocol.evalEvery ||
    evalEpisodes !== protocol.evalEpisodes ||
    methods.some((m) => budgets[m] !== protocol.budgets[m]);
  return {
    envId,
    seeds: [...seeds],
    methods: [...methods],
    budgets,
    evalEvery,
    evalEpisodes,
    mbrlConfig,
    outDir: options.outDir,
    workers,
    overridden,
  };
}

/**
 * Checks options without returning them (kept for callers of the earlier API).
 *
 * @example
 * ```ts
 * validateCompareOptions({ outDir: "data/cmp", methods: ["dqn"] });
 * ```
 */
export function validateCompareOptions(options: CompareOptions): void {
  resolveCompareOptions(options);
}

/**
 * The comparison's jobs, in the order the pool runs them (slowest methods first, so the pool
 * ends with short jobs).
 *
 * @example
 * ```ts
 * planComparison({ outDir: "data/cmp", seeds: [0], methods: ["dqn"] })[0]!.runId; // "dqn_s0"
 * ```
 */
export function planComparison(options: CompareOptions): CompareJob[] {
  const r = resolveCompareOptions(options);
  const order: CompareMethod[] = ["dqn", "sac", "mbrl", "ppo"];
  const jobs: CompareJob[] = [];
  for (const method of order.filter((m) => r.methods.includes(m))) {
    for (const seed of r.seeds) {
      jobs.push({
        method,
        seed,
        envId: r.envId,
        budget: r.budgets[method]!,
        outDir: r.outDir,
        runId: `${method}_s${seed}`,
        evalEvery: r.evalEvery,
        evalEpisodes: r.evalEpisodes,
        ...(method === "mbrl" && Object.keys(r.mbrlConfig).length > 0
          ? { mbrlConfig: r.mbrlConfig }
          : {}),
        ...(options.overwrite ? { overwrite: true } : {}),
      });
    }
  }
  return jobs;
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "number" ? v : undefined;
}

/**
 * Reads a finished run folder back as a job result: the summary's outcome, the budget and
 * evaluation schedule from its `config.json` (the baselines' flat `maxSteps`/`evalEvery`/
 * `evalEpisodes`, or the model-based resolved `config.loop.maxSteps`/`config.eval.every`/
 * `config.eval.episodes`), and the
 * steps of its evaluation rows.
 *
 * @example
 * ```ts
 * const result = readJobFolder("data/comparison/CartPole-v1/dqn_s0");
 * ```
 * @throws {RunReadError} naming the folder when it is not a finished run folder.
 */
export function readJobFolder(dir: string): JobResult {
  const status = readRunStatus(dir);
  if (status !== "finished") {
    const what = status === "missing"
      ? "is not a run folder (no config.json)"
      : status === "unfinished"
      ? "is unfinished (config.json but no summary.json: still running or killed)"
      : "was interrupted (summary.json status: interrupted)";
    throw new RunReadError(`Run folder ${dir} ${what}`);
  }
  const summary = readSummary(dir);
  const config = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
  const method = summary.method;
  if (!COMPARE_METHODS.includes(method as CompareMethod)) {
    throw new RunReadError(`Run folder ${dir} is a "${method}" run, not one of ${COMPARE_METHODS}`);
  }
  const evalSteps = readMetrics(dir).flatMap((r) => r.kind === "eval" ? [r.envSteps] : []);
  return {
    method: method as CompareMethod,
    seed: summary.seed,
    stepsToSolve: summary.stepsToSolve,
    solved: summary.stepsToSolve !== null,
    wallSeconds: summary.wallSeconds,
    envSteps: summary.envSteps,
    runDir: dir,
    backend: summary.backend,
    tfjs: typeof summary.tfjs === "string" ? summary.tfjs : "",
    envId: summary.envId,
    budget: numberAt(config, "maxSteps") ?? numberAt(config, "config", "loop", "maxSteps"),
    evalEvery: numberAt(config, "evalEvery") ?? numberAt(config, "config", "eval", "every"),
    evalEpisodes: numberAt(config, "evalEpisodes") ??
      numberAt(config, "config", "eval", "episodes"),
    evalSteps,
  };
}

function evaluationFacts(
  rows: readonly JobResult[],
  every: number,
  episodes: number,
): EvaluationFacts {
  let maxGap = 0;
  let firstAt: number | null = null;
  for (const r of rows) {
    const steps = r.evalSteps ?? [];
    steps.forEach((s, i) => {
      maxGap = Math.max(maxGap, s - (i === 0 ? 0 : steps[i - 1]!));
    });
    if (steps.length > 0) firstAt = Math.min(firstAt ?? Infinity, steps[0]!);
  }
  return { every, episodes, maxGap, firstAt };
}

function ratioBound(block: MethodBlock, base: MethodBlock): RatioBound {
  if (block.medianCensored && base.medianCensored) return "unknown";
  if (block.medianCensored) return "lower bound";
  if (base.medianCensored) return "upper bound";
  return "exact";
}

/**
 * Builds `comparison.json`'s object from finished jobs (pure: no files, no clock).
 *
 * @example
 * ```ts
 * const c = buildComparison([], { envId: "CartPole-v1", seeds: [0], threshold: 475,
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
    protocol?: ComparisonProtocolRecord;
  },
): Comparison {
  const methods: Partial<Record<CompareMethod, MethodBlock>> = {};
  for (const method of COMPARE_METHODS) {
    const rows = results.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
    if (rows.length === 0) continue;
    const budget = info.budgets[method];
    if (budget === undefined) throw new TypeError(`Expected a budget for ${method}`);
    const perSeed: PerSeedRow[] = rows.map((r) => ({
      seed: r.seed,
      stepsToSolve: r.stepsToSolve,
      wallSeconds: Math.round(r.wallSeconds * 10) / 10,
      runDir: r.runDir,
      solved: r.solved,
      censored: !r.solved,
      countedSteps: r.stepsToSolve ?? budget,
    }));
    const aggregate = aggregateMethod(perSeed, budget);
    const n = perSeed.length;
    methods[method] = {
      perSeed,
      ...aggregate,
      budget,
      censoredCount: n - aggregate.solvedCount,
      medianCensored: aggregate.solvedCount <= Math.floor(n / 2) &&
        aggregate.solvedCount < n,
      evaluation: evaluationFacts(
        rows,
        rows[0]!.evalEvery ?? info.protocol?.evalEvery ?? 0,
        rows[0]!.evalEpisodes ?? info.protocol?.evalEpisodes ?? 0,
      ),
    };
  }
  const ratios: Record<string, number | null> = {};
  const ratioBounds: Record<string, RatioBound> = {};
  const base = methods.mbrl;
  for (const method of COMPARE_METHODS) {
    const block = methods[method];
    if (method === "mbrl" || block === undefined || base === undefined) continue;
    ratios[`${method}/mbrl`] = ratio(block.medianStepsToSolve, base.medianStepsToSolve);
    ratioBounds[`${method}/mbrl`] = ratioBound(block, base);
  }
  return {
    envId: info.envId,
    threshold: info.threshold,
    seeds: [...info.seeds],
    createdWith: info.createdWith,
    versions: info.versions,
    notes: "stepsToSolve: first cumulative real env steps after which a greedy " +
      "evaluation mean over protocol.evalEpisodes episodes reached the threshold (evaluation " +
      "steps not counted). Unsolved seeds (solved: false, censored: true, stepsToSolve: null) " +
      "count as the method's budget (countedSteps) in medianStepsToSolve and interval; " +
      "medianCensored: the median is such a value, so a lower bound. interval: " +
      "distribution-free order-statistic confidence interval for the median, [x(k), x(n+1-k)] " +
      "with the largest k reaching 95% coverage; with 5 seeds that is [min, max] at 93.75% " +
      "(intervalConfidence). evaluation.maxGap: the largest gap between a method's evaluations, " +
      "the most its stepsToSolve can overstate the step at which it first passed. ratios: " +
      "median steps of the method over median steps of mbrl (ratioBounds says which are bounds).",
    ...(info.protocol ? { protocol: info.protocol } : {}),
    methods,
    ratios,
    ratioBounds,
  };
}

/** The protocol record of resolved options. */
function protocolRecord(r: ResolvedCompare): ComparisonProtocolRecord {
  return {
    evalEvery: r.evalEvery,
    evalEpisodes: r.evalEpisodes,
    budgets: { ...r.budgets },
    reasons: { ...protocolFor(r.envId).reasons },
    overridden: r.overridden,
  };
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
    }).outputSync();
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

/**
 * Builds and writes (atomically) `outDir/comparison.json` from finished run folders of one env,
 * with `runDir` relative to `outDir`.
 */
function writeComparison(
  results: readonly JobResult[],
  r: Pick<ResolvedCompare, "envId" | "budgets" | "outDir">,
  protocol: ComparisonProtocolRecord,
  createdWith: string,
  host: Record<string, string | null>,
): Comparison {
  const first = results.find((x) => !x.reused) ?? results[0]!;
  // Model-based run folders written before their summary.json recorded `tfjs` lack it, so the
  // version comes from the first run that has it.
  const tfjs = first.tfjs !== "" ? first.tfjs : results.find((x) => x.tfjs !== "")?.tfjs ?? "";
  const comparison = buildComparison(
    results.map((x) => ({ ...x, runDir: relative(resolve(r.outDir), resolve(x.runDir)) })),
    {
      envId: r.envId,
      seeds: [...new Set(results.map((x) => x.seed))].sort((a, b) => a - b),
      threshold: envMetadata(r.envId as Parameters<typeof envMetadata>[0]).solvedThreshold,
      budgets: r.budgets,
      createdWith,
      versions: { ...host, tfjs, backend: first.backend },
      protocol,
    },
  );
  writeJsonAtomic(join(r.outDir, "comparison.json"), comparison);
  return comparison;
}

/**
 * Checks that `dir` is a folder this process can write in (creating it, and its parents, if
 * needed), so a bad `--out` fails in one line before any work.
 *
 * @example
 * ```ts
 * assertWritableFolder(Deno.makeTempDirSync(), "outDir");
 * ```
 * @throws {TypeError} when it is a file. @throws {RunWriteError} when it cannot be created or
 *   written.
 */
export function assertWritableFolder(dir: string, name: string): void {
  try {
    if (!Deno.statSync(dir).isDirectory) {
      throw new TypeError(`Expected ${name} to be a folder but found a file: ${dir}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      if (error instanceof TypeError) throw error;
      throw new RunWriteError(`${name} ${dir}`, error, "use");
    }
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (inner) {
      throw new RunWriteError(`${name} folder ${dir}`, inner, "create");
    }
  }
  const probe = join(dir, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
  } catch (error) {
    throw new RunWriteError(`in ${name} folder ${dir}`, error);
  }
}

/** The OS reason of a Deno fs error, without the call and path Deno appends. */
function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^(.*?)(?: \(os error \d+\))?(?:: [a-z]+ '.*')?$/.exec(message);
  return match ? match[1]! : message;
}

/**
 * A finished run folder for `job` (same env, method, seed, budget and evaluation schedule), or
 * `null` when there is none to reuse.
 */
function reuseRun(job: CompareJob): JobResult | null {
  const dir = join(job.outDir, job.runId);
  if (readRunStatus(dir) !== "finished") return null;
  const result = readJobFolder(dir);
  const same = result.envId === job.envId && result.method === job.method &&
    result.seed === job.seed && result.budget === job.budget &&
    result.evalEvery === job.evalEvery && result.evalEpisodes === job.evalEpisodes;
  return same ? { ...result, reused: true } : null;
}

/** Refuses, before any work, run folders that exist and would be neither reused nor replaced. */
function assertFreeRunFolders(jobs: readonly CompareJob[], resume: boolean): void {
  const taken = jobs.filter((job) => {
    const dir = join(job.outDir, job.runId);
    if (job.overwrite || readRunStatus(dir) === "missing") return false;
    return !(resume && reuseRun(job) !== null);
  });
  if (taken.length > 0) {
    const names = taken.map((j) => j.runId).join(", ");
    throw new Deno.errors.AlreadyExists(
      `Run folders already exist in ${jobs[0]!.outDir}: ${names}; pass --resume to reuse ` +
        "finished ones made with the same job, --overwrite to replace them, or another --out",
    );
  }
}

/** A worker's error as the class it had there (so one-line reporting still knows it). */
function workerError(name: string, message: string): Error {
  const kinds: Record<string, new (message: string) => Error> = {
    TypeError,
    RangeError,
    RunReadError,
    NotFound: Deno.errors.NotFound,
    PermissionDenied: Deno.errors.PermissionDenied,
    AlreadyExists: Deno.errors.AlreadyExists,
  };
  if (name === "RunWriteError") {
    const error = new RunWriteError("", "");
    error.message = message;
    return error;
  }
  const Kind = Object.hasOwn(kinds, name) ? kinds[name]! : Error;
  return new Kind(message);
}

/** Runs one job in a fresh Worker; resolves with its run folder, rejects on a worker error. */
function runInWorker(job: CompareJob, onProgress: (p: JobProgress) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./compare_worker.ts", import.meta.url).href, {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent) => {
      const message = event.data as
        | { type: "progress"; progress: JobProgress }
        | { type: "done"; runDir: string }
        | { type: "error"; name: string; message: string };
      if (message.type === "progress") onProgress(message.progress);
      else if (message.type === "done") {
        worker.terminate();
        resolve(message.runDir);
      } else {
        worker.terminate();
        reject(workerError(message.name, `${message.message} (${job.method} seed ${job.seed})`));
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

function printProgress(progress: JobProgress[], finished: JobResult[]): void {
  const now = new Date().toISOString().slice(11, 19);
  const running = progress.map((p) => {
    const evalText = p.lastEvalMean === null ? "-" : p.lastEvalMean.toFixed(0);
    return `${p.method} s${p.seed} ${p.envSteps}/${p.budget} eval ${evalText}`;
  });
  console.log(`[${now}] done ${finished.length} | ${running.join(" | ")}`);
}

/**
 * Checks a comparison's options and each method's first job (a model-based budget below its
 * warm-up, a PPO budget below one rollout, bad MBRL overrides) without running or writing
 * anything; resolves with the filled-in options.
 *
 * @example
 * ```ts
 * const resolved = await checkComparison({ outDir: "data/cmp", envId: "Acrobot-v1" });
 * resolved.budgets.dqn; // 100000
 * ```
 * @throws {TypeError|RangeError} naming the option or the method.
 */
export async function checkComparison(options: CompareOptions): Promise<ResolvedCompare> {
  const r = resolveCompareOptions(options);
  // One job per method suffices: seeds do not change what can work.
  const { checkJob } = await import("./compare_job.ts");
  for (const job of planComparison(options).filter((j) => j.seed === r.seeds[0])) {
    await checkJob(job);
  }
  return r;
}

/**
 * Runs every (method, seed) job, `workers` at a time, and writes `outDir/comparison.json`
 * (atomically) from the run folders.
 *
 * @example
 * ```ts
 * const comparison = await runComparison({ outDir: "data/comparison/CartPole-v1", methods: ["dqn"] });
 * console.log(comparison.methods.dqn?.medianStepsToSolve);
 * ```
 * @throws {TypeError|RangeError} on bad options, and an `Error` naming the folder on an
 *   unusable `outDir` or taken run folders, all before any job starts.
 */
export async function runComparison(options: CompareOptions): Promise<Comparison> {
  const r = await checkComparison(options);
  const jobs = planComparison(options);
  assertWritableFolder(r.outDir, "outDir");
  assertFreeRunFolders(jobs, options.resume === true);
  // Read before the runs: the commit (and tree state) the runs start from.
  const host = hostVersions();
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
  const pool = Array.from({ length: Math.min(r.workers, jobs.length) }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const reused = options.resume === true ? reuseRun(job) : null;
      const result = reused ?? readJobFolder(await runOne(job, onProgress));
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
  return writeComparison(
    results,
    r,
    protocolRecord(r),
    options.createdWith ?? "runComparison(...)",
    host,
  );
}

/** Options of {@linkcode aggregateRunFolders}. */
export interface AggregateOptions {
  /** Where `comparison.json` goes. @default {the first folder given} */
  outDir?: string;
  /** The command line recorded as `createdWith`. @default {"aggregateRunFolders(...)"} */
  createdWith?: string;
}

/** The run folders `path` names: itself when it holds `config.json`, else its sub-folders that do. */
function runFoldersIn(path: string): string[] {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`No folder ${path} to aggregate`);
    }
    throw new RunReadError(`Cannot read run folders in ${path}: ${shortReason(error)}`);
  }
  if (!stat.isDirectory) {
    throw new TypeError(`Expected a folder of run folders but found a file: ${path}`);
  }
  if (readRunStatus(path) !== "missing") return [path];
  const found: string[] = [];
  for (const entry of [...Deno.readDirSync(path)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory) continue;
    const dir = join(path, entry.name);
    let hasConfig = false;
    try {
      hasConfig = Deno.statSync(join(dir, "config.json")).isFile;
    } catch {
      hasConfig = false;
    }
    if (hasConfig) found.push(dir);
  }
  return found;
}

/**
 * Builds `comparison.json` from run folders written anywhere (each path a run folder or a folder
 * of run folders, e.g. the `--out` of `deno task compare:job` lines run by a scheduler), and
 * writes it atomically to `outDir`. Refuses, naming the folders: unfinished or interrupted runs,
 * runs of two envs, two runs of one (method, seed), and runs of one method with different
 * budgets or evaluation schedules.
 *
 * @example
 * ```ts
 * const comparison = aggregateRunFolders(["/scratch/jobs"], { outDir: "data/comparison/Acrobot-v1" });
 * ```
 */
export function aggregateRunFolders(
  paths: readonly string[],
  options: AggregateOptions = {},
): Comparison {
  if (paths.length === 0) throw new RangeError("Expected at least one folder to aggregate");
  const dirs = [...new Set(paths.flatMap(runFoldersIn))];
  if (dirs.length === 0) {
    throw new Deno.errors.NotFound(
      `No run folders (folders with config.json) in ${paths.join(", ")}`,
    );
  }
  const bad = dirs.flatMap((dir) => {
    const status = readRunStatus(dir);
    return status === "finished" ? [] : [`${dir} (${status})`];
  });
  if (bad.length > 0) {
    throw new RunReadError(
      `${bad.length} of ${dirs.length} run folders did not finish: ${bad.join(", ")}; ` +
        "finish, re-run or remove them before aggregating",
    );
  }
  const results = dirs.map(readJobFolder);
  const envs = [...new Set(results.map((x) => x.envId))];
  if (envs.length !== 1) {
    const byEnv = envs.map((e) => {
      const n = results.filter((x) => x.envId === e).length;
      return `${e} (${n} folders, e.g. ${results.find((x) => x.envId === e)!.runDir})`;
    });
    throw new RangeError(`Expected run folders of one env but found ${byEnv.join(" and ")}`);
  }
  const envId = envs[0]!;
  assertCompareEnv(envId);
  const seen = new Map<string, string>();
  for (const x of results) {
    const key = `${x.method} seed ${x.seed}`;
    if (seen.has(key)) {
      throw new RangeError(
        `Expected one run of ${key} but found ${seen.get(key)} and ${x.runDir}`,
      );
    }
    seen.set(key, x.runDir);
  }
  const methods = COMPARE_METHODS.filter((m) => results.some((x) => x.method === m));
  const budgets: Partial<Record<CompareMethod, number>> = {};
  for (const m of methods) {
    const own = results.filter((x) => x.method === m);
    const values = [...new Set(own.map((x) => x.budget))];
    if (values.length !== 1 || values[0] === undefined) {
      throw new RangeError(`Expected one budget for ${m} but found ${values.join(", ")}`);
    }
    budgets[m] = values[0];
  }
  // Methods may have had different intervals (each reports its rounding bound), but every seed
  // of a method the same one, and every run the same episodes (one solved rule).
  for (const m of methods) {
    const own = [...new Set(results.filter((x) => x.method === m).map((x) => x.evalEvery))];
    if (own.length !== 1) {
      throw new RangeError(`Expected one evaluation interval for ${m} but found ${own.join(", ")}`);
    }
  }
  const episodes = [...new Set(results.map((x) => x.evalEpisodes))];
  if (episodes.length !== 1) {
    throw new RangeError(
      `Expected one number of evaluation episodes for every run but found ${episodes.join(", ")}`,
    );
  }
  const protocol = protocolFor(envId);
  const intervals = [...new Set(results.map((x) => x.evalEvery))];
  const evalEvery = intervals.length === 1 ? intervals[0] ?? protocol.evalEvery : null;
  const evalEpisodes = episodes[0] ?? protocol.evalEpisodes;
  const outDir = options.outDir ?? paths[0]!;
  assertWritableFolder(outDir, "outDir");
  const record: ComparisonProtocolRecord = {
    evalEvery,
    evalEpisodes,
    budgets,
    reasons: { ...protocol.reasons },
    overridden: evalEvery !== protocol.evalEvery || evalEpisodes !== protocol.evalEpisodes ||
      methods.some((m) => budgets[m] !== protocol.budgets[m]),
  };
  return writeComparison(
    results,
    { envId, budgets, outDir },
    record,
    options.createdWith ?? "aggregateRunFolders(...)",
    hostVersions(),
  );
}
