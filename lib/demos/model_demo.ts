/**
 * Turning the library's model evaluations and planner statistics into tidy rows for figures,
 * and playing an episode with an MPC planner while recording its statistics.
 *
 * @module
 */
import type { Env } from "../envs/types.ts";
import type { ModelEvaluation } from "../models/evaluate_model.ts";
import type { MpcPlanner, PlanStats } from "../planners/mpc.ts";
import { type EpisodeRecord, playEpisode } from "./episode.ts";

/** What {@linkcode evaluationRows} returns. */
export interface EvaluationRows {
  /** Open-loop rollout MSE (state space, mean over dimensions) at k = 1..H. */
  rollout: { model: string; horizon: number; error: number }[];
  /** Observed coverage of mean ± 1 and 2 std per dimension (empty without a predicted std). */
  calibration: { model: string; expected: number; observed: number; dim: string }[];
}

/**
 * Rows for `rolloutErrorVsHorizon` and `calibration` from an `evaluateModel` report.
 *
 * @example
 * ```ts
 * const rows = evaluationRows("ensemble", evaluateModel(model, heldOut), ["x", "v"]);
 * ```
 */
export function evaluationRows(
  model: string,
  evaluation: ModelEvaluation,
  dimNames: readonly string[],
): EvaluationRows {
  const rollout = evaluation.rolloutMse.map((error, k) => ({ model, horizon: k + 1, error }));
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
}

/**
 * Plays one episode choosing every action with `planner` (reset first, so no warm start
 * carries over) and returns the episode and each step's planning statistics.
 *
 * @example
 * ```ts
 * const { episode, stats } = planEpisode(makeEnv("CartPole-v1"), planner, { maxSteps: 200 });
 * ```
 */
export function planEpisode(
  env: Env,
  planner: MpcPlanner,
  options: PlanEpisodeOptions = {},
): { episode: EpisodeRecord; stats: PlanStats[] } {
  const { seed = 0, maxSteps, onStep } = options;
  planner.reset();
  const stats: PlanStats[] = [];
  const episode = playEpisode(env, (observation, step) => {
    const action = planner.getAction(observation);
    const last = planner.lastStats!;
    stats.push(last);
    onStep?.(step, last);
    return typeof action === "number" ? action : Array.from(action);
  }, { seed, maxSteps });
  return { episode, stats };
}
