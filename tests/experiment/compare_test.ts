import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  aggregateRunFolders,
  buildComparison,
  type Comparison,
  type JobResult,
  planComparison,
  resolveCompareOptions,
  runComparison,
} from "../../lib/experiment/compare.ts";
import { writeComparisonFigures } from "../../lib/cli/compare.ts";
import { comparisonRows } from "../../lib/experiment/compare_rows.ts";
import { RunWriter } from "../../lib/run_folder.ts";
import { MBRL_PRESETS } from "../../lib/agents/mbrl_config.ts";

/** metrics.jsonl rows without their wall-clock field (the one thing allowed to differ). */
function withoutClock(text: string): unknown[] {
  return text.trim().split("\n").map((line) => {
    const { wallSeconds: _, ...rest } = JSON.parse(line);
    return rest;
  });
}

function result(method: JobResult["method"], seed: number, steps: number | null): JobResult {
  return {
    method,
    seed,
    stepsToSolve: steps,
    solved: steps !== null,
    wallSeconds: 10 + seed,
    envSteps: steps ?? 999,
    runDir: `${method}_s${seed}`,
    backend: "wasm+simd",
    tfjs: "4.22.0",
    evalSteps: [100, 200, 400],
  };
}

Deno.test("buildComparison: censored seeds at the budget, intervals, ratios and their bounds", () => {
  const results = [
    result("mbrl", 0, 300),
    result("mbrl", 1, 500),
    result("mbrl", 2, null),
    result("dqn", 2, 40_000),
    result("dqn", 0, null),
    result("dqn", 1, null),
  ];
  const c = buildComparison(results, {
    envId: "CartPole-v1",
    seeds: [0, 1, 2],
    threshold: 475,
    budgets: { mbrl: 5000, dqn: 100_000 },
    createdWith: "test",
    versions: {},
  });
  const mbrl = c.methods.mbrl!;
  assertEquals([mbrl.medianStepsToSolve, mbrl.interval, mbrl.solvedCount], [500, [300, 5000], 2]);
  assertEquals([mbrl.censoredCount, mbrl.medianCensored], [1, false]);
  assertEquals(mbrl.evaluation, { every: 0, episodes: 0, maxGap: 200, firstAt: 100 });
  const dqn = c.methods.dqn!;
  assertEquals(dqn.perSeed.map((r) => r.seed), [0, 1, 2]);
  assertEquals(dqn.perSeed[1], {
    seed: 1,
    stepsToSolve: null,
    wallSeconds: 11,
    runDir: "dqn_s1",
    solved: false,
    censored: true,
    countedSteps: 100_000,
  });
  // Two of three censored: the median is the budget, a lower bound, and so is the ratio.
  assertEquals([dqn.medianStepsToSolve, dqn.medianCensored], [100_000, true]);
  assertEquals(c.ratios, { "dqn/mbrl": 200 });
  assertEquals(c.ratioBounds, { "dqn/mbrl": "lower bound" });
  assertEquals(c.methods.ppo, undefined);
});

