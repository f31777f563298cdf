/**
 * The run folder every training method writes, and the guarantees it gives:
 *
 * - **Exclusive.** A run folder is created with a non-recursive `mkdir` that fails if it exists,
 *   so two writers never share one: an auto-generated name moves on to a fresh one
 *   (`..._s0`, `..._s0-2`, ...), an explicit name that exists is refused unless `overwrite`.
 * - **Atomic JSON.** `config.json` and `summary.json` are written to a temporary file in the same
 *   folder and renamed into place ({@linkcode writeJsonAtomic}): a reader sees the old file or
 *   the new one, never half of one.
 * - **Append-only metrics.** `metrics.jsonl` gets one JSON row per line, appended and flushed as
 *   it happens; a torn last line (the disk filled up mid-write, the process was killed) is
 *   skipped and reported by {@linkcode readMetricsReport}, a corrupt line elsewhere is an error.
 * - **Clear write errors.** Any failed write throws a {@linkcode RunWriteError} naming the file;
 *   the writer then refuses further appends, so what was written before stays readable.
 * - **Status.** `summary.json` records `status: "finished"` or `"interrupted"`; a folder with
 *   `config.json` and no `summary.json` is `"unfinished"` (hard-killed or still running), see
 *   {@linkcode readRunStatus}.
 *
 * Episode rows carry `kind: "episode"`, `episode` (0-based), `envSteps` (cumulative real steps,
 * evaluation excluded), `return`, `length`; evaluation rows carry `kind: "eval"`, `envSteps`,
 * `evalReturnMean`, `evalReturnStd`, `evalEpisodes`. Methods add their own flat fields
 * (`modelLoss`, `planMsMean`, ...).
 *
 * A ground module: it imports nothing from `lib/`.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** A row of `metrics.jsonl` after an episode of data collection. */
export interface EpisodeRow {
  kind: "episode";
  /** 0-based index of the training episode in this run. */
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
  /** Evaluation episodes actually run (fewer than asked for when an evaluation stopped early). */
  evalEpisodes: number;
  [field: string]: unknown;
}

/** Any row of `metrics.jsonl`. */
export type MetricsRow = EpisodeRow | EvalRow;

/** How a run that wrote its summary ended. */
export type FinishStatus = "finished" | "interrupted";

/**
 * What a run folder says about its run: `"finished"` or `"interrupted"` from `summary.json`,
 * `"unfinished"` when `config.json` exists without `summary.json` (hard-killed or still
 * running), `"missing"` when there is no `config.json`.
 */
export type RunStatus = FinishStatus | "unfinished" | "missing";

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
  /** How the run ended; written by {@linkcode RunWriter.writeSummary}. */
  status?: FinishStatus;
  [field: string]: unknown;
}

/**
 * A file of a run folder (or any file written through this module) could not be written: the
 * message is one line, `Could not write <path>: <reason>`.
 *
 * @example
 * ```ts
 * import { RunWriteError } from "./run_folder.ts";
 * const error = new RunWriteError("data/runs/x/metrics.jsonl", new Error("No space left on device (os error 28)"));
 * error.message; // "Could not write data/runs/x/metrics.jsonl: No space left on device (os error 28)"
 * ```
 */
export class RunWriteError extends Error {
  /** The file (or folder) that could not be written. */
  readonly path: string;

  /**
   * @param path the file or folder
   * @param cause the underlying error (its message is shortened to the OS reason)
   * @param verb what failed @default {"write"}
   */
  constructor(path: string, cause: unknown, verb = "write") {
    super(`Could not ${verb} ${path}: ${osReason(cause)}`, { cause });
    this.name = "RunWriteError";
    this.path = path;
  }
}

/**
 * A file of a run folder could not be read as what it should be (a corrupt line of
 * `metrics.jsonl`, an unparsable `summary.json`): the message names the file and line.
 *
 * @example
 * ```ts
 * import { RunReadError } from "./run_folder.ts";
 * new RunReadError("Line 3 of data/runs/x/metrics.jsonl is not a JSON row").name; // "RunReadError"
 * ```
 */
