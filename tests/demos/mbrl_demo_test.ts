import { assertEquals, assertStringIncludes } from "@std/assert";
import { comparisonTable, MbrlRecorder } from "../../lib/demos/mod.ts";
import { buildComparison } from "../../lib/experiment/compare.ts";

Deno.test("MbrlRecorder turns metrics rows and statuses into return and refit-loss rows", () => {
  const lines: string[] = [];
  const recorder = new MbrlRecorder("run", { onUpdate: (line) => lines.push(line), throttleMs: 0 });
  const status = {
    envSteps: 10,
    maxSteps: 100,
    episode: 0,
    lastReturn: null,
    planMs: null,
    lastEvalMean: null,
  };
  recorder.onStatus({ ...status, phase: "warmup", modelLoss: null });
  recorder.onStatus({ ...status, phase: "fit", modelLoss: null });
  recorder.onStatus({ ...status, phase: "eval", modelLoss: 0.25 });
  recorder.onProgress({
    kind: "eval",
    envSteps: 10,
    evalReturnMean: 30,
    evalReturnStd: 0,
    evalEpisodes: 1,
  });
  recorder.onStatus({ ...status, envSteps: 20, phase: "fit", modelLoss: 0.25 });
  recorder.onStatus({ ...status, envSteps: 20, phase: "train", modelLoss: 0.1 });
  recorder.onProgress({
    kind: "episode",
    episode: 0,
    envSteps: 25,
    return: 25,
    length: 25,
    policy: "mpc",
  });
  assertEquals(recorder.losses, [
    { run: "run", envSteps: 10, valLoss: 0.25 },
    { run: "run", envSteps: 20, valLoss: 0.1 },
  ]);
  assertEquals(recorder.returns, [
    { run: "run", envSteps: 10, return: 30, kind: "evaluation", episodes: 1 },
    { run: "run", envSteps: 25, return: 25, kind: "mpc", episodes: 1 },
  ]);
  assertStringIncludes(lines.at(-1)!, "last evaluation 30.0 (1 episode at 10 steps)");
});

Deno.test("comparisonTable shows unsolved seeds as over the budget and ratios to mbrl", () => {
  const result = (method: "mbrl" | "dqn", seed: number, stepsToSolve: number | null) => ({
    method,
    seed,
    stepsToSolve,
    solved: stepsToSolve !== null,
    wallSeconds: 10,
    envSteps: stepsToSolve ?? 1000,
    runDir: `${method}_s${seed}`,
    backend: "wasm",
    tfjs: "4.22.0",
  });
  const comparison = buildComparison(
    [result("mbrl", 0, 100), result("mbrl", 1, 300), result("dqn", 0, 500), result("dqn", 1, null)],
    {
      envId: "CartPole-v1",
      seeds: [0, 1],
      threshold: 475,
      budgets: { mbrl: 1000, dqn: 1000 },
      createdWith: "test",
      versions: {},
    },
  );
  const [mbrl, dqn] = comparisonTable(comparison);
  assertEquals(mbrl!["median steps to solve"], 200);
  assertEquals(mbrl!["ratio to mbrl"], "-");
  assertEquals(dqn!["per seed"], "500, >1,000");
  assertEquals(dqn!["median steps to solve"], 750);
  assertEquals(dqn!["ratio to mbrl"], 3.8);
  assertEquals(dqn!.solved, "1/2");
});
