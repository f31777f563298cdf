/**
 * Runs one (env, method, seed) job of the comparison harness in the current thread: sets up the
 * tfjs backend, trains the method with the env's own preset (the model-based loop's
 * `MBRL_PRESETS`, the baselines' Zoo presets) under the job's budget and the protocol's
 * evaluation schedule, and returns the run folder it wrote. `compare_worker.ts` calls it inside
 * a Worker; `deno task compare:job` calls it from the command line.
 *
 * @module
 */
import { join } from "node:path";
import { setupBackend } from "../backend.ts";
import type { BaselineProgress } from "../agents/policy_eval.ts";
import type { MbrlConfigInput } from "../agents/mbrl_config.ts";
import type { EnvId } from "../envs/types.ts";
import type { CompareJob, JobProgress } from "./compare.ts";
import { assertCompareEnv, assertMethodFor } from "./compare_protocol.ts";

/**
 * The model-based configuration a job runs: its overrides, with the env, seed, budget and
 * evaluation schedule of the job (which the overrides may not set).
 *
 * @example
 * ```ts
 * mbrlInputOf({ method: "mbrl", seed: 0, envId: "CartPole-v1", budget: 500, outDir: "/tmp",
 *   runId: "mbrl_s0", evalEvery: 100, evalEpisodes: 10 }).loop?.maxSteps; // 500
 * ```
 */
export function mbrlInputOf(job: CompareJob): MbrlConfigInput {
  const o = (job.mbrlConfig ?? {}) as MbrlConfigInput;
  return {
    ...o,
    envId: job.envId as EnvId,
    seed: job.seed,
    loop: { ...o.loop, maxSteps: job.budget, stopWhenSolved: true },
    eval: { ...o.eval, every: job.evalEvery, episodes: job.evalEpisodes },
  };
}

/**
 * Checks a job without running it, so settings that cannot work fail before any work: the
 * model-based configuration is resolved (a budget below the warm-up, unknown override fields),
 * and a PPO budget must hold at least one rollout of the env's Zoo preset.
 *
 * @example
 * ```ts
 * await checkJob({ method: "mbrl", seed: 0, envId: "CartPole-v1", budget: 500,
 *   outDir: "/tmp", runId: "mbrl_s0", evalEvery: 100, evalEpisodes: 10 });
 * ```
 * @throws {TypeError|RangeError} naming the method, e.g. `Expected ... (mbrl on CartPole-v1)`.
 */
export async function checkJob(job: CompareJob): Promise<void> {
  assertCompareEnv(job.envId);
  assertMethodFor(job.method, job.envId);
  if (job.method === "mbrl") {
    const { resolveMbrlConfig } = await import("../agents/mbrl_config.ts");
    try {
      resolveMbrlConfig(mbrlInputOf(job));
    } catch (error) {
      const where = ` (mbrl on ${job.envId})`;
      if (error instanceof TypeError) throw new TypeError(error.message + where);
      if (error instanceof RangeError) throw new RangeError(error.message + where);
      throw error;
    }
  } else if (job.method === "ppo") {
    const { PPO_ZOO_PRESETS, presetFor } = await import("../agents/zoo_presets.ts");
    const { numEnvs, nSteps } = presetFor(PPO_ZOO_PRESETS, "PPO", job.envId).config;
    if (job.budget < numEnvs * nSteps) {
      throw new RangeError(
        `Expected the ppo budget on ${job.envId} to be at least one rollout (numEnvs * nSteps ` +
          `= ${numEnvs} * ${nSteps} = ${numEnvs * nSteps}) but found ${job.budget}`,
      );
    }
  }
}

/**
 * Runs `job`, reports progress after each evaluation, and resolves with the run folder
 * (`job.outDir/job.runId`). Aborting `signal` ends the run early with `status: "interrupted"`
 * in its `summary.json` (which `aggregateRunFolders` then refuses by name).
 *
 * @example
 * ```ts
 * const dir = await runJob({ method: "ppo", seed: 0, envId: "CartPole-v1", budget: 2048,
 *   outDir: await Deno.makeTempDir(), runId: "ppo_s0", evalEvery: 1024, evalEpisodes: 10 },
 *   console.log);
 * ```
 * @throws {TypeError} for a method the env does not admit; whatever the trainer throws.
 */
export async function runJob(
  job: CompareJob,
  onProgress: (progress: JobProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  assertCompareEnv(job.envId);
  assertMethodFor(job.method, job.envId);
  const envName = job.envId;
  const dir = join(job.outDir, job.runId);
  await setupBackend();
  const report = (p: BaselineProgress): void =>
    onProgress({
      method: job.method,
      seed: job.seed,
      envSteps: p.envSteps,
      budget: job.budget,
      lastEvalMean: p.lastEvalMean,
    });
  const common = {
    envName,
    seed: job.seed,
    maxSteps: job.budget,
    evalEvery: job.evalEvery,
    evalEpisodes: job.evalEpisodes,
    stopWhenSolved: true,
    outDir: job.outDir,
    runId: job.runId,
    overwrite: job.overwrite === true,
    onProgress: report,
    ...(signal ? { signal } : {}),
  };
  // Imported when needed, so a worker loads only its own method's stack.
  if (job.method === "dqn") {
    const { trainDQN } = await import("../agents/dqn.ts");
    await trainDQN(common);
  } else if (job.method === "ppo") {
    const { trainPPO } = await import("../agents/ppo.ts");
    await trainPPO(common);
  } else if (job.method === "sac") {
    const { trainSAC } = await import("../agents/sac.ts");
    await trainSAC(common);
  } else {
    await runMbrl(job, report, signal);
  }
  return dir;
}

/** The model-based loop with the env's preset, the job's overrides, budget and schedule. */
async function runMbrl(
  job: CompareJob,
  report: (p: BaselineProgress) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { trainModelBasedRL } = await import("../agents/mbrl_loop.ts");
  let episodes = 0;
  const { agent } = await trainModelBasedRL(mbrlInputOf(job), {
    outDir: job.outDir,
    runId: job.runId,
    overwrite: job.overwrite === true,
    ...(signal ? { signal } : {}),
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
}
