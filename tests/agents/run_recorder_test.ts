import { assertEquals, assertThrows } from "@std/assert";
import { RunRecorder } from "../../lib/agents/run_recorder.ts";
import { type MetricsRow, readMetrics, readSummary, RunWriter } from "../../lib/run_folder.ts";

Deno.test("RunRecorder numbers episodes from 0 and applies the env's solved rule", () => {
  const dir = `${Deno.makeTempDirSync()}/r`;
  const seen: MetricsRow[] = [];
  const recorder = new RunRecorder({
    envId: "CartPole-v1",
    method: "test",
    seed: 3,
    evalEpisodes: 3,
    writer: RunWriter.create(dir, {}),
    onRow: (row) => seen.push(row),
  });
  assertEquals(recorder.episode({ envSteps: 10, return: 10, length: 10, policy: "random" }), {
    kind: "episode",
    episode: 0,
    envSteps: 10,
    return: 10,
    length: 10,
    policy: "random",
  });
  assertEquals(recorder.episode({ envSteps: 30, return: 20, length: 20 }).episode, 1);
  // A mean above 475 from an evaluation that stopped early (2 of 3 episodes) does not solve.
  const partial = recorder.evaluation({
    envSteps: 30,
    returns: [500, 500],
    evalStoppedEarly: true,
  });
  assertEquals([partial.solved, partial.firstSolve, partial.row.evalEpisodes], [false, false, 2]);
  assertEquals(recorder.evaluation({ envSteps: 40, returns: [500, 480, 440] }).solved, false);
  const first = recorder.evaluation({ envSteps: 50, returns: [500, 480, 470] });
  assertEquals([first.solved, first.firstSolve, recorder.stepsToSolve], [true, true, 50]);
  const again = recorder.evaluation({ envSteps: 60, returns: [500, 500, 500] });
  assertEquals([again.solved, again.firstSolve, recorder.stepsToSolve], [true, false, 50]);
  assertEquals(Object.keys(first.row).slice(0, 6), [
    "kind",
    "envSteps",
    "evalReturnMean",
    "evalReturnStd",
    "evalEpisodes",
    "wallSeconds",
  ]);
  const summary = recorder.finish({ envSteps: 60, backend: "cpu", extraField: 1 });
  assertEquals(
    [summary.solved, summary.stepsToSolve, summary.finalEvalMean, summary.episodes],
    [true, 50, 500, 2],
  );
  assertEquals([summary.status, summary.extraField, summary.evalEpisodes], ["finished", 1, 3]);
  assertEquals(readMetrics(dir), seen);
  assertEquals(readSummary(dir), summary);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RunRecorder: Pendulum-v1 solves at -200, an aborted signal finishes as interrupted", async () => {
  const controller = new AbortController();
  const recorder = new RunRecorder({
    envId: "Pendulum-v1",
    method: "test",
    seed: 0,
    evalEpisodes: 2,
    signal: controller.signal,
    stopWhenSolved: false,
  });
  assertEquals(await recorder.checkpoint(), false);
  assertEquals(recorder.evaluation({ envSteps: 1, returns: [-150, -240] }).solved, true);
  assertEquals(recorder.evaluation({ envSteps: 2, returns: [-150, -260] }).solved, false);
  assertEquals(recorder.shouldStop, false); // solved, but stopWhenSolved is off
  controller.abort();
  assertEquals(await recorder.checkpoint(), true);
  assertEquals(recorder.finish({ envSteps: 2, backend: "cpu" }).status, "interrupted");
  assertEquals(recorder.finish({ envSteps: 2, backend: "cpu" }, "finished").status, "finished");
  assertThrows(() => recorder.evaluation({ envSteps: 3, returns: [] }), RangeError, "returns");
  assertThrows(
    () => new RunRecorder({ envId: "CartPole-v1", method: "t", seed: 0, evalEpisodes: 0 }),
    RangeError,
    "Expected evalEpisodes to be a positive integer but found 0",
  );
});
