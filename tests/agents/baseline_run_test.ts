import { assertEquals, assertThrows } from "@std/assert";
import { assertPositiveIntegers, BaselineRun } from "../../lib/agents/baseline_run.ts";
import { readMetrics, readSummary } from "../../lib/run_folder.ts";

const left = (_obs: Float32Array, n: number) => new Int32Array(n);

Deno.test("BaselineRun writes episode and eval rows, stops when solved, and summarises", async () => {
  const dir = await Deno.makeTempDir();
  const progress: number[] = [];
  const run = new BaselineRun("test", {
    seed: 0,
    maxSteps: 50,
    evalEpisodes: 2,
    solvedThreshold: 5,
    outDir: dir,
    runId: "r",
    config: { lr: 1 },
    onProgress: (p) => progress.push(p.envSteps),
  });
  run.episode(9, 9, 9, { epsilon: 0.5 });
  // Always pushing left ends CartPole within 5-15 steps: the mean is above 5, below 475.
  assertEquals(await run.evaluate(10, left, { lossMean: 1 }), true);
  assertEquals(run.stepsToSolve, 10);
  const summary = run.finish(10, { updates: 1 });
  assertEquals([summary.method, summary.envSteps, summary.solved, summary.episodes], [
    "test",
    10,
    true,
    1,
  ]);
  assertEquals(readSummary(`${dir}/r`).updates, 1);
  const rows = readMetrics(`${dir}/r`);
  assertEquals(rows.map((r) => r.kind), ["episode", "eval"]);
  assertEquals([rows[0]!.epsilon, rows[1]!.lossMean, rows[1]!.evalEpisodes], [0.5, 1, 2]);
  assertEquals(progress, [10]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/r/config.json`));
  assertEquals([config.method, config.maxSteps, config.threshold, config.config.lr], [
    "test",
    50,
    5,
    1,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("BaselineRun keeps going when solved without stopWhenSolved, and writes nothing without outDir", async () => {
  const run = new BaselineRun("test", {
    seed: 0,
    evalEpisodes: 2,
    solvedThreshold: 5,
    stopWhenSolved: false,
    config: {},
  });
  assertEquals(run.writer, null);
  assertEquals(await run.evaluate(10, left), false);
  assertEquals(await run.evaluate(20, left), false);
  assertEquals(run.stepsToSolve, 10);
  assertEquals(run.evals.map((e) => e.envSteps), [10, 20]);
  assertEquals(run.finish(20).finalEvalMean, run.evals[1]!.mean);
});

Deno.test("assertPositiveIntegers names the first bad entry", () => {
  assertPositiveIntegers([["a", 1], ["b", 2]]);
  assertThrows(
    () => assertPositiveIntegers([["a", 1], ["b", 0], ["c", -1]]),
    RangeError,
    "Expected b to be a positive integer but found 0",
  );
  assertThrows(() => assertPositiveIntegers([["a", 1.5]]), RangeError);
});
