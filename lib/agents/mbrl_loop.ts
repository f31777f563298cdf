/**
 * The model-based RL loop: random warm-up, then MPC episodes that add every real transition to
 * the buffer, periodic model refits, and periodic evaluation episodes (true env return, no data
 * added, not counted in `envSteps`). Every run writes a run folder (`config.json`,
 * `metrics.jsonl`, `summary.json`) through {@linkcode RunWriter}.
 *
 * @module
 */
import { setupBackend } from "../backend.ts";
import { ENV_IDS, envMetadata, isEnvId, makeEnv } from "../envs/registry.ts";
import type { Env, EnvId } from "../envs/types.ts";
import {
  type EpisodeRow,
  type EvalRow,
  makeRunId,
  type MetricsRow,
  runDirIn,
  type RunSummary,
  RunWriter,
} from "../run_folder.ts";
import type { DynamicsModelType } from "../models/mod.ts";
import type { ActionMode, EnvAction } from "../planners/mod.ts";
import { Rng } from "../rng.ts";
import {
  ModelBasedRLAgent,
  type ModelBasedRLAgentOptions,
  type ModelTrainReport,
  type MpcType,
} from "./mbrl_agent.ts";

/** Options of {@linkcode trainModelBasedRL}; every field has a default that solves CartPole-v1. */
export interface TrainModelBasedRLOptions {
  /** Environment id. @default {"CartPole-v1"} */
  envName?: EnvId;
  /** Seed of everything (env resets, model init, buffer, planner noise). @default {0} */
  seed?: number;
  /** Budget of real environment steps, warm-up included. @default {1000} */
  maxSteps?: number;
  /** Most training episodes (warm-up episodes included). @default {500} */
  numEpisodes?: number;
  /** Random-action steps before the first model fit. @default {200} */
  warmupSteps?: number;
  /** Refit the model every this many real steps after warm-up. @default {100} */
  retrainEvery?: number;
  /** Also refit at the end of every episode. @default {false} */
  retrainAtEpisodeEnd?: boolean;
  /** Evaluate every this many real steps after warm-up (and right after it). @default {100} */
  evalEvery?: number;
  /** Episodes per evaluation. @default {10} */
  evalEpisodes?: number;
  /**
   * Stop an evaluation as soon as its mean can no longer reach the env's threshold (every
   * remaining episode scoring the maximum would not suffice). Exact for the solved decision;
   * the row then records fewer `evalEpisodes`. @default {true}
   */
  evalEarlyStop?: boolean;
  /** Stop at the first evaluation whose mean reaches the env's threshold. @default {true} */
  stopWhenSolved?: boolean;
  /** Dynamics model family. @default {"deterministic"} */
  modelType?: DynamicsModelType;
  /** Planner. @default {"random_shooting"} */
  mpcType?: MpcType;
  /** Planning horizon. @default {15} */
  horizon?: number;
  /** Sequences per optimiser iteration. @default {500} */
  numSamples?: number;
  /** Plan action indices (`"discrete"`) or a continuous u (`"continuous"`). @default {"discrete"} */
  actionMode?: ActionMode;
  /** Use the env's default shaping term in the planning objective. @default {true} */
  shaping?: boolean;
  /** More agent settings (model size, learning rate, CEM/MPPI knobs, particles, ...). */
  agent?: Partial<ModelBasedRLAgentOptions>;
  /** Folder under which the run folder is created. @default {"data/runs"} */
  outDir?: string;
  /** Name of the run folder. @default {makeRunId("mbrl", seed)} */
  runId?: string;
  /** tfjs backend. @default {the MBRL_BACKEND variable, else "wasm"} */
  backend?: "wasm" | "cpu";
  /** Called with every metrics row as it is written. */
  onProgress?: (row: MetricsRow) => void;
  /** Called now and then with the loop's state (for progress bars). */
  onStatus?: (status: MbrlStatus) => void;
}

