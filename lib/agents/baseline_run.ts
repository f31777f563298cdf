/**
 * The bookkeeping the model-free baselines (DQN, PPO) share around their own training loops:
 * the common options and their defaults, the seeded evaluation environments, the run folder's
 * episode and evaluation rows, the solved check, progress reports and the run summary. Each
 * algorithm keeps its acting and learning in its own file. Rows, episode numbering, the solved
 * rule and the summary come from the one {@linkcode RunRecorder}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { makeEnv } from "../envs/mod.ts";
import type { Env, EnvId } from "../envs/types.ts";
import { envMetadata } from "../envs/registry.ts";
import { createRunFolder, type RunSummary, type RunWriter } from "../run_folder.ts";
import { Rng } from "../rng.ts";
import { type BaselineProgress, type BatchPolicy, evaluateBatched } from "./policy_eval.ts";
import { RunRecorder } from "./run_recorder.ts";

/** Options every model-free trainer takes (each adds its own `config`). */
export interface BaselineRunOptions {
  /** Environment (discrete actions). @default {"CartPole-v1"} */
  envName?: EnvId;
  /** One seed for everything; each consumer draws from its own named stream of it. */
  seed: number;
  /** Real environment steps to train for (never exceeded). @default {100000} */
  maxSteps?: number;
  /**
   * Evaluate each time the env-step count reaches (DQN) or crosses with an update (PPO) a
   * multiple of this many steps, and at the end. @default {1024}
   */
  evalEvery?: number;
  /** Greedy episodes per evaluation. @default {10} */
  evalEpisodes?: number;
  /**
   * @deprecated The solved rule is the env's (`envMetadata(envName).solvedThreshold` through
   * `evaluationSolves`); a different value is refused with a `RangeError`.
   */
  solvedThreshold?: number;
  /** Stop at the first solved evaluation (the env's rule, `evaluationSolves`). @default {true} */
  stopWhenSolved?: boolean;
  /** Parent folder of the run folder; no files are written when left out. */
  outDir?: string;
  /**
   * The run folder's name under `outDir`; an existing one is refused unless `overwrite`.
   * @default {makeRunId(method, seed), with "-2", "-3", ... appended while taken}
   */
  runId?: string;
  /** Replace an existing run folder named `runId`. @default {false} */
  overwrite?: boolean;
  /**
   * Aborted to interrupt the run (`withInterruptSignal` in `lib/cli/interrupt.ts`): the next
   * `evaluate` returns true without evaluating, loops may also `await run.checkpoint()` between
   * steps (which lets the signal in and says whether to stop), and `finish` writes
   * `status: "interrupted"` with the counts so far.
   */
  signal?: AbortSignal;
  /** Called after every evaluation. */
  onProgress?: (progress: BaselineProgress) => void;
}

/**
 * Throws a `RangeError` naming the first entry that is not a positive safe integer.
 *
 * @example
 * ```ts
 * assertPositiveIntegers([["maxSteps", 1000], ["batchSize", 64]]);
 * ```
 */
export function assertPositiveIntegers(entries: readonly (readonly [string, number])[]): void {
  for (const [name, value] of entries) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
    }
  }
}

/**
 * One model-free training run's shared state: resolved options, the root seed, the
 * evaluation environments and stream, and the {@linkcode RunRecorder} that writes the run folder.
 *
 * @example
 * ```ts
 * import { BaselineRun } from "./baseline_run.ts";
 * const run = new BaselineRun("demo", { seed: 0, maxSteps: 100, evalEpisodes: 2, config: {} });
 * const left = (_obs: Float32Array, n: number) => new Int32Array(n);
 * let step = 0;
 * while (step < run.maxSteps && !run.shouldStop) {
 *   step += 10;
 *   run.episode(step, 10, 10);
 *   if (step % 50 === 0 && await run.evaluate(step, left, { lossMean: 0 })) break;
 * }
 * const summary = run.finish(step, { gradientSteps: 0 });
 * ```
 */
export class BaselineRun {
  /** The environment id. */
  readonly envName: EnvId;
  /** The root seed. */
  readonly seed: number;
  /** The env-step budget. */
  readonly maxSteps: number;
  /** Env steps between evaluations. */
  readonly evalEvery: number;
  /** Greedy episodes per evaluation. */
  readonly evalEpisodes: number;
  /** The root generator: algorithms derive their own named streams from it. */
  readonly root: Rng;
  /** Rows, episode numbering, solved rule and summary. */
  readonly recorder: RunRecorder;
  #onProgress: ((progress: BaselineProgress) => void) | undefined;
  #evalEnvs: Env[];
  #evalRng: Rng;

