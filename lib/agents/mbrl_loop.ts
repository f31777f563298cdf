/**
 * The model-based RL loop: random warm-up, then MPC episodes that add every real transition to
 * the buffer, periodic model refits, and periodic evaluation episodes (true env return, no data
 * added, not counted in `envSteps`). Every run writes a run folder (`config.json`,
 * `metrics.jsonl`, `summary.json`) through {@linkcode RunWriter}.
 *
 * @module
 */
import { setupBackend } from "../backend.ts";
import { evaluationCannotSolve, evaluationSolves, makeEnv } from "../envs/registry.ts";
import type { Env } from "../envs/types.ts";
import {
  type EpisodeRow,
  type EvalRow,
  makeRunId,
  type MetricsRow,
  runDirIn,
  type RunSummary,
  RunWriter,
} from "../run_folder.ts";
import type { EnvAction } from "../planners/mod.ts";
import { Rng } from "../rng.ts";
import { type MbrlConfig, type MbrlConfigInput, resolveMbrlConfig } from "./mbrl_config.ts";
import { ModelBasedRLAgent, type ModelTrainReport } from "./mbrl_agent.ts";

/** Where and how a run is recorded and observed: everything that is not configuration. */
export interface MbrlRunOptions {
  /** Folder under which the run folder is created. @default {"data/runs"} */
  outDir?: string;
  /** Name of the run folder. @default {makeRunId("mbrl", seed)} */
  runId?: string;
  /** tfjs backend. @default {the MBRL_BACKEND variable, else "wasm"} */
  backend?: "wasm" | "cpu";
  /**
   * Aborting it stops the run at the next step: the summary is written with
   * `status: "interrupted"` and the counts so far, and the promise resolves normally.
   */
  signal?: AbortSignal;
  /** Called with every metrics row as it is written. */
  onProgress?: (row: MetricsRow) => void;
  /** Called now and then with the loop's state (for progress displays). */
  onStatus?: (status: MbrlStatus) => void;
}

/** A snapshot for progress displays. */
export interface MbrlStatus {
  /** What the loop is doing. */
  phase: "warmup" | "train" | "fit" | "eval";
  /** Real env steps so far (evaluations excluded). */
  envSteps: number;
  /** The budget. */
  maxSteps: number;
  /** Training episodes finished. */
  episode: number;
  /** Return of the last training episode, or null. */
  lastReturn: number | null;
  /** Best validation loss of the last refit, or null before the first. */
  modelLoss: number | null;
  /** Wall time of the last planning step, ms, or null. */
  planMs: number | null;
  /** During an evaluation: episodes finished so far. */
  evalEpisode?: number;
  /** During an evaluation: episodes it will run. */
  evalEpisodes?: number;
  /** During an evaluation: mean return of the episodes finished so far (null before one). */
  evalMean?: number | null;
  /** The mean of the last finished evaluation, or null before the first. */
  lastEvalMean: number | null;
}

/** What {@linkcode trainModelBasedRL} returns. */
export interface MbrlResult {
  /** The trained agent (call `dispose()` when done). */
  agent: ModelBasedRLAgent;
  /** The resolved configuration the run used (as in `config.json`). */
  config: MbrlConfig;
  /** Every metrics row, in order. */
  history: MetricsRow[];
  /** The summary written to `summary.json`. */
  summary: RunSummary;
  /** The run folder. */
  runDir: string;
}

/** Result of one evaluation. */
interface EvalOutcome {
  returns: number[];
  mean: number;
  std: number;
  stoppedEarly: boolean;
  planMs: number;
  planSteps: number;
  seconds: number;
}

/**
 * Runs `episodes` evaluation episodes with the agent's planner on `env` (its own reset
 * stream), returning true env returns. With `stopWhen`, stops as soon as it says the
 * remaining episodes cannot change the outcome.
 */
