import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  buildComparison,
  type Comparison,
  type JobResult,
  runComparison,
} from "../../lib/experiment/compare.ts";
import { parseCompareArgs, writeComparisonFigures } from "../../lib/cli/compare.ts";
import { comparisonRows } from "../../lib/experiment/compare_rows.ts";
import { RunWriter } from "../../lib/run_folder.ts";

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
  };
}

Deno.test("buildComparison: medians with unsolved seeds at the budget, intervals, ratios", () => {
  const results = [
    result("mbrl", 0, 300),
    result("mbrl", 1, 500),
    result("mbrl", 2, null),
    result("dqn", 2, 40_000),
    result("dqn", 0, 30_000),
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
  assertEquals(c.methods.mbrl!.medianStepsToSolve, 500);
  assertEquals(c.methods.mbrl!.interval, [300, 5000]);
  assertEquals(c.methods.mbrl!.solvedCount, 2);
  assertEquals(c.methods.dqn!.perSeed.map((r) => r.seed), [0, 1, 2]);
  assertEquals(c.methods.dqn!.perSeed[1], {
    seed: 1,
    stepsToSolve: null,
    wallSeconds: 11,
    runDir: "dqn_s1",
    solved: false,
  });
  assertEquals(c.methods.dqn!.medianStepsToSolve, 40_000);
  assertEquals(c.methods.dqn!.medianWallSeconds, 11);
  assertEquals(c.ratios, { "dqn/mbrl": 80 });
  assertEquals(c.methods.ppo, undefined);
});

Deno.test("compare flags: defaults, quick mode, and one-line errors before any work", () => {
  const full = parseCompareArgs(["--out", "d"]);
  assert(full !== "help");
  assertEquals([full.seeds, full.methods, full.budgetMbrl, full.budgetMf, full.workers], [
    [0, 1, 2, 3, 4],
    ["mbrl", "dqn", "ppo"],
    5000,
    100_000,
    2,
  ]);
  const quick = parseCompareArgs(["--out", "d", "--quick", "--budget-mf", "2000"]);
  assert(quick !== "help");
  assertEquals([quick.seeds, quick.budgetMbrl, quick.budgetMf], [[0, 1], 1000, 2000]);
  assertEquals(parseCompareArgs(["--help"]), "help");
  assertThrows(() => parseCompareArgs([]), TypeError, "--out");
  assertThrows(() => parseCompareArgs(["--out", "d", "--seeds", "1,x"]), TypeError, "--seeds");
  assertThrows(() => parseCompareArgs(["--out", "d", "--seeds", "1,1"]), RangeError, "distinct");
  assertThrows(() => parseCompareArgs(["--out", "d", "--methods", "sac"]), TypeError, "sac");
  assertThrows(() => parseCompareArgs(["--out", "d", "--workers", "0"]), RangeError, "workers");
  assertThrows(() => parseCompareArgs(["--out", "d", "--env", "Acrobot-v1"]), TypeError);
  assertThrows(() => parseCompareArgs(["--out", "d", "--frobnicate"]), TypeError);
});

Deno.test("runComparison in Workers writes comparison.json in the documented shape, reproducibly", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const runs: Comparison[] = [];
  for (const outDir of dirs) {
    runs.push(
      await runComparison({
        outDir,
        seeds: [0, 1],
        methods: ["dqn", "ppo"],
        budgetMf: 512,
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
    "ratios",
    "seeds",
    "threshold",
    "versions",
  ]);
  assertEquals([c.envId, c.threshold, c.seeds], ["CartPole-v1", 475, [0, 1]]);
  assertEquals(c.ratios, {}); // no mbrl in this run, so no ratio
  for (const key of ["deno", "tfjs", "backend"]) assertEquals(typeof c.versions[key], "string");
  for (const method of ["dqn", "ppo"]) {
    const block = c.methods[method];
    assertEquals(Object.keys(block).sort(), [
      "budget",
      "interval",
      "intervalConfidence",
      "medianStepsToSolve",
      "medianWallSeconds",
      "perSeed",
      "solvedCount",
    ]);
    assertEquals(block.budget, 512);
    assertEquals(block.medianStepsToSolve, 512); // 512 steps never solve: counted as the budget
    assertEquals(block.interval, [512, 512]);
    for (const row of block.perSeed) {
      assertEquals(Object.keys(row).sort(), [
        "runDir",
        "seed",
        "solved",
        "stepsToSolve",
        "wallSeconds",
      ]);
      assertEquals([row.stepsToSolve, row.solved], [null, false]);
      assertEquals(typeof row.wallSeconds, "number");
      for (const file of ["config.json", "metrics.jsonl", "summary.json"]) {
        const text = await Deno.readTextFile(`${dirs[0]}/${row.runDir}/${file}`);
        // Same seeds, same numbers: the learning curves match file for file.
        if (file === "metrics.jsonl") {
          const other = await Deno.readTextFile(`${dirs[1]}/${row.runDir}/${file}`);
          assertEquals(withoutClock(other), withoutClock(text));
          assert(text.includes('"kind":"eval"'));
        }
      }
    }
  }
  const strip = (x: Comparison) =>
    Object.values(x.methods).map((b) => b!.perSeed.map((r) => [r.seed, r.stepsToSolve, r.runDir]));
  assertEquals(strip(runs[1]!), strip(runs[0]!));
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
});

Deno.test("comparisonRows carries a solved seed's last evaluation forward; figures are written", async () => {
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
  const paths = await writeComparisonFigures(dir);
  for (const path of paths) assert((await Deno.readTextFile(path)).includes("<svg"));
  await Deno.remove(dir, { recursive: true });
});
