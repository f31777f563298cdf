/**
 * Turning the library's model evaluations and planner statistics into tidy rows for figures,
 * and playing an episode with an MPC planner while recording its statistics.
 *
 * @module
 */
import type { Env } from "../envs/types.ts";
import type { ModelEvaluation, OpenLoopMetric } from "../models/evaluate_model.ts";
import type { MpcPlanner, PlanStats } from "../planners/mpc.ts";
import { type EpisodeRecord, playEpisode } from "./episode.ts";

/** What {@linkcode evaluationRows} returns. */
export interface EvaluationRows {
  /**
   * Open-loop rollout MSE (raw state units, mean over dimensions) at k = 1..H; `metric` is
   * always `"state-mse"` (see {@linkcode OpenLoopMetric}).
   */
  rollout: { model: string; horizon: number; error: number; metric: OpenLoopMetric }[];
  /** Observed coverage of mean ± 1 and 2 std per dimension (empty without a predicted std). */
  calibration: { model: string; expected: number; observed: number; dim: string }[];
}

/**
 * Rows for `rolloutErrorVsHorizon` and `calibration` from an `evaluateModel` report.
 *
 * @example
 * ```ts
 * import { evaluateModel, LinearDynamicsModel } from "../models/mod.ts";
 * const n = 30;
 * const states = Float32Array.from({ length: n }, (_, i) => i / n);
 * const heldOut = {
 *   size: n, stateDim: 1, actionDim: 1, states, nextStates: states.map((s) => s + 0.1),
 *   actions: new Float32Array(n), rewards: new Float32Array(n),
 *   terminated: new Uint8Array(n), truncated: new Uint8Array(n),
 * };
 * const model = new LinearDynamicsModel({ stateDim: 1, actionDim: 1 });
 * await model.train(heldOut);
 * const rows = evaluationRows("linear", evaluateModel(model, heldOut, { horizons: 3 }), ["x"]);
 * rows.rollout.length; // 3 rows, metric "state-mse"
 * ```
 */
export function evaluationRows(
  model: string,
  evaluation: ModelEvaluation,
  dimNames: readonly string[],
): EvaluationRows {
  const rollout = evaluation.rolloutMse.map((error, k) => ({
    model,
    horizon: k + 1,
    error,
    metric: "state-mse" as const,
  }));
  const c = evaluation.calibration;
  const calibration = c === undefined ? [] : dimNames.flatMap((dim, j) => [
    { model, expected: c.expected1Sigma, observed: c.within1Sigma[j]!, dim },
    { model, expected: c.expected2Sigma, observed: c.within2Sigma[j]!, dim },
  ]);
  return { rollout, calibration };
}

/** Options of {@linkcode planEpisode}. */
export interface PlanEpisodeOptions {
  /** Reset seed. @default {0} */
  seed?: number;
  /** Stop after this many steps. @default {the env's time limit} */
  maxSteps?: number;
  /** Called after each step with the step index and that step's planning statistics. */
  onStep?: (step: number, stats: PlanStats) => void;
  /** Plan with the exploration bonus, as in a training episode. @default {false} */
  explore?: boolean;
}

/**
 * What {@linkcode planEpisode} needs of a planner: an MPC planner, or any stand-in with
 * `getAction` (one without `reset` or `lastStats` is not reset and records no statistics).
 */
export type EpisodePlanner =
  & Pick<MpcPlanner, "getAction">
  & Partial<Pick<MpcPlanner, "reset" | "lastStats">>;

/**
 * Plays one episode choosing every action with `planner` (reset first, so no warm start
 * carries over) and returns the episode and each step's planning statistics.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/mod.ts";
 * import { RandomShootingMPC } from "../planners/mod.ts";
 * import { TrueDynamicsModel } from "../planners/true_dynamics_model.ts";
 * const env = makeEnv("CartPole-v1");
 * const planner = new RandomShootingMPC({
 *   dynamicsModel: new TrueDynamicsModel({ env: makeEnv("CartPole-v1") }),
 *   horizon: 5,
 *   numSamples: 50,
 *   envId: "CartPole-v1",
 *   actionSpace: env.actionSpace,
 * });
 * const { episode, stats } = planEpisode(env, planner, { maxSteps: 20 });
 * stats.length; // one entry per step played
 * ```
 */
export function planEpisode(
  env: Env,
  planner: EpisodePlanner,
  options: PlanEpisodeOptions = {},
): { episode: EpisodeRecord; stats: PlanStats[] } {
  const { seed = 0, maxSteps, onStep, explore = false } = options;
  planner.reset?.();
  const stats: PlanStats[] = [];
  const episode = playEpisode(env, (observation, step) => {
    const action = planner.getAction(observation, { explore });
    const last = planner.lastStats;
    if (last) {
      stats.push(last);
      onStep?.(step, last);
    }
    return typeof action === "number" ? action : Array.from(action);
  }, { seed, maxSteps });
  return { episode, stats };
}
