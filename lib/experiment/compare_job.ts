/**
 * Runs one (method, seed) job of the comparison harness in the current thread: sets up the
 * tfjs backend, trains the method with its published defaults and the job's budget, and
 * returns what `comparison.json` needs. `compare_worker.ts` calls it inside a Worker.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../backend.ts";
import { trainDQN } from "../agents/dqn.ts";
import { trainPPO } from "../agents/ppo.ts";
import type { BaselineProgress } from "../agents/policy_eval.ts";
import type { CompareJob, JobProgress, JobResult } from "./compare.ts";

/** The fields of a run summary the harness reads. */
interface SummaryLike {
  stepsToSolve: number | null;
  envSteps: number;
  wallSeconds: number;
}

/**
 * Env steps between evaluations of the model-free baselines: four DQN training rounds
 * (`trainFreq` 256) or four PPO rollouts (8 x 32), so every evaluation sees a new policy.
 */
const MF_EVAL_EVERY = 1024;

/**
 * Runs `job` and reports progress after each evaluation.
 *
 * @example
 * ```ts
 * const result = await runJob({ method: "ppo", seed: 0, envId: "CartPole-v1", budget: 2048,
 *   outDir: "/tmp/cmp", runId: "ppo_s0", threshold: 475, quick: true }, console.log);
 * ```
 */
export async function runJob(
  job: CompareJob,
  onProgress: (progress: JobProgress) => void,
): Promise<JobResult> {
  const info = await setupBackend();
  const started = performance.now();
  const report = (p: BaselineProgress): void =>
    onProgress({
      method: job.method,
      seed: job.seed,
      envSteps: p.envSteps,
      budget: job.budget,
      lastEvalMean: p.lastEvalMean,
    });
  const common = {
    envName: "CartPole-v1" as const,
    seed: job.seed,
    maxSteps: job.budget,
    evalEpisodes: 10,
    solvedThreshold: job.threshold,
    stopWhenSolved: true,
    outDir: job.outDir,
    runId: job.runId,
    onProgress: report,
  };
  const evalEvery = MF_EVAL_EVERY;
  let summary: SummaryLike;
  if (job.method === "dqn") summary = await trainDQN({ ...common, evalEvery });
  else if (job.method === "ppo") summary = await trainPPO({ ...common, evalEvery });
  else summary = await runMbrl(job, report);
  return {
    method: job.method,
    seed: job.seed,
    stepsToSolve: summary.stepsToSolve,
    solved: summary.stepsToSolve !== null,
    wallSeconds: summary.wallSeconds ?? (performance.now() - started) / 1000,
    envSteps: summary.envSteps,
    runDir: job.runId,
    backend: info.backend + (info.simd ? "+simd" : ""),
    tfjs: tf.version_core,
  };
}

/** The model-based loop with its own defaults (which solve CartPole-v1) and the job's budget. */
async function runMbrl(
  job: CompareJob,
  report: (p: BaselineProgress) => void,
): Promise<SummaryLike> {
  // Imported when needed, so the baselines' workers never load the model-based stack.
  const { trainModelBasedRL } = await import("../agents/mbrl_loop.ts");
  let episodes = 0;
  const { summary, agent } = await trainModelBasedRL({
    envName: "CartPole-v1",
    seed: job.seed,
    maxSteps: job.budget,
    stopWhenSolved: true,
    outDir: job.outDir,
    runId: job.runId,
    onProgress: (row) => {
      if (row.kind === "episode") episodes += 1;
      else {
        report({
          envSteps: row.envSteps,
          maxSteps: job.budget,
          episodes,
          lastEvalMean: row.evalReturnMean,
        });
      }
    },
  });
  agent.dispose();
  return summary;
}
