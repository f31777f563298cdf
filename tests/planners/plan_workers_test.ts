import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import { CartPoleEnv } from "../../lib/envs/cart_pole.ts";
import { type BaseDynamicsModel, createDynamicsModel } from "../../lib/models/mod.ts";
import {
  defaultWorkerCount,
  type EnvAction,
  makeMpcPlanner,
  type MpcPlanner,
  type PlannerType,
} from "../../lib/planners/mod.ts";
import { PlanWorkerPool } from "../../lib/planners/plan_workers.ts";
import type { RolloutBatch, RolloutSpec } from "../../lib/planners/rollout.ts";
import { Rng } from "../../lib/rng.ts";

await setupBackend();

/** A few hundred random CartPole transitions. */
function randomBuffer(seed: number): ReplayBuffer {
  const rng = new Rng(seed);
  const env = new CartPoleEnv({ rng: rng.stream("env") });
  const buffer = new ReplayBuffer(300, { stateDim: 4, actionDim: 1, rng: rng.stream("buf") });
  let obs = env.reset().observation;
  for (let t = 0; t < 300; t++) {
    const action = rng.int(2);
    const step = env.step(action);
    buffer.add({ ...step, state: obs, action, nextState: step.observation });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  return buffer;
}

async function trainedModel(
  type: "deterministic" | "probabilistic" | "ensemble",
  seed = 1,
  inference: "kernel" | "tfjs" = "kernel",
): Promise<BaseDynamicsModel> {
  const model = createDynamicsModel({
    type,
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [16, 16],
    numModels: 3,
    inference,
    rng: new Rng(seed),
  });
  await model.train(randomBuffer(seed), { epochs: 2 });
  return model;
}

function planner(
  model: BaseDynamicsModel,
  workers: number,
  type: PlannerType = "random_shooting",
  extra: Record<string, unknown> = {},
): MpcPlanner {
  return makeMpcPlanner({ type, numSamples: 150, horizon: 4, particles: 2, workers, ...extra }, {
    dynamicsModel: model,
    envId: "CartPole-v1",
    rng: new Rng(5),
  });
}

/** Actions and planned returns of `steps` planning steps along a fixed state sequence. */
function trace(p: MpcPlanner, steps: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const state = Float32Array.of(0.01 * i, -0.02, 0.03 - 0.005 * i, 0.01);
    const action: EnvAction = p.getAction(state);
    out.push(`${action}:${p.lastStats!.plannedReturn}`);
  }
  return out;
}

Deno.test("0, 1 and 2 workers give identical actions (probabilistic: RS, CEM; ensemble: RS; tfjs inference: RS)", async () => {
  const cases = [
    ["probabilistic", "kernel"],
    ["ensemble", "kernel"],
    ["probabilistic", "tfjs"],
  ] as const;
  for (const [type, inference] of cases) {
    const model = await trainedModel(type, 1, inference);
    const optimisers = type === "ensemble" || inference === "tfjs"
      ? ["random_shooting"] as const
      : ["random_shooting", "cem"] as const;
    for (const optimiser of optimisers) {
      const traces: string[][] = [];
      for (const workers of [0, 1, 2]) {
        const p = planner(model, workers, optimiser, optimiser === "cem" ? { numElite: 10 } : {});
        await p.syncWeights({ minRowsPerThread: 16 });
        assertEquals(p.workersInUse, workers);
        traces.push(trace(p, 6));
        assertEquals(p.workerPool?.runs ?? 0, workers > 0 ? 6 * (optimiser === "cem" ? 5 : 1) : 0);
        p.dispose();
      }
      assertEquals(traces[1], traces[0], `${type} ${inference} ${optimiser}: 1 worker`);
      assertEquals(traces[2], traces[0], `${type} ${inference} ${optimiser}: 2 workers`);
    }
    model.dispose();
  }
});

Deno.test("a refit without syncWeights plans on the main thread; syncing brings the workers back", async () => {
  const model = await trainedModel("probabilistic");
  const p = planner(model, 1);
  await p.syncWeights({ minRowsPerThread: 16 });
  assertEquals(p.workersInUse, 1);
  await model.train(randomBuffer(9), { epochs: 1 });
  assertEquals(p.workersInUse, 0); // stale copy: never used
  const reference = planner(model, 0);
  assertEquals(trace(p, 3), trace(reference, 3));
  await p.syncWeights();
  assertEquals(p.workersInUse, 1);
  assertEquals(trace(p, 3), trace(reference, 3));
  p.dispose();
  model.dispose();
});

