/**
 * The model-based RL loop: random warm-up, then MPC episodes that add every real transition to
 * the buffer, periodic model refits, and periodic evaluation episodes (true env return, no data
 * added, not counted in `envSteps`). Every run writes a run folder (`config.json`,
 * `metrics.jsonl`, `summary.json`) through {@linkcode RunWriter}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../backend.ts";
import { evaluationCannotSolve, makeEnv } from "../envs/registry.ts";
import {
  createRunFolder,
  type MetricsRow,
  type RunSummary,
  type RunWriter,
} from "../run_folder.ts";
import type { EnvAction } from "../planners/mod.ts";
import type { BaseDynamicsModel, DynamicsModel } from "../models/mod.ts";
import { Rng } from "../rng.ts";
import { mean } from "../stats.ts";
import { type MbrlConfig, type MbrlConfigInput, resolveMbrlConfig } from "./mbrl_config.ts";
import { ModelBasedRLAgent, type ModelTrainReport } from "./mbrl_agent.ts";
import { evaluatePlannerInWaves } from "./policy_eval.ts";
import { RunRecorder } from "./run_recorder.ts";

/** Where and how a run is recorded and observed: everything that is not configuration. */
export interface MbrlRunOptions {
  /** Folder under which the run folder is created. @default {"data/runs"} */
  outDir?: string;
  /**
   * Name of the run folder; an existing one is refused unless `overwrite`.
   * @default {makeRunId("mbrl", seed), made unique with -2, -3, ... on a collision}
   */
  runId?: string;
  /** Replace an existing `runId` folder (that holds a run) instead of refusing. @default {false} */
  overwrite?: boolean;
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
  /**
   * A ready model to plan with instead of learning one: the control experiment with the
   * env's own physics (`new TrueDynamicsModel({ env: makeEnv(envId) })`), which separates
   * what the planner and objective can do from what the learned model costs. `config.model`
   * is then unused, the summary's `modelType` reads `"given"`, and planning stays on the main
   * thread (`planner.workers` must be 0: workers load a saved learned model).
   */
  dynamicsModel?: DynamicsModel;
  /**
   * Wraps the model the loop learns (the agent's `wrapModel`): the control experiment that
   * plans on the true physics with the learned ensemble's disagreement (`TrueMeanModel`), so
   * exploration, refits and the value run as usual with exact imagined steps. The summary's
   * `modelType` reads `"<type> (wrapped)"`; `planner.workers` must be 0, as with
   * `dynamicsModel`.
   */
  wrapModel?: (learned: BaseDynamicsModel) => DynamicsModel;
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
  const given = run.dynamicsModel !== undefined || run.wrapModel !== undefined;
  if (given && resolved.planner.workers !== 0) {
    throw new RangeError(
      `Expected planner.workers 0 with a given or wrapped dynamics model but found ${resolved.planner.workers}`,
    );
  }
  const agent = new ModelBasedRLAgent(resolved, {
    rng: root.stream("agent"),
    dynamicsModel: run.dynamicsModel,
    wrapModel: run.wrapModel,
  });
  const planner = resolved.planner;
  // The planning set-up, flat, for readers of summary.json that predate `config`.
  const planSetup = {
    modelType: run.dynamicsModel !== undefined
      ? "given"
      : run.wrapModel !== undefined
      ? `${resolved.model.type} (wrapped)`
      : resolved.model.type,
    mpcType: planner.type,
    horizon: planner.horizon,
    numSamples: planner.numSamples,
    actionMode: planner.actionMode,
    objective: resolved.objective,
  };
  let writer: RunWriter;
  try {
    writer = createRunFolder(outDir, {
      method: "mbrl",
      envId,
      seed,
      config: resolved,
      backend: backendInfo,
    }, { method: "mbrl", seed, runId: run.runId, overwrite: run.overwrite });
  } catch (error) {
    agent.dispose();
    throw error;
  }
  const history: MetricsRow[] = [];
  const recorder = new RunRecorder({
    envId,
    method: "mbrl",
    seed,
    evalEpisodes,
    writer,
    stopWhenSolved,
    signal: run.signal,
    startedAt: started,
    onRow: (row) => {
      history.push(row);
      run.onProgress?.(row);
    },
  });
  const env = makeEnv(envId, { rng: root.stream("env") });
  // One env copy per evaluation episode, stepped in lockstep; one stream seeds every
  // evaluation's resets and per-episode planner noise.
  const evalEnvs = Array.from({ length: evalEpisodes }, () => makeEnv(envId));
  const evalRng = root.stream("eval");

