/**
 * The run folder every training method writes: `config.json`, `metrics.jsonl` (one JSON row
 * per line, appended and flushed as it happens, so an interrupted run keeps everything written
 * so far) and `summary.json`.
 *
 * Episode rows carry `kind: "episode"`, `episode`, `envSteps` (cumulative real steps, evaluation
 * excluded), `return`, `length`; evaluation rows carry `kind: "eval"`, `envSteps`,
 * `evalReturnMean`, `evalReturnStd`, `evalEpisodes`. Methods add their own flat, namespaced
 * fields (`modelLoss`, `planMsMean`, ...).
 *
 * @module
 */
import { join } from "node:path";

/** A row of `metrics.jsonl` after an episode of data collection. */
export interface EpisodeRow {
  kind: "episode";
  episode: number;
  envSteps: number;
  return: number;
  length: number;
  [field: string]: unknown;
}

/** A row of `metrics.jsonl` after an evaluation (which adds no data). */
export interface EvalRow {
  kind: "eval";
  envSteps: number;
  evalReturnMean: number;
  evalReturnStd: number;
  evalEpisodes: number;
  [field: string]: unknown;
}

/** Any row of `metrics.jsonl`. */
export type MetricsRow = EpisodeRow | EvalRow;

/** The fields every `summary.json` has. */
export interface RunSummary {
  envId: string;
  method: string;
  seed: number;
  envSteps: number;
  solved: boolean;
  stepsToSolve: number | null;
  finalEvalMean: number | null;
  wallSeconds: number;
  backend: string;
  [field: string]: unknown;
}

/** Writes one run folder. Create with {@linkcode RunWriter.create}. */
export class RunWriter {
  /** The run folder. */
  readonly dir: string;
  #metricsPath: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.#metricsPath = join(dir, "metrics.jsonl");
  }

  /** Creates `dir` (and parents), writes `config.json` and an empty `metrics.jsonl`. */
  static create(dir: string, config: unknown): RunWriter {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
    Deno.writeTextFileSync(join(dir, "metrics.jsonl"), "");
    return new RunWriter(dir);
  }

  /** Appends one row to `metrics.jsonl` (synchronously, so nothing is lost on interrupt). */
  append(row: MetricsRow): void {
    Deno.writeTextFileSync(this.#metricsPath, JSON.stringify(row) + "\n", { append: true });
  }

  /** Writes `summary.json`. */
  writeSummary(summary: RunSummary): void {
    Deno.writeTextFileSync(join(this.dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  }
}

/** Reads a run folder's `metrics.jsonl` back as rows. */
export function readMetrics(dir: string): MetricsRow[] {
  const text = Deno.readTextFileSync(join(dir, "metrics.jsonl"));
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** Reads a run folder's `summary.json`. */
export function readSummary(dir: string): RunSummary {
  return JSON.parse(Deno.readTextFileSync(join(dir, "summary.json")));
}

/**
 * The first cumulative real step count after which an evaluation averaged at least
 * `threshold`, or `null` if none did.
 */
export function stepsToSolve(rows: readonly MetricsRow[], threshold: number): number | null {
  for (const row of rows) {
    if (row.kind === "eval" && row.evalReturnMean >= threshold) return row.envSteps;
  }
  return null;
}

/** A run id that sorts by time and names its method and seed: `2026-11-26T03-10-00_mbrl_s3`. */
export function makeRunId(method: string, seed: number, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(":", "-");
  return `${stamp}_${method}_s${seed}`;
}

/** Parent folder helper kept here so callers never build paths by string concatenation. */
export function runDirIn(outDir: string, runId: string): string {
  return join(outDir, runId);
}
