import { assert, assertEquals, assertThrows } from "@std/assert";
import { assertPositiveIntegers, BaselineRun } from "../../lib/agents/baseline_run.ts";
import { readMetrics, readRunStatus, readSummary } from "../../lib/run_folder.ts";

const left = (_obs: Float32Array, n: number) => new Int32Array(n);
/** Pushes towards the side the pole falls to: 500 on every CartPole-v1 start tried. */
const balance = (obs: Float32Array, n: number) =>
  Int32Array.from({ length: n }, (_, i) => (obs[i * 4 + 2]! + 0.5 * obs[i * 4 + 3]! > 0 ? 1 : 0));

Deno.test("BaselineRun writes 0-based episode rows and eval rows, stops when solved, and summarises", async () => {
  const dir = await Deno.makeTempDir();
  const progress: number[] = [];
  const run = new BaselineRun("test", {
    seed: 0,
    maxSteps: 50,
    evalEpisodes: 2,
    outDir: dir,
    runId: "r",
    config: { lr: 1 },
    onProgress: (p) => progress.push(p.envSteps),
  });
  run.episode(9, 9, 9, { epsilon: 0.5 });
  run.episode(18, 9, 9, { epsilon: 0.4 });
  assertEquals(await run.evaluate(18, left, { lossMean: 2 }), false);
  assertEquals(await run.evaluate(20, balance, { lossMean: 1 }), true);
  assertEquals(run.stepsToSolve, 20);
  assert(run.shouldStop);
  const summary = run.finish(20, { updates: 1 });
  assertEquals(
    [summary.method, summary.envSteps, summary.solved, summary.episodes, summary.status],
    ["test", 20, true, 2, "finished"],
  );
  assertEquals([summary.finalEvalMean, summary.solvedThreshold], [500, 475]);
  assertEquals(readSummary(`${dir}/r`).updates, 1);
  assertEquals(readRunStatus(`${dir}/r`), "finished");
  const rows = readMetrics(`${dir}/r`);
  assertEquals(rows.map((r) => r.kind), ["episode", "episode", "eval", "eval"]);
  // The recorder numbers episodes from 0, as the MBRL loop does.
  assertEquals(rows.map((r) => r.episode), [0, 1, undefined, undefined]);
  assertEquals([rows[0]!.epsilon, rows[3]!.lossMean, rows[3]!.evalEpisodes], [0.5, 1, 2]);
  assertEquals(progress, [18, 20]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/r/config.json`));
  assertEquals([config.method, config.maxSteps, config.threshold, config.config.lr], [
    "test",
    50,
    475,
    1,
  ]);
  // The same explicit run id again is refused, not mixed into the first run.
  assertThrows(
    () => new BaselineRun("test", { seed: 1, outDir: dir, runId: "r", config: {} }),
    Deno.errors.AlreadyExists,
    "already exists; pass overwrite",
  );
  assertEquals(readMetrics(`${dir}/r`).length, 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("BaselineRun keeps going when solved without stopWhenSolved, and writes nothing without outDir", async () => {
  const run = new BaselineRun("test", {
    seed: 0,
    evalEpisodes: 2,
    stopWhenSolved: false,
    config: {},
  });
  assertEquals(run.writer, null);
  assertEquals(await run.evaluate(10, balance), false);
  assertEquals(await run.evaluate(20, left), false);
  assertEquals(run.stepsToSolve, 10);
  assertEquals(run.evals.map((e) => e.envSteps), [10, 20]);
  assertEquals(run.finish(20).finalEvalMean, run.evals[1]!.mean);
});

Deno.test("BaselineRun: an aborted signal stops the loop and the summary says interrupted", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  const run = new BaselineRun("test", {
    seed: 0,
    evalEpisodes: 2,
    outDir: dir,
    runId: "r",
    config: {},
    signal: controller.signal,
  });
  assertEquals(await run.evaluate(10, left), false);
  run.episode(12, 12, 12);
  controller.abort();
  assert(run.shouldStop);
  // The next evaluation point stops without evaluating.
  assertEquals(await run.evaluate(20, left), true);
  const summary = run.finish(20);
  assertEquals([summary.status, summary.envSteps, summary.episodes, summary.solved], [
    "interrupted",
    20,
    1,
    false,
  ]);
  assertEquals(readRunStatus(`${dir}/r`), "interrupted");
  assertEquals(readMetrics(`${dir}/r`).map((r) => r.kind), ["eval", "episode"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("BaselineRun refuses a solved threshold other than the env's", () => {
  assertThrows(
    () => new BaselineRun("test", { seed: 0, solvedThreshold: 5, config: {} }),
    RangeError,
    "Expected solvedThreshold to be CartPole-v1's (475) but found 5",
  );
  new BaselineRun("test", { seed: 0, solvedThreshold: 475, config: {} });
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