function evaluateAgent(
  agent: ModelBasedRLAgent,
  env: Env,
  options: {
    episodes: number;
    stopWhen?: (returns: readonly number[]) => boolean;
    onEpisode?: (returns: readonly number[], planMs: number) => void;
  },
): EvalOutcome {
  const start = performance.now();
  const returns: number[] = [];
  let stoppedEarly = false;
  agent.planner.takeStats(); // close the training window
  for (let e = 0; e < options.episodes; e++) {
    agent.reset();
    let obs = env.reset().observation;
    let ret = 0;
    for (;;) {
      const step = env.step(agent.act(obs));
      ret += step.reward;
      obs = step.observation;
      if (step.terminated || step.truncated) break;
    }
    returns.push(ret);
    options.onEpisode?.(returns, agent.planner.lastStats?.ms ?? NaN);
    if (e < options.episodes - 1 && options.stopWhen?.(returns)) {
      stoppedEarly = true;
      break;
    }
  }
  agent.reset();
  const plan = agent.planner.takeStats();
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length);
  return {
    returns,
    mean,
    std,
    stoppedEarly,
    planMs: plan.msMean,
    planSteps: plan.steps,
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * Trains a model-based agent with the configuration `config` resolves to (the env's preset
 * plus the fields given; see {@linkcode resolveMbrlConfig}) and writes `outDir/<runId>/`:
 * `config.json` (the resolved configuration), `metrics.jsonl`, `summary.json`.
 *
 * @example
 * ```ts
 * const { summary, agent } = await trainModelBasedRL(
 *   { envId: "CartPole-v1", seed: 0, loop: { maxSteps: 300 } },
 *   { outDir: "data/tmp/runs" },
 * );
 * console.log(summary.stepsToSolve);
 * agent.dispose();
 * ```
 * @throws {TypeError|RangeError} on a bad configuration (before anything is written).
 */
export async function trainModelBasedRL(
  config: MbrlConfigInput = {},
  run: MbrlRunOptions = {},
): Promise<MbrlResult> {
  const started = performance.now();
  const resolved = resolveMbrlConfig(config);
  const { envId, seed, loop, eval: evalConfig } = resolved;
  const { maxSteps, warmupSteps, retrainEvery, retrainAtEpisodeEnd, stopWhenSolved } = loop;
  const evalEvery = evalConfig.every;
  const evalEpisodes = evalConfig.episodes;
  const outDir = run.outDir ?? "data/runs";
  const backendInfo = await setupBackend(run.backend ? { backend: run.backend } : {});
  const root = new Rng(seed);
  const agent = new ModelBasedRLAgent(resolved, { rng: root.stream("agent") });
  const planner = resolved.planner;
  // The planning set-up, flat, for readers of summary.json that predate `config`.
  const planSetup = {
    modelType: resolved.model.type,
    mpcType: planner.type,
    horizon: planner.horizon,
    numSamples: planner.numSamples,
    actionMode: planner.actionMode,
    objective: resolved.objective,
  };
  let writer: RunWriter;
  try {
    writer = RunWriter.create(runDirIn(outDir, run.runId ?? makeRunId("mbrl", seed)), {
      method: "mbrl",
      envId,
      seed,
      config: resolved,
      backend: backendInfo,
    });
  } catch (error) {
    agent.dispose();
    throw error;
  }
  const history: MetricsRow[] = [];
  const emit = (row: MetricsRow) => {
    writer.append(row);
    history.push(row);
    run.onProgress?.(row);
  };
  const env = makeEnv(envId, { rng: root.stream("env") });
  const evalEnv = makeEnv(envId, { rng: root.stream("eval-env") });

  let envSteps = 0;
  let episode = 0;
  let lastFit: ModelTrainReport | null = null;
  let lastReturn: number | null = null;
  let lastEval: EvalOutcome | null = null;
  let stepsToSolve: number | null = null;
  let trainSeconds = 0;
  let evalSeconds = 0;
  let planMsSum = 0;
  let planSteps = 0;
  let evalPlanMsSum = 0;
  let evalPlanSteps = 0;
  const status = (
    phase: MbrlStatus["phase"],
    planMs: number | null = null,
    evaluation: Pick<MbrlStatus, "evalEpisode" | "evalEpisodes" | "evalMean"> = {},
  ) =>
    run.onStatus?.({
      phase,
      envSteps,
      maxSteps,
      episode,
      lastReturn,
      modelLoss: lastFit?.valLoss ?? null,
      planMs,
      lastEvalMean: lastEval?.mean ?? null,
      ...evaluation,
    });
  const addPlanStats = () => {
    const plan = agent.planner.takeStats();
    if (plan.steps > 0) {
      planMsSum += plan.msMean * plan.steps;
      planSteps += plan.steps;
    }
    return plan;
  };

  const fit = async () => {
    status("fit");
    lastFit = await agent.trainModel();
    trainSeconds += lastFit.seconds;
  };
  const evaluate = (full: boolean) => {
    status("eval", null, { evalEpisode: 0, evalEpisodes, evalMean: null });
    const outcome = evaluateAgent(agent, evalEnv, {
      episodes: evalEpisodes,
      stopWhen: evalConfig.earlyStop && !full
        ? (returns) => evaluationCannotSolve(envId, returns, evalEpisodes)
        : undefined,
      onEpisode: (returns, planMs) =>
        status("eval", planMs, {
          evalEpisode: returns.length,
          evalEpisodes,
          evalMean: returns.reduce((a, b) => a + b, 0) / returns.length,
        }),
    });
    evalSeconds += outcome.seconds;
    if (outcome.planSteps > 0) {
      evalPlanMsSum += outcome.planMs * outcome.planSteps;
      evalPlanSteps += outcome.planSteps;
    }
    lastEval = outcome;
    const row: EvalRow = {
      kind: "eval",
      envSteps,
      evalReturnMean: outcome.mean,
      evalReturnStd: outcome.std,
      evalEpisodes: outcome.returns.length,
      evalReturns: outcome.returns,
      evalStoppedEarly: outcome.stoppedEarly,
      planMsMean: outcome.planMs,
      evalSeconds: outcome.seconds,
      wallSeconds: (performance.now() - started) / 1000,
    };
    emit(row);
    const solved = evaluationSolves(envId, outcome.returns, evalEpisodes);
    if (solved && stepsToSolve === null) stepsToSolve = envSteps;
    return solved;
  };

  let interrupted = false;
  try {
    let obs = env.reset().observation;
    agent.reset();
    let epReturn = 0;
    let epLength = 0;
    let stop = false;
    status("warmup");
    while (!stop && envSteps < maxSteps) {
      if (run.signal?.aborted) {
        interrupted = true;
        break;
      }
      const planning = envSteps >= warmupSteps && agent.ready;
      const action: EnvAction = planning ? agent.act(obs) : agent.randomAction();
      const step = env.step(action);
      agent.observe({
        state: obs,
        action,
        nextState: step.observation,
        reward: step.reward,
        terminated: step.terminated,
        truncated: step.truncated,
      });
      envSteps++;
      epReturn += step.reward;
      epLength++;
      obs = step.observation;
      const done = step.terminated || step.truncated;
      if (planning && envSteps % 25 === 0) status("train", agent.planner.lastStats?.ms ?? null);
      // The buffer marks episode ends by flags only: a run that stops mid-episode is fine.
      if (done) {
        const plan = addPlanStats();
        if (retrainAtEpisodeEnd && envSteps >= warmupSteps) await fit();
        const fitNow = lastFit as ModelTrainReport | null;
        const row: EpisodeRow = {
          kind: "episode",
          episode,
          envSteps,
          return: epReturn,
          length: epLength,
          policy: plan.steps > 0 ? "mpc" : "random",
          modelLoss: fitNow?.trainLoss ?? null,
          modelValLoss: fitNow?.valLoss ?? null,
          planMsMean: plan.steps > 0 ? plan.msMean : null,
          plannedReturnMean: plan.steps > 0 ? plan.plannedReturnMean : null,
          modelEvaluations: plan.modelEvaluations,
          wallSeconds: (performance.now() - started) / 1000,
        };
        emit(row);
        lastReturn = epReturn;
        episode++;
        epReturn = 0;
        epLength = 0;
        obs = env.reset().observation;
        agent.reset();
        status("train", plan.steps > 0 ? plan.msMean : null);
      }
      const sinceWarmup = envSteps - warmupSteps;
      if (sinceWarmup >= 0 && sinceWarmup % retrainEvery === 0) await fit();
      if (sinceWarmup >= 0 && sinceWarmup % evalEvery === 0) {
        addPlanStats();
        const solved = evaluate(false);
        // The training episode continues after the evaluation with a cold planner.
        agent.reset();
        if (solved && stopWhenSolved) stop = true;
      }
    }
    addPlanStats();
    // A final full evaluation unless the last one was full and at the final step count.
    const last = history.at(-1);
    const lastWasFullEval = last?.kind === "eval" && last.envSteps === envSteps &&
      (last.evalEpisodes === evalEpisodes);
    if (!interrupted && !lastWasFullEval && agent.ready) evaluate(true);
  } catch (error) {
    agent.dispose();
    throw error;
  }
  const finalEval = lastEval as EvalOutcome | null;
  const summary: RunSummary = {
    envId,
    method: "mbrl",
    seed,
    status: interrupted ? "interrupted" : "finished",
    envSteps,
    solved: stepsToSolve !== null,
    stepsToSolve,
    evalEpisodes,
    evalEvery,
    finalEvalMean: finalEval?.mean ?? null,
    wallSeconds: (performance.now() - started) / 1000,
    backend: backendInfo.backend,
    episodes: episode,
    ...planSetup,
    planMsMean: planSteps > 0 ? planMsSum / planSteps : null,
    evalPlanMsMean: evalPlanSteps > 0 ? evalPlanMsSum / evalPlanSteps : null,
    trainSeconds,
    evalSeconds,
    runDir: writer.dir,
    config: resolved,
  };
  writer.writeSummary(summary);
  return { agent, config: resolved, history, summary, runDir: writer.dir };
}
