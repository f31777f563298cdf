/**
 * Progress a person can read, for the train CLI (stderr):
 *
 * - on a terminal, one status line redrawn in place (`\r\x1b[2K`), fitted to the terminal's
 *   width (`Deno.consoleSize().columns`, re-read at each redraw) by dropping the least
 *   important fields, so it never wraps; each evaluation's result is kept as a line above it;
 * - otherwise (a pipe, a log file, CI) plain lines: one per training episode, one per
 *   evaluation, and during an evaluation one per evaluation episode at most every few seconds;
 * - in both cases a readable result line at the end (`solved at 200 steps: eval mean 500.0 over
 *   10 episodes, 12.3 s`), printed before the CLI's JSON summary on stdout.
 *
 * The formatting functions are pure; {@linkcode ProgressReporter} only decides what to write
 * when.
 *
 * @module
 */
import type { MbrlStatus } from "../agents/mbrl_loop.ts";
import type { EpisodeRow, EvalRow, FinishStatus, MetricsRow } from "../run_folder.ts";

/** What the training loop is doing. */
export type ProgressPhase = MbrlStatus["phase"];

/**
 * A snapshot of a training loop for progress displays: the MBRL loop's `onStatus` status
 * ({@linkcode MbrlStatus}, declared once there), with `lastEvalMean` optional because the
 * reporter also fills it in from evaluation rows. The evaluation fields are set only while
 * `phase` is `"eval"`.
 */
export type ProgressStatus = Omit<MbrlStatus, "lastEvalMean"> & { lastEvalMean?: number | null };

/** What the result line needs: a subset of `summary.json`. */
export interface ProgressResult {
  solved: boolean;
  stepsToSolve: number | null;
  finalEvalMean: number | null;
  /** Real env steps taken. */
  envSteps: number;
  wallSeconds: number;
  /** Episodes per full evaluation. */
  evalEpisodes?: number;
  /** @default {"finished"} */
  status?: FinishStatus;
}

function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return Number.isInteger(value) && digits <= 1 ? String(value) : value.toFixed(digits);
}

/** Means always with one decimal, so 500.0 reads as an average. */
function meanText(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(1);
}

function phaseText(status: ProgressStatus): string {
  switch (status.phase) {
    case "warmup":
      return "warm-up";
    case "fit":
      return "fitting model";
    case "train":
      return "training";
    case "eval": {
      if (status.evalEpisodes === undefined) return "evaluating";
      const done = status.evalEpisode ?? 0;
      const mean = done > 0 ? `, mean ${meanText(status.evalMean)}` : "";
      // Show the episode being played (k of n), or n of n once all are done.
      return `evaluating ${Math.min(done + 1, status.evalEpisodes)}/${status.evalEpisodes}${mean}`;
    }
  }
}

