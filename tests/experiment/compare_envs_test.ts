import { assert, assertEquals } from "@std/assert";
import { ENV_IDS, envMetadata } from "../../lib/envs/registry.ts";
import type { EnvId } from "../../lib/envs/types.ts";
import { type CompareMethod, runComparison } from "../../lib/experiment/compare.ts";
import { readSummary } from "../../lib/run_folder.ts";
import { TINY_MBRL } from "./compare_helpers.ts";

/** Per env: the model-free methods to run beside mbrl, and their smallest useful budgets. */
const MODEL_FREE: Record<EnvId, Partial<Record<CompareMethod, number>>> = {
  "CartPole-v1": { dqn: 64, ppo: 256 },
  "Pendulum-v1": { sac: 64 },
  "MountainCar-v0": { dqn: 64 },
  "MountainCarContinuous-v0": { ppo: 16, sac: 64 },
  "Acrobot-v1": { dqn: 64 },
};

for (const envId of ENV_IDS) {
  Deno.test(`compare runs ${envId} through the harness (tiny budgets, every admitted kind of method)`, async () => {
    const outDir = await Deno.makeTempDir();
    const budgets = { mbrl: 40, ...MODEL_FREE[envId] };
    const methods = Object.keys(budgets) as CompareMethod[];
    const c = await runComparison({
      envId,
      outDir,
      seeds: [0],
      methods,
      budgets,
      evalEvery: 20,
      evalEpisodes: 1,
      mbrlConfig: TINY_MBRL,
      inProcess: true,
      workers: 1,
      onProgress: () => {},
    });
    assertEquals([c.envId, c.threshold], [envId, envMetadata(envId).solvedThreshold]);
    assertEquals(Object.keys(c.methods), methods);
    for (const method of methods) {
      const block = c.methods[method]!;
      assertEquals(block.budget, budgets[method]);
      const dir = `${outDir}/${block.perSeed[0]!.runDir}`;
      const summary = readSummary(dir);
      assertEquals([summary.envId, summary.method, summary.status], [envId, method, "finished"]);
      assert(block.evaluation.maxGap > 0, `${method} evaluated`);
    }
    // The model-based run used the job's budget and schedule, and fitted and planned.
    const { config } = JSON.parse(Deno.readTextFileSync(`${outDir}/mbrl_s0/config.json`));
    assertEquals([config.envId, config.loop.maxSteps, config.eval.every], [envId, 40, 20]);
    assertEquals(config.model.hiddenSizes, [8]);
    assertEquals(c.methods.mbrl!.evaluation.firstAt, 20);
    await Deno.remove(outDir, { recursive: true });
  });
}
