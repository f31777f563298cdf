/**
 * The one run recorder every training method (MBRL, DQN, PPO, ...) writes through: the same
 * row kinds, the same 0-based episode numbering (assigned here, never by the caller), the same
 * solved rule ({@linkcode evaluationSolves}: a full evaluation whose mean reaches the env's
 * `solvedThreshold`), the same summary fields and the same interrupt handling.
 *
 * It sits in `lib/agents/` because the solved rule lives with the env metadata
 * (`lib/envs/registry.ts`); the files themselves go through the ground layer's
 * {@linkcode RunWriter}.
 *
 * @module
 */
import { envMetadata, evaluationSolves } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { Throttle } from "../event_loop.ts";
import type {
  EpisodeRow,
  EvalRow,
  FinishStatus,
  MetricsRow,
  RunSummary,
  RunWriter,
} from "../run_folder.ts";

/** Options of {@linkcode RunRecorder}. */
export interface RunRecorderOptions {
  /** The environment (its metadata gives the solved threshold). */
  envId: EnvId;
  /** The method's short name in the summary (`mbrl`, `dqn`, `ppo`). */
  method: string;
  /** The run's root seed. */
  seed: number;
  /** Episodes in a full evaluation: only a full one can solve. */
  evalEpisodes: number;
  /** Where rows and the summary go; nothing is written when `null`. @default {null} */
  writer?: RunWriter | null;
  /** {@linkcode RunRecorder.shouldStop} turns true at the first solved evaluation. @default {true} */
  stopWhenSolved?: boolean;
  /** Aborted on SIGINT/SIGTERM (see `lib/cli/interrupt.ts`): the run should stop and say so. */
  signal?: AbortSignal;
  /** `performance.now()` when the run started (wall clock origin). @default {now} */
  startedAt?: number;
  /** Called with every row after it is written. */
  onRow?: (row: MetricsRow) => void;
  /** Least milliseconds between two event-loop turns in {@linkcode RunRecorder.checkpoint}. @default {50} */
  yieldEveryMs?: number;
}

/** What a training episode's row needs; other fields are appended to the row as given. */
export interface EpisodeFields {
  /** Cumulative real env steps after the episode (evaluation excluded). */
  envSteps: number;
  /** The episode's undiscounted return. */
  return: number;
  /** Its length in steps. */
  length: number;
  [field: string]: unknown;
}

/** What an evaluation's row needs; other fields are appended to the row as given. */
export interface EvaluationFields {
  /** Cumulative real env steps at the evaluation. */
  envSteps: number;
  /** The return of each evaluation episode run (fewer than `evalEpisodes` if it stopped early). */
  returns: readonly number[];
  [field: string]: unknown;
}

/** What {@linkcode RunRecorder.evaluation} decided. */
export interface EvaluationOutcome {
  /** The row written. */
  row: EvalRow;
  /** The evaluation solves the env (full, mean at least the threshold). */
  solved: boolean;
  /** It is the run's first solved evaluation (`stepsToSolve` was just set). */
  firstSolve: boolean;
}

/** What a summary needs besides what the recorder tracks; other fields are appended. */
export interface FinishFields {
  /** Real env steps taken in all. */
  envSteps: number;
  /** The tfjs backend (`"wasm"`, `"cpu"`). */
  backend: string;
  [field: string]: unknown;
}

/**
 * Records one run: numbers episodes, writes rows, applies the solved rule, tracks
 * `stepsToSolve`, `finalEvalMean` and `wallSeconds`, and writes the summary with its status.
 *
 * @example
 * ```ts
 * import { RunRecorder } from "./run_recorder.ts";
 * const recorder = new RunRecorder({ envId: "CartPole-v1", method: "demo", seed: 0, evalEpisodes: 2 });
 * recorder.episode({ envSteps: 20, return: 20, length: 20 }).episode; // 0
 * recorder.evaluation({ envSteps: 20, returns: [500, 480] }).firstSolve; // true
 * const summary = recorder.finish({ envSteps: 20, backend: "cpu" });
 * [summary.stepsToSolve, summary.finalEvalMean, summary.status]; // [20, 490, "finished"]
 * ```
 */
export class RunRecorder {
  /** The environment id. */
  readonly envId: EnvId;
  /** The method's short name. */
  readonly method: string;
  /** The root seed. */
  readonly seed: number;
  /** Episodes in a full evaluation. */
  readonly evalEpisodes: number;
  /** The env's solved threshold on a full evaluation's mean (from its metadata). */
  readonly solvedThreshold: number;
  /** The run folder writer, or null when nothing is written. */
  readonly writer: RunWriter | null;
  /** Evaluation means, in order, with their env steps. */
  readonly evals: { envSteps: number; mean: number }[] = [];
  #episodes = 0;
  #stepsToSolve: number | null = null;
  #stopWhenSolved: boolean;
  #signal: AbortSignal | undefined;
  #startedAt: number;
  #onRow: ((row: MetricsRow) => void) | undefined;
  #throttle: Throttle;