function bar(status: ProgressStatus, width: number): string {
  const fraction = status.maxSteps > 0 ? Math.min(status.envSteps / status.maxSteps, 1) : 0;
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

const SEPARATOR = "  ";
const MAX_BAR = 24;
const MIN_BAR = 8;

/**
 * The status line for a terminal `columns` wide: at most `columns - 1` characters (the last
 * column is left free so no terminal wraps), dropping the least important fields first (the
 * progress bar, then plan time, loss, last return, episode, last evaluation; the phase with its
 * evaluation progress and the step count stay longest).
 *
 * @example
 * ```ts
 * import { formatStatusLine } from "./progress.ts";
 * const status = {
 *   phase: "eval", envSteps: 300, maxSteps: 1000, episode: 3, lastReturn: 500,
 *   modelLoss: 0.0012, planMs: 5.1, evalEpisode: 3, evalEpisodes: 10, evalMean: 487.5,
 * } as const;
 * formatStatusLine(status, 60); // "evaluating 4/10, mean 487.5  300/1000 steps  ep 3  ret 500"
 * formatStatusLine(status, 120).length; // 112: a 24-character progress bar and every field
 * ```
 */
export function formatStatusLine(status: ProgressStatus, columns: number): string {
  const limit = Math.max(1, Math.floor(columns) - 1);
  // [priority, text] in display order; lower priority numbers are kept longer.
  const fields: [number, string][] = [
    [0, phaseText(status)],
    [1, `${status.envSteps}/${status.maxSteps} steps`],
    [3, `ep ${status.episode}`],
    [4, `ret ${num(status.lastReturn)}`],
    [5, `loss ${num(status.modelLoss, 4)}`],
    [6, `plan ${num(status.planMs)} ms`],
  ];
  if (status.lastEvalMean !== undefined && status.lastEvalMean !== null) {
    fields.push([2, `last eval ${meanText(status.lastEvalMean)}`]);
  }
  const join = (kept: [number, string][]) => kept.map(([, text]) => text).join(SEPARATOR);
  let kept = fields;
  while (kept.length > 1 && join(kept).length > limit) {
    const worst = Math.max(...kept.map(([priority]) => priority));
    kept = kept.filter(([priority]) => priority !== worst);
  }
  let line = join(kept);
  if (line.length > limit) return line.slice(0, limit);
  const room = limit - line.length - SEPARATOR.length - 2;
  if (kept.length === fields.length && room >= MIN_BAR) {
    line = `${bar(status, Math.min(MAX_BAR, room))}${SEPARATOR}${line}`;
  }
  return line;
}

/**
 * A plain line for a finished training episode.
 *
 * @example
 * ```ts
 * import { formatEpisodeLine } from "./progress.ts";
 * formatEpisodeLine({ kind: "episode", episode: 3, envSteps: 420, return: 200, length: 200, modelValLoss: 0.0021, planMsMean: 5.14 });
 * // "episode 3: return 200 in 200 steps, 420 steps so far, loss 0.0021, plan 5.1 ms"
 * ```
 */
export function formatEpisodeLine(row: EpisodeRow): string {
  const parts = [
    `episode ${row.episode}: return ${num(row.return)} in ${row.length} steps`,
    `${row.envSteps} steps so far`,
  ];
  const loss = row.modelValLoss ?? row.modelLoss;
  if (typeof loss === "number") parts.push(`loss ${num(loss, 4)}`);
  if (typeof row.planMsMean === "number") parts.push(`plan ${num(row.planMsMean)} ms`);
  return parts.join(", ");
}

/**
 * A plain line for a finished evaluation.
 *
 * @example
 * ```ts
 * import { formatEvalLine } from "./progress.ts";
 * formatEvalLine({ kind: "eval", envSteps: 300, evalReturnMean: 487.5, evalReturnStd: 20, evalEpisodes: 10, evalSeconds: 4.2 });
 * // "eval at 300 steps: mean 487.5 over 10 episodes (4.2 s)"
 * ```
 */
export function formatEvalLine(row: EvalRow): string {
  const early = row.evalStoppedEarly === true ? ", stopped early" : "";
  const seconds = typeof row.evalSeconds === "number" ? ` (${num(row.evalSeconds)} s${early})` : (
    early ? ` (${early.slice(2)})` : ""
  );
  return `eval at ${row.envSteps} steps: mean ${meanText(row.evalReturnMean)} over ` +
    `${row.evalEpisodes} episodes${seconds}`;
}

/**
 * A plain line for evaluation progress (`status.phase === "eval"`).
 *
 * @example
 * ```ts
 * import { formatEvalProgressLine } from "./progress.ts";
 * formatEvalProgressLine({ phase: "eval", envSteps: 300, maxSteps: 1000, episode: 3, lastReturn: 500,
 *   modelLoss: null, planMs: 5, evalEpisode: 4, evalEpisodes: 10, evalMean: 480 });
 * // "eval at 300 steps: 4 of 10 episodes done, running mean 480.0"
 * ```
 */
export function formatEvalProgressLine(status: ProgressStatus): string {
  const done = status.evalEpisode ?? 0;
  const of = status.evalEpisodes === undefined ? "" : ` of ${status.evalEpisodes}`;
  return `eval at ${status.envSteps} steps: ${done}${of} episodes done, running mean ` +
    `${meanText(status.evalMean)}`;
}

/**
 * The readable last line of a run.
 *
 * @example
 * ```ts
 * import { formatResultLine } from "./progress.ts";
 * formatResultLine({ solved: true, stepsToSolve: 200, finalEvalMean: 500, envSteps: 200, wallSeconds: 12.34, evalEpisodes: 10 });
 * // "solved at 200 steps: eval mean 500.0 over 10 episodes, 12.3 s"
 * formatResultLine({ solved: false, stepsToSolve: null, finalEvalMean: 212.3, envSteps: 1000, wallSeconds: 40, evalEpisodes: 10 });
 * // "not solved in 1000 steps: final eval mean 212.3 over 10 episodes, 40.0 s"
 * ```
 */
export function formatResultLine(result: ProgressResult): string {
  const over = result.evalEpisodes === undefined ? "" : ` over ${result.evalEpisodes} episodes`;
  const seconds = `${result.wallSeconds.toFixed(1)} s`;
  const evalText = result.finalEvalMean === null
    ? "no evaluation ran"
    : `${result.envSteps === result.stepsToSolve ? "eval" : "final eval"} mean ` +
      `${result.finalEvalMean.toFixed(1)}${over}`;
  let head: string;
  if (result.status === "interrupted") {
    const solved = result.solved ? `solved at ${result.stepsToSolve} steps` : "not solved";
    head = `interrupted at ${result.envSteps} steps (${solved})`;
  } else if (result.solved) {
    const after = result.envSteps === result.stepsToSolve ? "" : ` (ran to ${result.envSteps})`;
    head = `solved at ${result.stepsToSolve} steps${after}`;
  } else {
    head = `not solved in ${result.envSteps} steps`;
  }
  return `${head}: ${evalText}, ${seconds}`;
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** Options of {@linkcode ProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where text goes. @default {synchronous writes to stderr} */
  write?: (text: string) => void;
  /** Redraw one line in place (true) or print plain lines. @default {Deno.stderr.isTerminal()} */
  terminal?: boolean;
  /** The terminal's width, asked at each redraw. @default {Deno.consoleSize().columns, else 80} */
  columns?: () => number;
  /** Write nothing at all. @default {false} */
  quiet?: boolean;
  /** Clock in milliseconds. @default {performance.now} */
  now?: () => number;
  /** Least milliseconds between two redraws of the same phase on a terminal. @default {100} */
  redrawMs?: number;
  /** Least seconds between two plain evaluation-progress lines. @default {5} */
  plainEverySeconds?: number;
}

/**
 * Shows a training run's progress on stderr: feed it `status` snapshots and metrics `row`s as
 * they come, then `finish` with the summary.
 *
 * @example
 * ```ts
 * import { ProgressReporter } from "./progress.ts";
 * const lines: string[] = [];
 * const reporter = new ProgressReporter({ write: (t) => lines.push(t), terminal: false });
 * reporter.row({ kind: "eval", envSteps: 200, evalReturnMean: 500, evalReturnStd: 0, evalEpisodes: 10 });
 * reporter.finish({ solved: true, stepsToSolve: 200, finalEvalMean: 500, envSteps: 200, wallSeconds: 12.3, evalEpisodes: 10 });
 * // lines: ["eval at 200 steps: mean 500.0 over 10 episodes\n", "solved at 200 steps: eval mean 500.0 over 10 episodes, 12.3 s\n"]
 * ```
 */
export class ProgressReporter {
  #write: (text: string) => void;
  #terminal: boolean;
  #columns: () => number;
  #quiet: boolean;
  #now: () => number;
  #redrawMs: number;
  #plainEveryMs: number;
  #last: ProgressStatus | null = null;
  #lastEvalMean: number | null = null;
  #lastDraw = -Infinity;
  #lastDrawKey = "";
  #lastPlain = -Infinity;
  #drawn = false;

  constructor(options: ProgressReporterOptions = {}) {
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((text) => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
    });
    this.#terminal = options.terminal ?? Deno.stderr.isTerminal();
    this.#columns = options.columns ?? consoleColumns;
    this.#quiet = options.quiet ?? false;
    this.#now = options.now ?? (() => performance.now());
    this.#redrawMs = options.redrawMs ?? 100;
    this.#plainEveryMs = (options.plainEverySeconds ?? 5) * 1000;
  }

  /** Takes a loop snapshot: redraws the line on a terminal, or prints evaluation progress now and then. */
  status(status: ProgressStatus): void {
    if (this.#quiet) return;
    this.#last = status;
    if (this.#terminal) {
      // Redraw at once when the phase or evaluation episode changes, else at most every redrawMs.
      const key = `${status.phase}/${status.evalEpisode ?? ""}`;
      const now = this.#now();
      if (key === this.#lastDrawKey && now - this.#lastDraw < this.#redrawMs) return;
      this.#lastDrawKey = key;
      this.#lastDraw = now;
      this.#draw();
    } else if (
      status.phase === "eval" && (status.evalEpisode ?? 0) > 0 &&
      status.evalEpisode !== status.evalEpisodes // the evaluation's own line follows
    ) {
      const now = this.#now();
      if (now - this.#lastPlain < this.#plainEveryMs) return;
      this.#lastPlain = now;
      this.#write(formatEvalProgressLine(status) + "\n");
    }
  }

  /** Takes a metrics row: a plain line off a terminal; on one, evaluations stay as lines above the status. */
  row(row: MetricsRow): void {
    if (this.#quiet) return;
    if (row.kind === "eval") this.#lastEvalMean = row.evalReturnMean;
    if (!this.#terminal) {
      this.#write((row.kind === "episode" ? formatEpisodeLine(row) : formatEvalLine(row)) + "\n");
      // The next evaluation's progress lines start their own interval.
      this.#lastPlain = row.kind === "eval" ? -Infinity : this.#lastPlain;
      return;
    }
    if (row.kind === "eval") {
      this.#write(`\r\x1b[2K${formatEvalLine(row)}\n`);
      this.#drawn = false;
      if (this.#last !== null) this.#draw();
    }
  }

  /** Clears the status line and writes the result line. */
  finish(result: ProgressResult): void {
    if (this.#quiet) return;
    const clear = this.#terminal && this.#drawn ? "\r\x1b[2K" : "";
    this.#write(`${clear}${formatResultLine(result)}\n`);
    this.#drawn = false;
  }

  #draw(): void {
    const status = { ...this.#last!, lastEvalMean: this.#lastEvalMean };
    this.#write(`\r\x1b[2K${formatStatusLine(status, this.#columns())}`);
    this.#drawn = true;
  }
}