Deno.test("compare options: the env's methods and protocol, refusals before any work", () => {
  const cart = resolveCompareOptions({ outDir: "d" });
  assertEquals(cart.methods, ["mbrl", "dqn", "ppo"]);
  assertEquals(cart.budgets, { mbrl: 500, dqn: 50_000, ppo: 100_000 });
  assertEquals([cart.seeds, cart.evalEvery, cart.evalEpisodes, cart.overridden], [
    [0, 1, 2, 3, 4],
    100,
    10,
    false,
  ]);
  const pendulum = resolveCompareOptions({ outDir: "d", envId: "Pendulum-v1", quick: true });
  assertEquals(pendulum.methods, ["mbrl", "ppo", "sac"]);
  // Quick mode: seeds 0,1 and model-free budgets capped at 10,000.
  assertEquals([pendulum.seeds, pendulum.budgets], [[0, 1], {
    mbrl: 1000,
    ppo: 10_000,
    sac: 10_000,
  }]);
  const given = resolveCompareOptions({ outDir: "d", budgetMf: 700, budgets: { ppo: 900 } });
  assertEquals([given.budgets.dqn, given.budgets.ppo, given.overridden], [700, 900, true]);
  assertThrows(
    () => resolveCompareOptions({ outDir: "d", envId: "Pendulum-v1", methods: ["dqn"] }),
    TypeError,
    "among mbrl,ppo,sac (DQN needs discrete actions)",
  );
  assertThrows(
    () => resolveCompareOptions({ outDir: "d", methods: ["sac"] }),
    TypeError,
    "SAC needs continuous actions",
  );
  assertThrows(() => resolveCompareOptions({ outDir: "d", envId: "Pong-v5" }), TypeError, "Pong");
  assertThrows(() => resolveCompareOptions({ outDir: "d", seeds: [1, 1] }), RangeError, "distinct");
  assertThrows(() => resolveCompareOptions({ outDir: "d", workers: 0 }), RangeError, "workers");
  assertThrows(
    () => resolveCompareOptions({ outDir: "d", mbrlConfig: { eval: { every: 5 } } }),
    TypeError,
    "--eval-every",
  );
  assertThrows(
    () => resolveCompareOptions({ outDir: "d", mbrlConfig: { loop: { maxSteps: 5 } } }),
    TypeError,
    "--budget-mbrl",
  );
  const jobs = planComparison({ outDir: "d", seeds: [0, 1], methods: ["mbrl", "dqn"] });
  assertEquals(jobs.map((j) => j.runId), ["dqn_s0", "dqn_s1", "mbrl_s0", "mbrl_s1"]);
});

Deno.test("runComparison refuses contradictory budgets and taken run folders before any work", async () => {
  const outDir = await Deno.makeTempDir();
  await assertRejects(
    () => runComparison({ outDir, budgetMbrl: 1, methods: ["mbrl"], seeds: [0] }),
    RangeError,
    `Expected loop.warmupSteps (${
      MBRL_PRESETS["CartPole-v1"].loop.warmupSteps
    }) to be less than loop.maxSteps (1): the run would end ` +
      "before it fits a model or evaluates (mbrl on CartPole-v1)",
  );
  await assertRejects(
    () => runComparison({ outDir, envId: "Pendulum-v1", methods: ["ppo"], budgetMf: 256 }),
    RangeError,
    "Expected the ppo budget on Pendulum-v1 to be at least one rollout",
  );
  RunWriter.create(`${outDir}/dqn_s0`, { maxSteps: 1 });
  await assertRejects(
    () => runComparison({ outDir, methods: ["dqn"], seeds: [0], budgetMf: 64 }),
    Error,
    "Run folders already exist",
  );
  assertEquals([...Deno.readDirSync(outDir)].map((e) => e.name), ["dqn_s0"]);
  await Deno.remove(outDir, { recursive: true });
});

