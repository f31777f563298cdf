/**
 * The bookkeeping the model-free baselines (DQN, PPO) share around their own training loops:
 * the common options and their defaults, the seeded evaluation environments, the run folder's
 * episode and evaluation rows, the solved check, progress reports and the run summary. Each
 * algorithm keeps its acting and learning in its own file.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { makeEnv } from "../envs/mod.ts";
import type { Env, EnvId } from "../envs/types.ts";
import { makeRunId, runDirIn, type RunSummary, RunWriter } from "../run_folder.ts";
import { Rng } from "../rng.ts";
import { type BaselineProgress, type BatchPolicy, evaluateBatched } from "./policy_eval.ts";

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
  /** Evaluation mean that counts as solved. @default {475} */
  solvedThreshold?: number;
  /** Stop at the first evaluation that reaches `solvedThreshold`. @default {true} */
  stopWhenSolved?: boolean;
  /** Parent folder of the run folder; no files are written when left out. */
  outDir?: string;
  /** The run folder's name under `outDir`. @default {makeRunId(method, seed)} */
  runId?: string;
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
 * evaluation environments and stream, the run folder writer, evaluation history and counts.
 *
 * @example
 * ```ts
 * const run = new BaselineRun("dqn", options, config);
 * run.episode(step, episodeReturn, episodeLength);
 * if (await run.evaluate(step, greedy, { lossMean })) break;
 * return run.finish(step, { gradientSteps });
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
  /** The run folder writer, or null when nothing is written. */
  readonly writer: RunWriter | null;
  /** Evaluation means, in order, with their env steps. */
  readonly evals: { envSteps: number; mean: number }[] = [];
  /** Training episodes finished so far. */
  episodes = 0;
  /** Env steps at the first solved evaluation, or null. */
  stepsToSolve: number | null = null;
  #method: string;
  #threshold: number;
  #stopWhenSolved: boolean;
  #onProgress: ((progress: BaselineProgress) => void) | undefined;
  #evalEnvs: Env[];
  #evalRng: Rng;
  #started = performance.now();

  /**
   * Resolves the shared defaults and opens the run folder (its config records `config`).
   * Call after validating the options.
   */
  constructor(method: string, options: BaselineRunOptions & { config: object }) {
    this.#method = method;
    this.envName = options.envName ?? "CartPole-v1";
    this.seed = options.seed;
    this.maxSteps = options.maxSteps ?? 100_000;
    this.evalEvery = options.evalEvery ?? 1024;
    this.evalEpisodes = options.evalEpisodes ?? 10;
    this.#threshold = options.solvedThreshold ?? 475;
    this.#stopWhenSolved = options.stopWhenSolved ?? true;
    this.#onProgress = options.onProgress;
    this.root = new Rng(this.seed);
    this.#evalEnvs = Array.from({ length: this.evalEpisodes }, () => makeEnv(this.envName));
    this.#evalRng = this.root.stream("eval");
    const { envName, seed, maxSteps, evalEvery, evalEpisodes } = this;
    this.writer = options.outDir === undefined ? null : RunWriter.create(
      runDirIn(options.outDir, options.runId ?? makeRunId(method, seed)),
      {
        method,
        envId: envName,
        seed,
        maxSteps,
        evalEvery,
        evalEpisodes,
        threshold: this.#threshold,
        config: options.config,
      },
    );
  }

  /** Counts a finished training episode and writes its row (`extra` fields appended). */
  episode(envSteps: number, episodeReturn: number, length: number, extra: object = {}): void {
    this.episodes += 1;
    this.writer?.append({
      kind: "episode",
      episode: this.episodes,
      envSteps,
      return: episodeReturn,
      length,
      ...extra,
    });
  }

  /**
   * Evaluates `greedy` on the evaluation envs, records and reports the result (`extra` fields
   * appended to the row), then yields to the event loop. Returns true when the run should
   * stop (solved and `stopWhenSolved`).
   */
  async evaluate(envSteps: number, greedy: BatchPolicy, extra: object = {}): Promise<boolean> {
    const evaluation = evaluateBatched(this.#evalEnvs, greedy, this.#evalRng);
    this.evals.push({ envSteps, mean: evaluation.mean });
    this.writer?.append({
      kind: "eval",
      envSteps,
      evalReturnMean: evaluation.mean,
      evalReturnStd: evaluation.std,
      evalEpisodes: this.evalEpisodes,
      wallSeconds: this.#wallSeconds(),
      ...extra,
    });
    this.#onProgress?.({
      envSteps,
      maxSteps: this.maxSteps,
      episodes: this.episodes,
      lastEvalMean: evaluation.mean,
    });
    let stop = false;
    if (evaluation.mean >= this.#threshold && this.stepsToSolve === null) {
      this.stepsToSolve = envSteps;
      stop = this.#stopWhenSolved;
    }
    if (!stop) {
      // Let the event loop breathe (worker messages, progress output).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return stop;
  }

  /** The run summary after `envSteps` steps (`extra` fields appended), written when writing. */
  finish(envSteps: number, extra: object = {}): RunSummary {
    const summary: RunSummary = {
      envId: this.envName,
      method: this.#method,
      seed: this.seed,
      envSteps,
      solved: this.stepsToSolve !== null,
      stepsToSolve: this.stepsToSolve,
      finalEvalMean: this.evals.at(-1)?.mean ?? null,
      wallSeconds: this.#wallSeconds(),
      backend: tf.getBackend(),
      tfjs: tf.version_core,
      episodes: this.episodes,
      ...extra,
    };
    this.writer?.writeSummary(summary);
    return summary;
  }

  #wallSeconds(): number {
    return (performance.now() - this.#started) / 1000;
  }
}