export class RunReadError extends Error {
  /** @param message one line naming the file */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RunReadError";
  }
}

/** Deno's fs messages end with the call and path (`...(os error 28): writefile '/x'`): keep the reason. */
function osReason(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const match = /^(.*?\(os error \d+\))/.exec(message);
  return match ? match[1]! : message;
}

/** Process-unique part of temporary file names (with a random part for workers). */
let tempCounter = 0;

function tempPathFor(path: string): string {
  tempCounter += 1;
  const unique = `${Deno.pid}-${tempCounter}-${crypto.randomUUID().slice(0, 8)}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

/**
 * Writes `data` to `path` atomically and synchronously: to a temporary file in the same folder
 * (flushed to disk), then renamed over `path`. A reader sees the old file or the new one, never
 * a part; after a crash at worst a `.<name>.<id>.tmp` file is left beside it. The folder must
 * exist. Use it for any file that is replaced as a whole (JSON, model weights, buffers).
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * writeFileAtomic(`${dir}/weights.bin`, new Uint8Array([1, 2, 3]));
 * writeFileAtomic(`${dir}/note.txt`, "hello\n");
 * ```
 * @throws {RunWriteError} when the temporary file cannot be written or renamed (it is removed).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = tempPathFor(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = Deno.openSync(temp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncDataSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw new RunWriteError(path, error);
  }
}

/**
 * Writes `value` as pretty JSON (2-space indent, trailing newline) to `path` atomically and
 * synchronously, through {@linkcode writeFileAtomic}. Use it for `config.json`, `summary.json`,
 * `model.json`, `comparison.json` and any other JSON file that is replaced as a whole.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * writeJsonAtomic(`${dir}/summary.json`, { solved: true, stepsToSolve: 200 });
 * JSON.parse(Deno.readTextFileSync(`${dir}/summary.json`)).stepsToSolve; // 200
 * ```
 * @throws {RunWriteError} when the file cannot be written.
 * @throws {TypeError} when `value` cannot be serialised (a cycle, a BigInt).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * The file operations a {@linkcode RunWriter} performs after creating its folder; pass fakes
 * through {@linkcode RunWriterOptions.fs} to test faults (disk full, permission denied).
 */
export interface RunFolderFs {
  /** Appends `text` to the file at `path` (creating it). @default {Deno.writeTextFileSync with append} */
  appendText(path: string, text: string): void;
  /** Replaces the file at `path` with `text` atomically. @default {writeFileAtomic} */
  writeAtomic(path: string, text: string): void;
}

const DENO_FS: RunFolderFs = {
  appendText(path, text) {
    Deno.writeTextFileSync(path, text, { append: true });
  },
  writeAtomic(path, text) {
    writeFileAtomic(path, text);
  },
};

/** Options of {@linkcode RunWriter.create}. */
export interface RunWriterOptions {
  /**
   * Replace an existing run folder at `dir` (it must hold `config.json` or be empty, so a wrong
   * path never deletes anything else). @default {false}
   */
  overwrite?: boolean;
  /** File operations after the folder is created (tests inject faults here). @default {Deno's} */
  fs?: Partial<RunFolderFs>;
}

/** Refuses an existing folder (AlreadyExists) or moves an old run folder away for `overwrite`. */
function clearForOverwrite(dir: string): void {
  let entries: string[];
  try {
    entries = [...Deno.readDirSync(dir)].map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new RunWriteError(dir, error, "replace");
  }
  if (entries.length > 0 && !entries.includes("config.json")) {
    throw new Deno.errors.AlreadyExists(
      `Run folder ${dir} already exists and is not a run folder (no config.json); not replacing it`,
    );
  }
  // Rename first (atomic), so the name is free at once and a concurrent reader never sees a
  // half-deleted run; then delete the old copy.
  const trash = `${dir}.replaced-${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.renameSync(dir, trash);
    Deno.removeSync(trash, { recursive: true });
  } catch (error) {
    throw new RunWriteError(dir, error, "replace");
  }
}

/**
 * Writes one run folder. Create with {@linkcode RunWriter.create} (an exact folder) or
 * {@linkcode createRunFolder} (a folder named after the run, fresh on collision).
 *
 * @example
 * ```ts
 * import { readMetrics, RunWriter } from "./run_folder.ts";
 * const dir = `${Deno.makeTempDirSync()}/run`;
 * const writer = RunWriter.create(dir, { seed: 0 });
 * writer.append({ kind: "episode", episode: 0, envSteps: 20, return: 20, length: 20 });
 * writer.writeSummary({
 *   envId: "CartPole-v1", method: "demo", seed: 0, envSteps: 20, solved: false,
 *   stepsToSolve: null, finalEvalMean: null, wallSeconds: 0.1, backend: "none",
 * }, "finished");
 * readMetrics(dir).length; // 1
 * ```
 */
export class RunWriter {
  /** The run folder. */
  readonly dir: string;
  #metricsPath: string;
  #fs: RunFolderFs;
  #failed: RunWriteError | null = null;

  private constructor(dir: string, fs: RunFolderFs) {
    this.dir = dir;
    this.#metricsPath = join(dir, "metrics.jsonl");
    this.#fs = fs;
  }

  /**
   * Creates the run folder `dir` exclusively (parents as needed; the folder itself must not
   * exist unless `overwrite`), writes `config.json` atomically and an empty `metrics.jsonl`.
   * Of two writers racing for one folder exactly one gets it.
   *
   * @throws {Deno.errors.AlreadyExists} when `dir` exists and `overwrite` is not set:
   *   `Run folder <dir> already exists; pass overwrite (--overwrite) to replace it`.
   * @throws {RunWriteError} when the folder or its files cannot be created.
   */
  static create(dir: string, config: unknown, options: RunWriterOptions = {}): RunWriter {
    if (options.overwrite === true) clearForOverwrite(dir);
    try {
      Deno.mkdirSync(dirname(dir), { recursive: true });
    } catch (error) {
      // A recursive mkdir reports a file in the way as "File exists".
      const reason = error instanceof Deno.errors.AlreadyExists
        ? new Error("it exists and is not a folder", { cause: error })
        : error;
      throw new RunWriteError(dirname(dir), reason, "create");
    }
    try {
      Deno.mkdirSync(dir);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new Deno.errors.AlreadyExists(
          `Run folder ${dir} already exists; pass overwrite (--overwrite) to replace it`,
        );
      }
      throw new RunWriteError(dir, error, "create");
    }
    const writer = new RunWriter(dir, { ...DENO_FS, ...options.fs });
    writer.#write(
      join(dir, "config.json"),
      () =>
        writer.#fs.writeAtomic(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n"),
    );
    writer.#write(writer.#metricsPath, () => writer.#fs.appendText(writer.#metricsPath, ""));
    return writer;
  }

  /**
   * Appends one row to `metrics.jsonl` (synchronously, so nothing is lost on interrupt).
   *
   * @throws {RunWriteError} when the write fails, and on every later call (a torn line must
   *   stay the last one).
   */
  append(row: MetricsRow): void {
    this.#write(
      this.#metricsPath,
      () => this.#fs.appendText(this.#metricsPath, JSON.stringify(row) + "\n"),
    );
  }

  /**
   * Writes `summary.json` atomically with `status` (which replaces any `summary.status`).
   *
   * @param status how the run ended @default {summary.status ?? "finished"}
   * @throws {RunWriteError} when the write fails.
   */
  writeSummary(summary: RunSummary, status: FinishStatus = summary.status ?? "finished"): void {
    const path = join(this.dir, "summary.json");
    const text = JSON.stringify({ ...summary, status }, null, 2) + "\n";
    this.#write(path, () => this.#fs.writeAtomic(path, text));
  }

  #write(path: string, write: () => void): void {
    if (this.#failed !== null) throw this.#failed;
    try {
      write();
    } catch (error) {
      this.#failed = error instanceof RunWriteError ? error : new RunWriteError(path, error);
      throw this.#failed;
    }
  }
}

/** Options of {@linkcode createRunFolder}. */
export interface CreateRunFolderOptions {
  /** The method's short name, part of an auto-generated id (`mbrl`, `dqn`, `ppo`). */
  method: string;
  /** The run's seed, part of an auto-generated id. */
  seed: number;
  /**
   * The folder's name under `outDir`; an existing one is refused unless `overwrite`.
   * @default {makeRunId(method, seed), with "-2", "-3", ... appended while taken}
   */
  runId?: string;
  /** Replace an existing folder named `runId` (ignored for auto-generated ids). @default {false} */
  overwrite?: boolean;
  /** The clock of an auto-generated id. @default {new Date()} */
  now?: Date;
  /** File operations (tests). @default {Deno's} */
  fs?: Partial<RunFolderFs>;
}

/**
 * Creates a run folder under `outDir` and returns its writer. An explicit `runId` names the
 * folder exactly (refused if it exists, unless `overwrite`); without one the name is
 * {@linkcode makeRunId}`(method, seed)`, and a taken name moves on to `<id>-2`, `<id>-3`, ...
 *
 * @example
 * ```ts
 * import { createRunFolder } from "./run_folder.ts";
 * const out = Deno.makeTempDirSync();
 * const now = new Date("2026-11-26T03:10:00Z");
 * const a = createRunFolder(out, { lr: 1 }, { method: "dqn", seed: 0, now });
 * const b = createRunFolder(out, { lr: 1 }, { method: "dqn", seed: 0, now });
 * [a.dir.endsWith("_dqn_s0"), b.dir.endsWith("_dqn_s0-2")]; // [true, true]
 * ```
 * @throws {Deno.errors.AlreadyExists} when an explicit `runId` exists and `overwrite` is not set.
 * @throws {RunWriteError} when the folder or its files cannot be created.
 */
export function createRunFolder(
  outDir: string,
  config: unknown,
  options: CreateRunFolderOptions,
): RunWriter {
  const { runId, overwrite, fs } = options;
  if (runId !== undefined) {
    return RunWriter.create(runDirIn(outDir, runId), config, { overwrite, fs });
  }
  const base = makeRunId(options.method, options.seed, options.now);
  for (let n = 1;; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    try {
      return RunWriter.create(runDirIn(outDir, id), config, { fs });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists) || n >= 10_000) throw error;
    }
  }
}

/** What {@linkcode readMetricsReport} found. */
export interface MetricsReport {
  /** Every complete row, in order. */
  rows: MetricsRow[];
  /**
   * The last line when it was cut off mid-write (no trailing newline, not valid JSON), else
   * `null`. It is not among `rows`.
   */
  tornLastLine: string | null;
}

function parseRow(line: string): MetricsRow | undefined {
  try {
    const row = JSON.parse(line);
    if (typeof row === "object" && row !== null && typeof row.kind === "string") return row;
  } catch {
    // Reported by the caller with the file and line.
  }
  return undefined;
}

/**
 * Reads a run folder's `metrics.jsonl` and reports a torn last line instead of failing on it.
 *
 * @example
 * ```ts
 * import { readMetricsReport } from "./run_folder.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/metrics.jsonl`, '{"kind":"eval","envSteps":1}\n{"kind":"epi');
 * const { rows, tornLastLine } = readMetricsReport(dir);
 * [rows.length, tornLastLine]; // [1, '{"kind":"epi']
 * ```
 * @throws {RunReadError} naming the file and line when a line other than the last is not a
 *   JSON row (an object with a `kind`).
 * @throws {Deno.errors.NotFound} when the file does not exist.
 */
export function readMetricsReport(dir: string): MetricsReport {
  const path = join(dir, "metrics.jsonl");
  const lines = Deno.readTextFileSync(path).split("\n");
  // After the last newline: "" for a complete file, or a last line that lost its newline.
  const tail = lines.pop()!;
  const rows: MetricsRow[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const row = parseRow(line);
    if (row === undefined) {
      throw new RunReadError(`Line ${i + 1} of ${path} is not a JSON row: ${line.slice(0, 80)}`);
    }
    rows.push(row);
  });
  let tornLastLine: string | null = null;
  if (tail.trim() !== "") {
    const row = parseRow(tail);
    if (row === undefined) tornLastLine = tail;
    else rows.push(row);
  }
  return { rows, tornLastLine };
}

/**
 * Reads a run folder's `metrics.jsonl` back as rows, skipping a torn last line (use
 * {@linkcode readMetricsReport} to learn about it).
 *
 * @example
 * ```ts
 * import { readMetrics, RunWriter } from "./run_folder.ts";
 * const dir = `${Deno.makeTempDirSync()}/run`;
 * RunWriter.create(dir, {}).append({ kind: "eval", envSteps: 100, evalReturnMean: 9, evalReturnStd: 1, evalEpisodes: 10 });
 * readMetrics(dir)[0]!.kind; // "eval"
 * ```
 * @throws {RunReadError} on a corrupt line before the last (naming file and line).
 */
export function readMetrics(dir: string): MetricsRow[] {
  return readMetricsReport(dir).rows;
}

/**
 * Reads a run folder's `summary.json`.
 *
 * @example
 * ```ts
 * import { readSummary, RunWriter } from "./run_folder.ts";
 * const dir = `${Deno.makeTempDirSync()}/run`;
 * RunWriter.create(dir, {}).writeSummary({
 *   envId: "CartPole-v1", method: "demo", seed: 0, envSteps: 0, solved: false,
 *   stepsToSolve: null, finalEvalMean: null, wallSeconds: 0, backend: "none",
 * });
 * readSummary(dir).status; // "finished"
 * ```
 * @throws {Deno.errors.NotFound} when there is no `summary.json`.
 * @throws {RunReadError} when it is not a JSON object.
 */
export function readSummary(dir: string): RunSummary {
  const path = join(dir, "summary.json");
  const text = Deno.readTextFileSync(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunReadError(`${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RunReadError(`${path} is not a JSON object`);
  }
  return value as RunSummary;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * How the run in `dir` ended, as its files say: `"finished"` / `"interrupted"` (from
 * `summary.json`; a summary without `status`, written before it existed, counts as
 * `"finished"`), `"unfinished"` (`config.json` without `summary.json`: hard-killed or still
 * running), `"missing"` (no `config.json`, or no folder).
 *
 * @example
 * ```ts
 * import { readRunStatus, RunWriter } from "./run_folder.ts";
 * const dir = `${Deno.makeTempDirSync()}/run`;
 * readRunStatus(dir); // "missing"
 * RunWriter.create(dir, {});
 * readRunStatus(dir); // "unfinished"
 * ```
 * @throws {RunReadError} when `summary.json` exists but is not a JSON object.
 */
export function readRunStatus(dir: string): RunStatus {
  if (!exists(join(dir, "config.json"))) return "missing";
  if (!exists(join(dir, "summary.json"))) return "unfinished";
  return readSummary(dir).status === "interrupted" ? "interrupted" : "finished";
}

/**
 * A run id that sorts by time and names its method and seed: `2026-11-26T03-10-00_mbrl_s3`.
 *
 * @example
 * ```ts
 * import { makeRunId } from "./run_folder.ts";
 * makeRunId("mbrl", 3, new Date("2026-11-26T03:10:00Z")); // "2026-11-26T03-10-00_mbrl_s3"
 * ```
 */
export function makeRunId(method: string, seed: number, now: Date = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(":", "-");
  return `${stamp}_${method}_s${seed}`;
}

/**
 * The run folder `runId` under `outDir` (so callers never build paths by concatenation).
 *
 * @example
 * ```ts
 * import { runDirIn } from "./run_folder.ts";
 * runDirIn("data/runs", "x"); // "data/runs/x"
 * ```
 */
export function runDirIn(outDir: string, runId: string): string {
  return join(outDir, runId);
}