Deno.test("runComparison in Workers writes comparison.json in the documented shape, reproducibly; aggregating its folders gives the same", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const runs: Comparison[] = [];
  for (const outDir of dirs) {
    runs.push(
      await runComparison({
        outDir,
        seeds: [0, 1],
        methods: ["dqn", "ppo"],
        budgetMf: 512,
        evalEvery: 256,
        workers: 2,
        createdWith: "deno task compare (test)",
        onProgress: () => {},
      }),
    );
  }
  const c = JSON.parse(await Deno.readTextFile(`${dirs[0]}/comparison.json`));
  assertEquals(Object.keys(c).sort(), [
    "createdWith",
    "envId",
    "methods",
    "notes",
    "protocol",
    "ratioBounds",
    "ratios",
    "seeds",
    "threshold",
    "versions",
  ]);
  assertEquals([c.envId, c.threshold, c.seeds], ["CartPole-v1", 475, [0, 1]]);
  assertEquals(c.protocol.evalEvery, 256);
  assertEquals(c.protocol.overridden, true);
  assertEquals(c.ratios, {}); // no mbrl in this run, so no ratio
  for (const key of ["deno", "tfjs", "backend"]) assertEquals(typeof c.versions[key], "string");
  for (const method of ["dqn", "ppo"]) {
    const block = c.methods[method];
    assertEquals(Object.keys(block).sort(), [
      "budget",
      "censoredCount",
      "evaluation",
      "interval",
      "intervalConfidence",
      "medianCensored",
      "medianStepsToSolve",
      "medianWallSeconds",
      "perSeed",
      "solvedCount",
    ]);
    assertEquals(block.budget, 512);
    assertEquals(block.medianStepsToSolve, 512); // 512 steps never solve: counted as the budget
    assertEquals([block.censoredCount, block.medianCensored], [2, true]);
    assertEquals(block.evaluation, { every: 256, episodes: 10, maxGap: 256, firstAt: 256 });
    for (const row of block.perSeed) {
      assertEquals([row.stepsToSolve, row.solved, row.censored, row.countedSteps], [
        null,
        false,
        true,
        512,
      ]);
      const text = await Deno.readTextFile(`${dirs[0]}/${row.runDir}/metrics.jsonl`);
      const other = await Deno.readTextFile(`${dirs[1]}/${row.runDir}/metrics.jsonl`);
      // Same seeds, same numbers: the learning curves match file for file.
      assertEquals(withoutClock(other), withoutClock(text));
      assert(text.includes('"kind":"eval"'));
    }
  }
  const strip = (x: Comparison) =>
    Object.values(x.methods).map((b) => b!.perSeed.map((r) => [r.seed, r.stepsToSolve, r.runDir]));
  assertEquals(strip(runs[1]!), strip(runs[0]!));
  // The same folders aggregated: the same comparison (wall clock is read from the same files).
  const again = aggregateRunFolders([dirs[0]!], { createdWith: "deno task compare (test)" });
  assertEquals({ ...again, versions: {} }, { ...runs[0]!, versions: {} });
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
});