for (const inference of ["kernel", "tfjs"] as const) {
  Deno.test(`no tensor leak over 2,000 planning steps with a worker, none live after dispose (${inference} inference)`, async () => {
    const model = await trainedModel("probabilistic", 1, inference);
    const p = planner(model, 1, "random_shooting", { particles: 1, horizon: 2 });
    await p.syncWeights({ minRowsPerThread: 16 });
    const state = Float32Array.of(0, 0, 0.01, 0);
    p.getAction(state);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2000; i++) p.getAction(state);
    assertEquals(tf.memory().numTensors, before);
    assertEquals(p.workersInUse, 1);
    assertEquals(p.workerPool!.runs, 2001); // every step was split
    const { handoffMs, mainShareMs, waitMs, mainRows, rows } = p.workerPool!.timings;
    assert(handoffMs > 0 && mainShareMs > 0 && waitMs >= 0, JSON.stringify(p.workerPool!.timings));
    // Which thread claims which chunk is a race; every row was rolled out by one of them.
    assertEquals(rows, 2001 * 150);
    assert(mainRows >= 0 && mainRows <= rows, `main thread rows ${mainRows}`);
    assertEquals(p.workerPool!.liveWorkers, 1);
    p.dispose();
    assertEquals(p.workerPool!.liveWorkers, 0);
    assertThrows(() => p.getAction(state), Error, "disposed");
    model.dispose();
  });
}

Deno.test("a crashed worker makes the next planning call throw, never a silent action", async () => {
  const model = await trainedModel("probabilistic");
  const p = planner(model, 1);
  await p.syncWeights({ stallTimeoutMs: 300, minRowsPerThread: 16 });
  const state = Float32Array.of(0, 0, 0.01, 0);
  p.getAction(state);
  await p.workerPool!.terminateWorker(0);
  assertThrows(() => p.getAction(state), Error, "Planning worker 0");
  assertThrows(() => p.getAction(state), Error, "Planning worker 0"); // stays failed
  p.dispose();
  model.dispose();
});

Deno.test("a job that throws in a worker fails the planning call with the worker's message", async () => {
  const model = await trainedModel("deterministic");
  const pool = new PlanWorkerPool(model, { workers: 1, envId: "CartPole-v1", minRowsPerThread: 1 });
  await pool.sync(1);
  // A spec whose state width does not match the model's: the worker's model call throws.
  const spec: RolloutSpec = {
    stateDim: 3,
    envDim: 1,
    horizon: 2,
    discount: 1,
    shaping: null,
    rewardSource: "env",
    terminationSource: "env",
    call: "predict",
  };
  // Two chunks of 32 rows: the main thread stops claiming after its chunk throws, so the
  // worker claims the other one and fails too; the worker's failure is the one reported.
  const batch: RolloutBatch = {
    rows: 64,
    states: new Float32Array(64 * 3),
    actions: new Float32Array(2 * 64),
  };
  const error = assertThrows(() => pool.run(spec, batch, new Float64Array(64)), Error);
  assert(/Planning worker 0 failed: ./.test(error.message), error.message);
  assertThrows(() => pool.run(spec, batch, new Float64Array(64)), Error, "Planning worker 0");
  pool.dispose();
  model.dispose();
});

Deno.test("the workers knob: read back, validated, MBRL_WORKERS", async () => {
  const model = await trainedModel("deterministic");
  assertEquals(planner(model, 2).settings.workers, 2);
  assertThrows(() => planner(model, -1), RangeError, "workers");
  const saved = Deno.env.get("MBRL_WORKERS");
  try {
    Deno.env.set("MBRL_WORKERS", "0");
    assertEquals(defaultWorkerCount(), 0);
    Deno.env.set("MBRL_WORKERS", "two");
    assertThrows(() => defaultWorkerCount(), TypeError, "MBRL_WORKERS");
    Deno.env.delete("MBRL_WORKERS");
    assert(defaultWorkerCount() === Math.min(navigator.hardwareConcurrency - 1, 3));
  } finally {
    if (saved === undefined) Deno.env.delete("MBRL_WORKERS");
    else Deno.env.set("MBRL_WORKERS", saved);
  }
  model.dispose();
});