  let envSteps = 0;
  let lastFit: ModelTrainReport | null = null;
  let lastReturn: number | null = null;
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
      episode: recorder.episodes,
      lastReturn,
      modelLoss: lastFit?.valLoss ?? null,
      planMs,
      lastEvalMean: recorder.finalEvalMean,
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
    // Planning workers hold a copy of the weights: refresh it (nothing to do without workers).
    await agent.planner.syncWeights();
  };
  /** One evaluation; returns whether it solved the env (undefined when interrupted). */
  const evaluate = async (full: boolean): Promise<boolean | undefined> => {
    status("eval", null, { evalEpisode: 0, evalEpisodes, evalMean: null });
    addPlanStats(); // the evaluation discards the planner's open statistics window
    // With the early stop on, a small first wave (`eval.firstWave`) runs before the rest: a
    // weak controller is usually refused after it, which a single 10-episode lockstep batch
    // would only notice once those episodes end, having planned for all ten meanwhile.
    const earlyStop = evalConfig.earlyStop && !full;
    const outcome = await evaluatePlannerInWaves(agent.planner, evalEnvs, {
      rng: evalRng,
      firstWave: earlyStop ? evalConfig.firstWave : 0,
      stopWhen: earlyStop
        ? (finished, episodes) => evaluationCannotSolve(envId, finished, episodes)
        : undefined,
      onEpisode: (_episode, _return, finished) =>
        status("eval", agent.planner.lastStats?.ms ?? null, {
          evalEpisode: finished.length,
          evalEpisodes,
          evalMean: mean(finished),
        }),
      checkpoint: () => recorder.checkpoint(),
    });
    if (outcome === null) return undefined;
    evalSeconds += outcome.seconds;
    if (outcome.planSteps > 0) {
      evalPlanMsSum += outcome.planMs * outcome.planSteps;
      evalPlanSteps += outcome.planSteps;
    }
    return recorder.evaluation({
      envSteps,
      returns: outcome.returns,
      evalReturns: outcome.returns,
      evalStoppedEarly: outcome.stoppedEarly,
      planMsMean: outcome.planMs,
      evalSeconds: outcome.seconds,
    }).solved;
  };

  try {
    let obs = env.reset().observation;
    agent.reset();
    let epReturn = 0;
    let epLength = 0;
    status("warmup");
    while (envSteps < maxSteps) {
      if (await recorder.checkpoint()) break;
      const planning = envSteps >= warmupSteps && agent.ready;
      // Training steps explore (the objective's bonus, when on); evaluations never do.
      const action: EnvAction = planning ? agent.act(obs, { explore: true }) : agent.randomAction();
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
        recorder.episode({
          envSteps,
          return: epReturn,
          length: epLength,
          policy: plan.steps > 0 ? "mpc" : "random",
          modelLoss: fitNow?.trainLoss ?? null,
          modelValLoss: fitNow?.valLoss ?? null,
          valueLoss: fitNow?.value?.loss ?? null,
          planMsMean: plan.steps > 0 ? plan.msMean : null,
          plannedReturnMean: plan.steps > 0 ? plan.plannedReturnMean : null,
          modelEvaluations: plan.modelEvaluations,
          wallSeconds: recorder.wallSeconds,
        });
        lastReturn = epReturn;
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
        // At the last step this is the final evaluation: full, so that no second evaluation
        // at the same step count gets another chance to solve.
        await evaluate(envSteps >= maxSteps);
      }
    }
    addPlanStats();
    // A final full evaluation unless the last one was full and at the final step count.
    const last = history.at(-1);
    const lastWasFullEval = last?.kind === "eval" && last.envSteps === envSteps &&
      (last.evalEpisodes === evalEpisodes);
    if (!recorder.interrupted && !lastWasFullEval && agent.ready) await evaluate(true);
  } catch (error) {
    agent.dispose();
    throw error;
  }
  const summary = recorder.finish({
    envSteps,
    backend: backendInfo.backend,
    tfjs: tf.version_core,
    evalEvery,
    ...planSetup,
    planMsMean: planSteps > 0 ? planMsSum / planSteps : null,
    evalPlanMsMean: evalPlanSteps > 0 ? evalPlanMsSum / evalPlanSteps : null,
    trainSeconds,
    evalSeconds,
    runDir: writer.dir,
    config: resolved,
  });
  return { agent, config: resolved, history, summary, runDir: writer.dir };
}