Deno.test("aggregateRunFolders refuses unfinished runs, two envs, and duplicate seeds, naming the folders", async () => {
  const root = await Deno.makeTempDir();
  const summary = (envId: string, method: string, seed: number) => ({
    envId,
    method,
    seed,
    envSteps: 64,
    solved: false,
    stepsToSolve: null,
    finalEvalMean: 10,
    wallSeconds: 1,
    backend: "wasm",
  });
  const config = { maxSteps: 64, evalEvery: 64, evalEpisodes: 10 };
  const eval64 = {
    kind: "eval" as const,
    envSteps: 64,
    evalReturnMean: 10,
    evalReturnStd: 0,
    evalEpisodes: 10,
  };
  const a = RunWriter.create(`${root}/a/dqn_s0`, config);
  a.append(eval64);
  a.writeSummary(summary("CartPole-v1", "dqn", 0));
  RunWriter.create(`${root}/a/dqn_s1`, config); // no summary: unfinished
  assertThrows(() => aggregateRunFolders([`${root}/a`]), Error, "dqn_s1 (unfinished)");
  Deno.removeSync(`${root}/a/dqn_s1`, { recursive: true });
  const b = RunWriter.create(`${root}/b/ppo_s0`, config);
  b.append(eval64);
  b.writeSummary(summary("Acrobot-v1", "ppo", 0));
  assertThrows(
    () => aggregateRunFolders([`${root}/a`, `${root}/b`], { outDir: `${root}/out` }),
    Error,
    "Expected run folders of one env but found CartPole-v1",
  );
  const c = RunWriter.create(`${root}/c/dqn_s0`, config);
  c.append(eval64);
  c.writeSummary(summary("CartPole-v1", "dqn", 0));
  assertThrows(
    () => aggregateRunFolders([`${root}/a`, `${root}/c`], { outDir: `${root}/out` }),
    Error,
    "Expected one run of dqn seed 0",
  );
  // Folders written anywhere: runDir is relative to the comparison's folder.
  const ok = aggregateRunFolders([`${root}/a/dqn_s0`], { outDir: `${root}/out` });
  assertEquals(ok.methods.dqn!.perSeed[0]!.runDir, "../a/dqn_s0");
  assertEquals(comparisonRows(`${root}/out`, ok).steps.length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("aggregateRunFolders takes tfjs's version from a run that records it when the first does not", async () => {
  const root = await Deno.makeTempDir();
  const config = { maxSteps: 400, evalEvery: 200, evalEpisodes: 10 };
  const summary = (method: string, tfjs?: string) => ({
    envId: "Pendulum-v1",
    method,
    seed: 0,
    envSteps: 400,
    solved: false,
    stepsToSolve: null,
    finalEvalMean: -900,
    wallSeconds: 1,
    backend: "wasm",
    ...(tfjs === undefined ? {} : { tfjs }),
  });
  // Folders are read in name order: the model-based one (no tfjs in its summary) comes first.
  for (const [method, tfjs] of [["mbrl", undefined], ["sac", "4.22.0"]] as const) {
    const w = RunWriter.create(`${root}/${method}_s0`, config);
    for (const envSteps of [200, 400]) {
      w.append({
        kind: "eval",
        envSteps,
        evalReturnMean: -900,
        evalReturnStd: 0,
        evalEpisodes: 10,
      });
    }
    w.writeSummary(summary(method, tfjs));
  }
  const c = aggregateRunFolders([root]);
  assertEquals(Object.keys(c.methods), ["mbrl", "sac"]);
  assertEquals([c.versions.tfjs, c.versions.backend], ["4.22.0", "wasm"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("comparisonRows carries a solved seed's last evaluation forward; figures are written or skipped", async () => {
  const dir = await Deno.makeTempDir();
  const runs: [string, number, number[], number | null][] = [
    ["dqn_s0", 0, [100, 500], 2048],
    ["dqn_s1", 1, [50, 60, 70], null],
  ];
  for (const [runId, seed, means, solvedAt] of runs) {
    const writer = RunWriter.create(`${dir}/${runId}`, { maxSteps: 3072 });
    means.forEach((mean, i) =>
      writer.append({
        kind: "eval",
        envSteps: 1024 * (i + 1),
        evalReturnMean: mean,
        evalReturnStd: 0,
        evalEpisodes: 10,
        wallSeconds: 2 * (i + 1),
      })
    );
    writer.writeSummary({
      envId: "CartPole-v1",
      method: "dqn",
      seed,
      envSteps: 1024 * means.length,
      solved: solvedAt !== null,
      stepsToSolve: solvedAt,
      finalEvalMean: means.at(-1)!,
      wallSeconds: 2 * means.length,
      backend: "wasm",
    });
  }
  const comparison = buildComparison([result("dqn", 0, 2048), result("dqn", 1, null)], {
    envId: "CartPole-v1",
    seeds: [0, 1],
    threshold: 475,
    budgets: { dqn: 3072 },
    createdWith: "test",
    versions: {},
  });
  await Deno.writeTextFile(`${dir}/comparison.json`, JSON.stringify(comparison));
  const rows = comparisonRows(dir);
  const seed0 = rows.curves.filter((r) => r.seed === 0);
  assertEquals(seed0.map((r) => [r.envSteps, r.return, r.carried]), [
    [1024, 100, false],
    [2048, 500, false],
    [3072, 500, true],
  ]);
  assertEquals(rows.steps, [
    { method: "dqn", seed: 0, stepsToSolve: 2048 },
    { method: "dqn", seed: 1, stepsToSolve: null },
  ]);
  assertEquals(rows.wall.filter((r) => r.seed === 1).map((r) => r.wallSeconds), [2, 4, 6]);
  const report = await writeComparisonFigures(dir);
  assertEquals([report.written.length, report.skipped], [3, []]);
  for (const path of report.written) assert((await Deno.readTextFile(path)).includes("<svg"));
  // Runs that ended before any evaluation: the figures without data are skipped, not thrown.
  for (const [runId] of runs) {
    await Deno.writeTextFile(`${dir}/${runId}/metrics.jsonl`, "");
    await Deno.remove(`${dir}/${runId}/summary.json`);
    await Deno.writeTextFile(
      `${dir}/${runId}/summary.json`,
      JSON.stringify({ envSteps: 0, wallSeconds: 0 }),
    );
  }
  const empty = await writeComparisonFigures(dir);
  assertEquals(empty.written.map((p) => p.split("/").at(-1)), ["steps_to_solve.svg"]);
  assertEquals(empty.skipped.length, 2);
  await Deno.remove(dir, { recursive: true });
});