/** A snapshot for progress displays. */
export interface MbrlStatus {
  phase: "warmup" | "train" | "fit" | "eval";
  envSteps: number;
  maxSteps: number;
  episode: number;
  lastReturn: number | null;
  modelLoss: number | null;
  planMs: number | null;
}

/** What {@linkcode trainModelBasedRL} returns. */
export interface MbrlResult {
  /** The trained agent (call `dispose()` when done). */
  agent: ModelBasedRLAgent;
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
 * stream), returning true env returns. With `stopBelow`, stops once even maximal remaining
 * episodes could not lift the mean to `stopBelow.threshold`.
 */
function evaluateAgent(
  agent: ModelBasedRLAgent,
  env: Env,
  options: {
    episodes: number;
    stopBelow?: { threshold: number; maxReturn: number };
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
    const stop = options.stopBelow;
    if (stop !== undefined && e < options.episodes - 1) {
      const sum = returns.reduce((a, b) => a + b, 0);
      const best = (sum + stop.maxReturn * (options.episodes - returns.length)) / options.episodes;
      if (best < stop.threshold) {
        stoppedEarly = true;
        break;
      }
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

function assertCount(value: number, name: string, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(
      `Expected ${name} to be a ${
        allowZero ? "non-negative" : "positive"
      } integer but found ${value}`,
    );
  }
}

/**
 * Trains a model-based agent on `envName` and writes `outDir/<runId>/`.
 *
 * @example
 * ```ts
 * const { summary, agent } = await trainModelBasedRL({ envName: "CartPole-v1", seed: 0 });
 * console.log(summary.stepsToSolve);
 * agent.dispose();
 * ```
 * @throws {RangeError} on bad options (before anything is written).
 */
export async function trainModelBasedRL(
  options: TrainModelBasedRLOptions = {},
): Promise<MbrlResult> {
  const started = performance.now();
  const {
    envName = "CartPole-v1",
    seed = 0,
    maxSteps = 1000,
    numEpisodes = 500,
    warmupSteps = 200,
    retrainEvery = 100,
    retrainAtEpisodeEnd = false,
    evalEvery = 100,
    evalEpisodes = 10,
    evalEarlyStop = true,
    stopWhenSolved = true,
    modelType = "deterministic",
    mpcType = "random_shooting",
    horizon = 15,
    numSamples = 500,
    actionMode = "discrete",
    shaping = true,
    outDir = "data/runs",
  } = options;
  if (!isEnvId(envName)) {
    throw new RangeError(
      `Expected envName to be one of ${ENV_IDS.join(", ")} but found "${envName}"`,
    );
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Expected seed to be an integer but found ${seed}`);
  }
  assertCount(maxSteps, "maxSteps");
  assertCount(numEpisodes, "numEpisodes");
  assertCount(warmupSteps, "warmupSteps");
  assertCount(retrainEvery, "retrainEvery");
  assertCount(evalEvery, "evalEvery");
  assertCount(evalEpisodes, "evalEpisodes");
  const meta = envMetadata(envName);
  const threshold = meta.rewardThreshold;
  // Early stopping of an evaluation needs the most an episode can return: known for CartPole
  // (1 per step up to the TimeLimit).
  const maxReturn = envName === "CartPole-v1" ? meta.maxEpisodeSteps : undefined;
  const backendInfo = await setupBackend(options.backend ? { backend: options.backend } : {});
  const root = new Rng(seed);
  const agentOptions: ModelBasedRLAgentOptions = {
    stateDim: meta.observationDim,
    actionDim: meta.actionDim,
    envId: envName,
    modelType,
    mpcType,
    horizon,
    numSamples,
    actionMode: meta.actionSpace.kind === "discrete" ? actionMode : "continuous",
    ...options.agent,
    shaping: shaping ? options.agent?.shaping : null,
    rng: root.stream("agent"),
  };
  const agent = new ModelBasedRLAgent(agentOptions);
  // The planning set-up, recorded alike in config.json and summary.json.
  const planSetup = {
    modelType,
    mpcType,
    horizon,
    numSamples,
    actionMode: agentOptions.actionMode,
    shaping,
  };
  const config = {
    method: "mbrl",
    envId: envName,
    seed,
    maxSteps,
    numEpisodes,
    warmupSteps,
    retrainEvery,
    retrainAtEpisodeEnd,
    evalEvery,
    evalEpisodes,
    evalEarlyStop,
    stopWhenSolved,
    ...planSetup,
    agent: { ...options.agent, rng: undefined },
    backend: backendInfo,
  };
  const runId = options.runId ?? makeRunId("mbrl", seed);
  const writer = RunWriter.create(runDirIn(outDir, runId), config);
  const history: MetricsRow[] = [];
  const emit = (row: MetricsRow) => {
    writer.append(row);
    history.push(row);
    options.onProgress?.(row);
  };
  const env = makeEnv(envName, { rng: root.stream("env") });
  const evalEnv = makeEnv(envName, { rng: root.stream("eval-env") });

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
  const status = (phase: MbrlStatus["phase"], planMs: number | null = null) =>
    options.onStatus?.({
      phase,
      envSteps,
      maxSteps,
      episode,
      lastReturn,
      modelLoss: lastFit?.valLoss ?? null,
      planMs,
    });

  const fit = async () => {
    status("fit");
    lastFit = await agent.trainModel();
    trainSeconds += lastFit.seconds;
  };
  const evaluate = (full: boolean) => {
    status("eval");
    const outcome = evaluateAgent(agent, evalEnv, {
      episodes: evalEpisodes,
      stopBelow: evalEarlyStop && !full && threshold !== undefined && maxReturn !== undefined
        ? { threshold, maxReturn }
        : undefined,
      onEpisode: (_returns, planMs) => status("eval", planMs),
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
    const solved = threshold !== undefined && outcome.returns.length === evalEpisodes &&
      outcome.mean >= threshold;
    if (solved && stepsToSolve === null) stepsToSolve = envSteps;
    return solved;
  };

  try {
    let obs = env.reset().observation;
    agent.reset();
    let epReturn = 0;
    let epLength = 0;
    let stop = false;
    status("warmup");
    while (!stop && envSteps < maxSteps && episode < numEpisodes) {
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
        const plan = agent.planner.takeStats();
        if (plan.steps > 0) {
          planMsSum += plan.msMean * plan.steps;
          planSteps += plan.steps;
        }
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
        const plan = agent.planner.takeStats();
        if (plan.steps > 0) {
          planMsSum += plan.msMean * plan.steps;
          planSteps += plan.steps;
        }
        const solved = evaluate(false);
        // The training episode continues after the evaluation with a cold planner.
        agent.reset();
        if (solved && stopWhenSolved) stop = true;
      }
    }
    const plan = agent.planner.takeStats();
    if (plan.steps > 0) {
      planMsSum += plan.msMean * plan.steps;
      planSteps += plan.steps;
    }
    // A final full evaluation unless the last one was full and at the final step count.
    const last = history.at(-1);
    const lastWasFullEval = last?.kind === "eval" && last.envSteps === envSteps &&
      (last.evalEpisodes === evalEpisodes);
    if (!lastWasFullEval && agent.ready) evaluate(true);
  } catch (error) {
    agent.dispose();
    throw error;
  }
  const finalEval = lastEval as EvalOutcome | null;
  const summary: RunSummary = {
    envId: envName,
    method: "mbrl",
    seed,
    envSteps,
    solved: stepsToSolve !== null,
    stepsToSolve,
    // stepsToSolve is the CartPole definition only when this is 10.
    evalEpisodes,
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
  };
  writer.writeSummary(summary);
  return { agent, history, summary, runDir: writer.dir };
}
