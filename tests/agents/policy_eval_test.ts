import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import {
  evaluateBatched,
  evaluatePlanner,
  evaluatePlannerAsync,
  evaluatePlannerInWaves,
} from "../../lib/agents/policy_eval.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import { CartPoleEnv } from "../../lib/envs/cart_pole.ts";
import { evaluationCannotSolve } from "../../lib/envs/registry.ts";
import { makeEnv } from "../../lib/envs/mod.ts";
import { type BaseDynamicsModel, createDynamicsModel } from "../../lib/models/mod.ts";
import { makeMpcPlanner, type PlannerType } from "../../lib/planners/mod.ts";
import { Rng } from "../../lib/rng.ts";

await setupBackend();

async function trainedModel(type: "deterministic" | "probabilistic"): Promise<BaseDynamicsModel> {
  const rng = new Rng(3);
  const env = new CartPoleEnv({ rng: rng.stream("env") });
  const buffer = new ReplayBuffer(400, { stateDim: 4, actionDim: 1, rng: rng.stream("buf") });
  let obs = env.reset().observation;
  for (let t = 0; t < 400; t++) {
    const action = rng.int(2);
    const step = env.step(action);
    buffer.add({ ...step, state: obs, action, nextState: step.observation });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  const model = createDynamicsModel({
    type,
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [16, 16],
    rng: new Rng(4),
  });
  await model.train(buffer, { epochs: 3 });
  return model;
}

/** A small random-shooting planner on `model` with a fixed stream (a fresh one per call). */
function smallPlanner(model: BaseDynamicsModel) {
  return makeMpcPlanner({ type: "random_shooting", numSamples: 30, horizon: 4, workers: 0 }, {
    dynamicsModel: model,
    envId: "CartPole-v1",
    rng: new Rng(2),
  });
}

function envs(n: number) {
  return Array.from({ length: n }, () => makeEnv("CartPole-v1"));
}

Deno.test("lockstep evaluation returns exactly what one-by-one evaluation returns", async () => {
  for (const modelType of ["deterministic", "probabilistic"] as const) {
    const model = await trainedModel(modelType);
    for (const type of ["random_shooting", "cem"] as PlannerType[]) {
      const make = () =>
        makeMpcPlanner({
          type,
          numSamples: 40,
          horizon: 5,
          workers: 0,
          ...(type === "cem" ? { numElite: 5, numIterations: 2 } : {}),
        }, { dynamicsModel: model, envId: "CartPole-v1", rng: new Rng(8) });
      const lockstep = evaluatePlanner(make(), envs(4), { rng: new Rng(11).stream("eval") });
      const sequential = evaluatePlanner(make(), envs(4), {
        rng: new Rng(11).stream("eval"),
        lockstep: false,
      });
      assertEquals(lockstep.returns, sequential.returns, `${modelType} ${type}`);
      assertEquals(lockstep.planSteps, sequential.planSteps);
      assertEquals(lockstep.planSteps, lockstep.returns.reduce((a, b) => a + b, 0));
      assert(new Set(lockstep.returns).size > 1, "episodes differ (seeds are used)");
    }
    model.dispose();
  }
});

Deno.test("evaluation leaves the training slot alone and leaks no tensors", async () => {
  const model = await trainedModel("probabilistic");
  const make = () => smallPlanner(model);
  const state = Float32Array.of(0, 0.1, 0.02, -0.1);
  const withEval = make();
  const plain = make();
  withEval.getAction(state);
  plain.getAction(state);
  const before = tf.memory().numTensors;
  evaluatePlanner(withEval, envs(3), { rng: new Rng(1) });
  assertEquals(tf.memory().numTensors, before);
  // The training slot's streams continue as if no evaluation had run.
  assertEquals(withEval.getAction(state), plain.getAction(state));
  assertEquals(withEval.lastStats!.plannedReturn, plain.lastStats!.plannedReturn);
  model.dispose();
});

Deno.test("early stop: once the mean cannot reach the threshold", async () => {
  const model = await trainedModel("deterministic");
  const p = makeMpcPlanner({ type: "random_shooting", numSamples: 20, horizon: 3, workers: 0 }, {
    dynamicsModel: model,
    envId: "CartPole-v1",
    rng: new Rng(2),
  });
  const seen: number[] = [];
  const result = evaluatePlanner(p, envs(10), {
    rng: new Rng(5),
    stopWhen: (finished, episodes) => evaluationCannotSolve("CartPole-v1", finished, episodes),
    onEpisode: (e) => seen.push(e),
  });
  assert(result.stoppedEarly);
  assert(result.returns.length < 10);
  assertEquals(seen.length, result.returns.length);
  assert(evaluationCannotSolve("CartPole-v1", result.returns, 10));
  assertThrows(() => evaluatePlanner(p, envs(2), { rng: new Rng(0), episodes: 3 }), RangeError);
  model.dispose();
});

Deno.test("evaluateBatched: the baselines' 3-argument call and per-episode hooks", () => {
  const started: number[] = [];
  const slotsSeen = new Set<number>();
  const result = evaluateBatched(
    envs(3),
    (_obs, n, slots) => {
      slots.forEach((s) => slotsSeen.add(s));
      return new Int32Array(n);
    },
    new Rng(0),
    { onEpisodeStart: (e) => started.push(e) },
  );
  assertEquals(started, [0, 1, 2]);
  assertEquals([...slotsSeen].sort(), [0, 1, 2]);
  assertEquals(result.returns.length, 3);
  assertEquals(result.stoppedEarly, false);
  const again = evaluateBatched(envs(3), (_obs, n) => new Int32Array(n), new Rng(0));
  assertEquals(again.returns, result.returns);
});

Deno.test("lockstep evaluation with a planning worker returns what one-by-one returns without", async () => {
  const model = await trainedModel("probabilistic");
  const make = (workers: number) =>
    makeMpcPlanner({ type: "random_shooting", numSamples: 64, horizon: 4, workers }, {
      dynamicsModel: model,
      envId: "CartPole-v1",
      rng: new Rng(8),
    });
  const withWorker = make(1);
  await withWorker.syncWeights({ minRowsPerThread: 16 });
  const lockstep = evaluatePlanner(withWorker, envs(4), { rng: new Rng(12) });
  assertEquals(withWorker.workersInUse, 1);
  assert(withWorker.workerPool!.runs > 0);
  withWorker.dispose();
  const sequential = evaluatePlanner(make(0), envs(4), { rng: new Rng(12), lockstep: false });
  assertEquals(lockstep.returns, sequential.returns);
  model.dispose();
});

Deno.test("evaluatePlannerAsync equals the synchronous call and stops at a checkpoint", async () => {
  const model = await trainedModel("deterministic");
  const make = () => smallPlanner(model);
  const sync = evaluatePlanner(make(), envs(3), { rng: new Rng(6) });
  let checks = 0;
  const viaAsync = await evaluatePlannerAsync(make(), envs(3), {
    rng: new Rng(6),
    checkpoint: () => Promise.resolve(++checks < 0),
    checkEvery: 5,
  });
  assert(checks > 0);
  assertEquals(viaAsync!.returns, sync.returns);
  const interrupted = await evaluatePlannerAsync(make(), envs(3), {
    rng: new Rng(6),
    checkpoint: () => Promise.resolve(true),
    checkEvery: 1,
  });
  assertEquals(interrupted, null);
  model.dispose();
});

Deno.test("evaluatePlannerInWaves: the check between the waves stops with every return so far", async () => {
  const model = await trainedModel("deterministic");
  const make = () => smallPlanner(model);
  // Inside a wave of 2 the evaluator cannot stop after its last episode (nothing is left to
  // save there), so "stop once 2 episodes finished" can only fire between the waves.
  const seen: number[][] = [];
  const stopped = await evaluatePlannerInWaves(make(), envs(5), {
    rng: new Rng(6),
    firstWave: 2,
    stopWhen: (finished, episodes) => {
      seen.push([finished.length, episodes]);
      return finished.length >= 2;
    },
  });
  assertEquals(stopped!.returns.length, 2);
  assert(stopped!.stoppedEarly);
  assertEquals(seen.at(-1), [2, 5]);
  // Without a stop, two waves give exactly the returns of two consecutive calls on one stream.
  const rng = new Rng(6);
  const planner = make();
  const first = await evaluatePlannerAsync(planner, envs(2), { rng });
  const second = await evaluatePlannerAsync(planner, envs(3), { rng });
  const waves = await evaluatePlannerInWaves(make(), envs(5), { rng: new Rng(6), firstWave: 2 });
  assertEquals(waves!.returns, [...first!.returns, ...second!.returns]);
  assert(!waves!.stoppedEarly);
  assertEquals(waves!.planSteps, first!.planSteps + second!.planSteps);
  // An episode index and the finished list count across waves.
  const indices: number[] = [];
  await evaluatePlannerInWaves(make(), envs(4), {
    rng: new Rng(6),
    firstWave: 1,
    onEpisode: (e, _ret, finished) => {
      indices.push(e);
      assertEquals(finished.length, indices.length);
    },
  });
  assertEquals([...indices].sort(), [0, 1, 2, 3]);
  await assertRejects(
    () => evaluatePlannerInWaves(make(), envs(2), { rng: new Rng(0), firstWave: -1 }),
    RangeError,
    "firstWave",
  );
  model.dispose();
});