  /** @throws {RangeError} for an unknown env id or `evalEpisodes` that is not a positive integer. */
  constructor(options: RunRecorderOptions) {
    this.envId = options.envId;
    this.solvedThreshold = envMetadata(options.envId).solvedThreshold;
    if (!Number.isSafeInteger(options.evalEpisodes) || options.evalEpisodes <= 0) {
      throw new RangeError(
        `Expected evalEpisodes to be a positive integer but found ${options.evalEpisodes}`,
      );
    }
    this.method = options.method;
    this.seed = options.seed;
    this.evalEpisodes = options.evalEpisodes;
    this.writer = options.writer ?? null;
    this.#stopWhenSolved = options.stopWhenSolved ?? true;
    this.#signal = options.signal;
    this.#startedAt = options.startedAt ?? performance.now();
    this.#onRow = options.onRow;
    this.#throttle = new Throttle(options.yieldEveryMs ?? 50);
  }

  /** Training episodes recorded so far (the next episode's 0-based index). */
  get episodes(): number {
    return this.#episodes;
  }

  /** Env steps at the first solved evaluation, or null. */
  get stepsToSolve(): number | null {
    return this.#stepsToSolve;
  }

  /** The latest evaluation's mean, or null before the first. */
  get finalEvalMean(): number | null {
    return this.evals.at(-1)?.mean ?? null;
  }

  /** Seconds since the run started. */
  get wallSeconds(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  /** The run's signal was aborted (SIGINT/SIGTERM): stop and finish as `"interrupted"`. */
  get interrupted(): boolean {
    return this.#signal?.aborted === true;
  }

  /** The loop should stop now: interrupted, or solved with `stopWhenSolved`. */
  get shouldStop(): boolean {
    return this.interrupted || (this.#stopWhenSolved && this.#stepsToSolve !== null);
  }

  /**
   * Lets the event loop run (at most every `yieldEveryMs`, so pending SIGINT/SIGTERM reach the
   * signal) and returns {@linkcode RunRecorder.shouldStop}. Await it between steps and between
   * evaluation episodes: a loop that never awaits cannot be interrupted.
   */
  async checkpoint(): Promise<boolean> {
    await this.#throttle.maybeYield();
    return this.shouldStop;
  }

  /**
   * Records a finished training episode under the next 0-based index and returns its row
   * (`kind`, `episode`, then `fields` in their order).
   *
   * @throws {RunWriteError} when the row cannot be written.
   */
  episode(fields: EpisodeFields): EpisodeRow {
    const { envSteps, return: episodeReturn, length, ...extra } = fields;
    const row: EpisodeRow = {
      kind: "episode",
      episode: this.#episodes,
      envSteps,
      return: episodeReturn,
      length,
      ...extra,
    };
    this.#episodes += 1;
    this.#emit(row);
    return row;
  }

  /**
   * Records an evaluation: its row (`kind`, `envSteps`, `evalReturnMean`, `evalReturnStd`
   * (population), `evalEpisodes` (episodes run), `wallSeconds`, then the other `fields`) and
   * whether it solves the env by {@linkcode evaluationSolves}.
   *
   * @throws {RangeError} for an empty `returns`.
   * @throws {RunWriteError} when the row cannot be written.
   */
  evaluation(fields: EvaluationFields): EvaluationOutcome {
    const { envSteps, returns, ...extra } = fields;
    if (returns.length === 0) {
      throw new RangeError("Expected returns to hold at least one episode's return but found none");
    }
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length);
    const row: EvalRow = {
      kind: "eval",
      envSteps,
      evalReturnMean: mean,
      evalReturnStd: std,
      evalEpisodes: returns.length,
      wallSeconds: this.wallSeconds,
      ...extra,
    };
    this.evals.push({ envSteps, mean });
    const solved = evaluationSolves(this.envId, returns, this.evalEpisodes);
    const firstSolve = solved && this.#stepsToSolve === null;
    if (firstSolve) this.#stepsToSolve = envSteps;
    this.#emit(row);
    return { row, solved, firstSolve };
  }

  /**
   * The run summary (`envId`, `method`, `seed`, `envSteps`, `solved`, `stepsToSolve`,
   * `evalEpisodes`, `solvedThreshold`, `finalEvalMean`, `wallSeconds`, `backend`, `episodes`,
   * `status`, then the other `fields`), written to `summary.json` when writing.
   *
   * @param status how the run ended @default {"interrupted" if the signal was aborted, else "finished"}
   * @throws {RunWriteError} when the summary cannot be written.
   */
  finish(fields: FinishFields, status?: FinishStatus): RunSummary {
    const { envSteps, backend, ...extra } = fields;
    const summary: RunSummary = {
      envId: this.envId,
      method: this.method,
      seed: this.seed,
      envSteps,
      solved: this.#stepsToSolve !== null,
      stepsToSolve: this.#stepsToSolve,
      evalEpisodes: this.evalEpisodes,
      solvedThreshold: this.solvedThreshold,
      finalEvalMean: this.finalEvalMean,
      wallSeconds: this.wallSeconds,
      backend,
      episodes: this.#episodes,
      status: status ?? (this.interrupted ? "interrupted" : "finished"),
      ...extra,
    };
    this.writer?.writeSummary(summary);
    return summary;
  }

  #emit(row: MetricsRow): void {
    this.writer?.append(row);
    this.#onRow?.(row);
  }
}