  /**
   * Resolves the shared defaults and opens the run folder (its config records `config`).
   * Call after validating the options.
   *
   * @throws {RangeError} when `solvedThreshold` differs from the env's.
   * @throws {Deno.errors.AlreadyExists} when `runId` exists and `overwrite` is not set.
   * @throws {RunWriteError} when the run folder cannot be written.
   */
  constructor(method: string, options: BaselineRunOptions & { config: object }) {
    const started = performance.now();
    this.envName = options.envName ?? "CartPole-v1";
    this.seed = options.seed;
    this.maxSteps = options.maxSteps ?? 100_000;
    this.evalEvery = options.evalEvery ?? 1024;
    this.evalEpisodes = options.evalEpisodes ?? 10;
    const threshold = envMetadata(this.envName).solvedThreshold;
    if (options.solvedThreshold !== undefined && options.solvedThreshold !== threshold) {
      throw new RangeError(
        `Expected solvedThreshold to be ${this.envName}'s (${threshold}) but found ` +
          `${options.solvedThreshold}; the solved rule is the env's (envMetadata(id).solvedThreshold)`,
      );
    }
    this.#onProgress = options.onProgress;
    this.root = new Rng(this.seed);
    this.#evalEnvs = Array.from({ length: this.evalEpisodes }, () => makeEnv(this.envName));
    this.#evalRng = this.root.stream("eval");
    const { envName, seed, maxSteps, evalEvery, evalEpisodes } = this;
    const writer = options.outDir === undefined ? null : createRunFolder(options.outDir, {
      method,
      envId: envName,
      seed,
      maxSteps,
      evalEvery,
      evalEpisodes,
      threshold,
      config: options.config,
    }, { method, seed, runId: options.runId, overwrite: options.overwrite });
    this.recorder = new RunRecorder({
      envId: envName,
      method,
      seed,
      evalEpisodes,
      writer,
      stopWhenSolved: options.stopWhenSolved ?? true,
      signal: options.signal,
      startedAt: started,
    });
  }

  /** The run folder writer, or null when nothing is written. */
  get writer(): RunWriter | null {
    return this.recorder.writer;
  }

  /** Evaluation means, in order, with their env steps. */
  get evals(): { envSteps: number; mean: number }[] {
    return this.recorder.evals;
  }

  /** Training episodes finished so far. */
  get episodes(): number {
    return this.recorder.episodes;
  }

  /** Env steps at the first solved evaluation, or null. */
  get stepsToSolve(): number | null {
    return this.recorder.stepsToSolve;
  }

  /**
   * The loop should stop now: interrupted (the signal was aborted), or solved with
   * `stopWhenSolved`. Poll it between steps to stop promptly on an interrupt.
   */
  get shouldStop(): boolean {
    return this.recorder.shouldStop;
  }

  /**
   * Lets the event loop run now and then (so SIGINT/SIGTERM reach the signal) and returns
   * {@linkcode BaselineRun.shouldStop}: `if (await run.checkpoint()) break;` between steps.
   */
  checkpoint(): Promise<boolean> {
    return this.recorder.checkpoint();
  }

  /** Records a finished training episode (0-based index; `extra` fields appended to its row). */
  episode(envSteps: number, episodeReturn: number, length: number, extra: object = {}): void {
    this.recorder.episode({ envSteps, return: episodeReturn, length, ...extra });
  }

  /**
   * Evaluates `greedy` on the evaluation envs, records and reports the result (`extra` fields
   * appended to the row), then yields to the event loop. Returns true when the run should
   * stop: solved with `stopWhenSolved`, or interrupted (then nothing is evaluated).
   */
  async evaluate(envSteps: number, greedy: BatchPolicy, extra: object = {}): Promise<boolean> {
    if (this.recorder.interrupted) return true;
    const { returns, mean } = evaluateBatched(this.#evalEnvs, greedy, this.#evalRng);
    this.recorder.evaluation({ envSteps, returns, ...extra });
    this.#onProgress?.({
      envSteps,
      maxSteps: this.maxSteps,
      episodes: this.episodes,
      lastEvalMean: mean,
    });
    if (this.recorder.shouldStop) return true;
    // Let the event loop breathe (worker messages, progress output, signals).
    await new Promise((resolve) => setTimeout(resolve, 0));
    return this.recorder.interrupted;
  }

  /**
   * The run summary after `envSteps` steps (`extra` fields appended), written when writing:
   * `status: "interrupted"` when the signal was aborted, else `"finished"`.
   */
  finish(envSteps: number, extra: object = {}): RunSummary {
    return this.recorder.finish({
      envSteps,
      backend: tf.getBackend(),
      tfjs: tf.version_core,
      ...extra,
    });
  }
}
