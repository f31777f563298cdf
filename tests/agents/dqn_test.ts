import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess, assertRejects } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { ReplayBuffer } from "../../lib/buffer/replay_buffer.ts";
import { makeEnv } from "../../lib/envs/mod.ts";
import { Adam } from "../../lib/nn/adam.ts";
import { Mlp } from "../../lib/nn/mlp.ts";
import { Rng } from "../../lib/rng.ts";
import { DQN_ZOO_CARTPOLE, dqnEpsilon, dqnGradientStep, trainDQN } from "../../lib/agents/dqn.ts";
import { DQN_ZOO_PRESETS, zooBudget, zooEnvIds } from "../../lib/agents/zoo_presets.ts";
import { assertBeatsRandomReproducibly } from "./helpers.ts";

await setupBackend();

Deno.test("epsilon falls linearly from 1 to 0.04 over 16% of the Zoo's 50,000 steps", () => {
  assertEquals(dqnEpsilon(0, DQN_ZOO_CARTPOLE), 1);
  assertEquals(dqnEpsilon(4000, DQN_ZOO_CARTPOLE), 1 + 0.5 * (0.04 - 1));
  assertEquals(dqnEpsilon(8000, DQN_ZOO_CARTPOLE), 0.04);
  assertEquals(dqnEpsilon(90_000, DQN_ZOO_CARTPOLE), 0.04);
});

Deno.test("DQN gradient steps lower the Huber loss on a fixed batch, without leaking tensors", () => {
  const rng = new Rng(3);
  const env = makeEnv("CartPole-v1", { rng: rng.stream("env") });
  const buffer = new ReplayBuffer(1000, { stateDim: 4, actionDim: 1, rng: rng.stream("buffer") });
  let obs = env.reset().observation;
  const act = rng.stream("act");
  for (let i = 0; i < 500; i++) {
    const action = act.int(2);
    const step = env.step(action);
    buffer.add({ state: obs, action, nextState: step.observation, ...step });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  const batch = buffer.sample(64);
  const online = new Mlp({ layerSizes: [4, 64, 64, 2], init: "torch", rng: rng.stream("init") });
  const target = online.clone();
  const optimizer = new Adam(online.variables, { learningRate: 1e-3, clipNorm: 10 });
  const lossAt = () => {
    const loss = dqnGradientStep(online, target, optimizer, batch, 0.99);
    const value = loss.dataSync()[0]!;
    loss.dispose();
    return value;
  };
  const first = lossAt();
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 50; i++) last = lossAt();
  assertEquals(tf.memory().numTensors, before);
  assertLess(last, 0.5 * first);
  online.dispose();
  target.dispose();
  optimizer.dispose();
});

Deno.test("DQN with the Zoo settings beats a random policy after 2,048 steps, reproducibly", async () => {
  const before = tf.memory().numTensors;
  const run = () => trainDQN({ seed: 0, maxSteps: 2048, evalEvery: 1024, stopWhenSolved: false });
  const { result, again } = await assertBeatsRandomReproducibly(run, {
    envSteps: 2048,
    evalSteps: [1024, 2048],
  });
  assertEquals(tf.memory().numTensors, before);
  assert(result.lossHistory.length > 0 && result.lossHistory.every(Number.isFinite));
  // The same seed gives the same run.
  assertEquals(again.lossHistory, result.lossHistory);
});

Deno.test("trainDQN writes the run folder and rejects bad options", async () => {
  const dir = await Deno.makeTempDir();
  const result = await trainDQN({
    seed: 1,
    maxSteps: 300,
    evalEvery: 100,
    outDir: dir,
    runId: "r",
  });
  assertEquals(result.runDir, `${dir}/r`);
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/r/summary.json`));
  assertEquals([summary.method, summary.seed, summary.envSteps], ["dqn", 1, 300]);
  const rows = (await Deno.readTextFile(`${dir}/r/metrics.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assertEquals(rows.filter((r) => r.kind === "eval").map((r) => r.envSteps), [100, 200, 300]);
  assert(rows.some((r) => r.kind === "episode" && r.return > 0));
  let threw = false;
  try {
    await trainDQN({ seed: 0, maxSteps: 0 });
  } catch (error) {
    threw = error instanceof RangeError;
  }
  assert(threw);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("DQN presets: the three Zoo envs resolve, overrides apply field by field, other envs are refused", async () => {
  assertEquals(zooEnvIds("dqn"), ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"]);
  assertEquals(
    zooEnvIds("dqn").map((id) => zooBudget("dqn", id)),
    [50_000, 100_000, 120_000],
  );
  assertEquals(DQN_ZOO_PRESETS["MountainCar-v0"].config.targetUpdateInterval, 600);
  assert(Object.isFrozen(DQN_ZOO_PRESETS["Acrobot-v1"].config.hiddenSizes));
  await assertRejects(
    () => trainDQN({ envName: "Pendulum-v1", seed: 0 }),
    RangeError,
    'Expected envName to be one of CartPole-v1, Acrobot-v1, MountainCar-v0 for DQN but found "Pendulum-v1"',
  );
  const dir = await Deno.makeTempDir();
  await trainDQN({
    envName: "MountainCar-v0",
    seed: 0,
    maxSteps: 32,
    evalEvery: 32,
    evalEpisodes: 1,
    outDir: dir,
    runId: "m",
    config: { hiddenSizes: [16, 16] },
  });
  const config = JSON.parse(await Deno.readTextFile(`${dir}/m/config.json`));
  assertEquals(config.config, {
    ...DQN_ZOO_PRESETS["MountainCar-v0"].config,
    hiddenSizes: [16, 16],
  });
  assertEquals(config.threshold, -110);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainDQN on Acrobot-v1 uses its preset and budget by default, and frees its networks when a run throws", async () => {
  const dir = await Deno.makeTempDir();
  const before = tf.memory().numTensors;
  await assertRejects(
    () =>
      trainDQN({
        envName: "Acrobot-v1",
        seed: 0,
        evalEvery: 64,
        evalEpisodes: 1,
        outDir: dir,
        runId: "a",
        onProgress: () => {
          throw new Error("stop here");
        },
      }),
    Error,
    "stop here",
  );
  assertEquals(tf.memory().numTensors, before);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/a/config.json`));
  assertEquals(config.config, DQN_ZOO_PRESETS["Acrobot-v1"].config);
  assertEquals([config.maxSteps, config.threshold], [100_000, -100]);
  await Deno.remove(dir, { recursive: true });
});
