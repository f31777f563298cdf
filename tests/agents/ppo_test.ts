import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess, assertRejects } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { makeEnv } from "../../lib/envs/mod.ts";
import { Rng } from "../../lib/rng.ts";
import {
  disposeActorCritic,
  makeActorCritic,
  PPO_ZOO_CARTPOLE,
  ppoGradients,
  type PpoRollout,
  ppoUpdate,
  trainPPO,
} from "../../lib/agents/ppo.ts";
import { PPO_ZOO_PRESETS, zooBudget, zooEnvIds } from "../../lib/agents/zoo_presets.ts";
import { assertBeatsRandomReproducibly } from "./helpers.ts";

await setupBackend();

/** 256 random-policy transitions with made-up advantages and returns. */
function fakeRollout(rng: Rng): PpoRollout {
  const n = 256;
  const env = makeEnv("CartPole-v1", { rng: rng.stream("env") });
  const rollout: PpoRollout = {
    n,
    obsDim: 4,
    actionDim: 1,
    observations: new Float32Array(n * 4),
    actions: new Float32Array(n),
    logProbs: new Float32Array(n).fill(Math.log(0.5)),
    advantages: new Float32Array(n),
    returns: new Float32Array(n),
  };
  let obs = env.reset().observation;
  for (let i = 0; i < n; i++) {
    rollout.observations.set(obs, i * 4);
    const action = rng.int(2);
    rollout.actions[i] = action;
    // Pushing towards the pole's lean is good: a learnable advantage signal.
    rollout.advantages[i] = (action === 1) === (obs[2]! > 0) ? 1 : -1;
    rollout.returns[i] = 10 + 5 * obs[2]!;
    const step = env.step(action);
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  return rollout;
}

Deno.test("a PPO update lowers the value loss and the clipped surrogate on its rollout", () => {
  const rng = new Rng(5);
  const net = makeActorCritic(4, 2, { config: PPO_ZOO_CARTPOLE, rng: rng.stream("init") });
  const rollout = fakeRollout(rng.stream("data"));
  ppoUpdate(net, rollout, { config: PPO_ZOO_CARTPOLE, clipRange: 0.2, rng: rng.stream("mb") });
  const before = tf.memory().numTensors;
  const stats = ppoUpdate(net, rollout, {
    config: PPO_ZOO_CARTPOLE,
    clipRange: 0.2,
    rng: rng.stream("mb2"),
  });
  assertEquals(tf.memory().numTensors, before);
  assertEquals(stats.valueLoss.length, 20);
  assertLess(stats.valueLoss.at(-1)!, stats.valueLoss[0]!);
  assertLess(stats.policyLoss.at(-1)!, stats.policyLoss[0]!);
  assert(stats.clipFraction >= 0 && stats.clipFraction <= 1);
  disposeActorCritic(net);
});

Deno.test("PPO with the Zoo settings beats a random policy after 4,096 steps, reproducibly", async () => {
  const run = () => trainPPO({ seed: 0, maxSteps: 4096, evalEvery: 2048, stopWhenSolved: false });
  const { result } = await assertBeatsRandomReproducibly(run, {
    envSteps: 4096,
    evalSteps: [2048, 4096],
  });
  assertEquals(result.updates.length, 16);
  // Within each update the value loss falls from its first epoch to its last.
  assert(result.updates.every((u) => u.valueLoss[1] < u.valueLoss[0]));
});

Deno.test("trainPPO writes the run folder and rejects a budget below one rollout", async () => {
  const dir = await Deno.makeTempDir();
  const result = await trainPPO({
    seed: 2,
    maxSteps: 600,
    evalEvery: 256,
    outDir: dir,
    runId: "p",
  });
  // 600 steps allow two rollouts of 8 x 32; the budget is never exceeded.
  assertEquals(result.envSteps, 512);
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/p/summary.json`));
  assertEquals([summary.method, summary.envSteps, summary.solved], ["ppo", 512, false]);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/p/config.json`));
  assertEquals(config.config.gaeLambda, 0.8);
  await assertRejects(() => trainPPO({ seed: 0, maxSteps: 100 }), RangeError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PPO presets resolve for all five envs with the Zoo's budgets", () => {
  assertEquals(zooEnvIds("ppo"), [
    "CartPole-v1",
    "Pendulum-v1",
    "MountainCar-v0",
    "MountainCarContinuous-v0",
    "Acrobot-v1",
  ]);
  assertEquals(
    zooEnvIds("ppo").map((id) => zooBudget("ppo", id)),
    [100_000, 100_000, 1_000_000, 20_000, 1_000_000],
  );
  const mcc = PPO_ZOO_PRESETS["MountainCarContinuous-v0"].config;
  assertEquals([mcc.normalize, mcc.orthoInit, mcc.vfCoef, mcc.maxGradNorm], [true, false, 0.19, 5]);
  assertEquals(PPO_ZOO_PRESETS["Pendulum-v1"].config.learningRateSchedule, "constant");
  assert(Object.isFrozen(mcc));
});

/** A Gaussian rollout: actions pushed towards -obs[0] have positive advantage. */
function gaussianRollout(rng: Rng): PpoRollout {
  const n = 256;
  const rollout: PpoRollout = {
    n,
    obsDim: 3,
    actionDim: 1,
    observations: rng.fillUniform(new Float32Array(n * 3), -1, 1),
    actions: new Float32Array(n),
    logProbs: new Float32Array(n),
    advantages: new Float32Array(n),
    returns: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const action = rng.normal(); // the initial policy: mean ~0, std 1
    rollout.actions[i] = action;
    rollout.logProbs[i] = -0.5 * action * action - 0.5 * Math.log(2 * Math.PI);
    rollout.advantages[i] = action * -rollout.observations[i * 3]! > 0 ? 1 : -1;
    rollout.returns[i] = rollout.observations[i * 3 + 1]!;
  }
  return rollout;
}

Deno.test("a PPO update with a Gaussian policy lowers its losses and moves the log-std, without leaking", () => {
  const rng = new Rng(6);
  const config = PPO_ZOO_PRESETS["Pendulum-v1"].config;
  const net = makeActorCritic(3, 1, { config, rng: rng.stream("init"), continuous: true });
  const rollout = gaussianRollout(rng.stream("data"));
  ppoUpdate(net, rollout, { config, clipRange: 0.2, rng: rng.stream("mb") });
  const before = tf.memory().numTensors;
  const stats = ppoUpdate(net, rollout, { config, clipRange: 0.2, rng: rng.stream("mb2") });
  assertEquals(tf.memory().numTensors, before);
  assertLess(stats.valueLoss.at(-1)!, stats.valueLoss[0]!);
  assertLess(stats.policyLoss.at(-1)!, stats.policyLoss[0]!);
  assert(net.logStd!.dataSync()[0] !== 0);
  disposeActorCritic(net);
});

Deno.test("trainPPO runs the Gaussian policy on Pendulum-v1 and VecNormalize on MountainCarContinuous-v0 from their presets", async () => {
  const dir = await Deno.makeTempDir();
  const pendulum = await trainPPO({
    envName: "Pendulum-v1",
    seed: 0,
    maxSteps: 4096,
    evalEvery: 4096,
    evalEpisodes: 2,
    outDir: dir,
    runId: "p",
  });
  assertEquals([pendulum.envSteps, pendulum.updates.length], [4096, 1]);
  assert(Number.isFinite(pendulum.finalEvalMean!) && pendulum.finalEvalMean! < 0);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/p/config.json`));
  assertEquals(config.config, PPO_ZOO_PRESETS["Pendulum-v1"].config);
  assertEquals(config.threshold, -200);
  const mcc = await trainPPO({
    envName: "MountainCarContinuous-v0",
    seed: 0,
    maxSteps: 64,
    evalEvery: 64,
    evalEpisodes: 1,
  });
  assertEquals(mcc.updates.length, 8);
  assert(mcc.updates.every((u) => u.valueLoss.every(Number.isFinite)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainPPO frees its networks when a run throws midway, and refuses a bad schedule", async () => {
  for (const envName of ["CartPole-v1", "Pendulum-v1"] as const) {
    const before = tf.memory().numTensors;
    await assertRejects(
      () =>
        trainPPO({
          envName,
          seed: 0,
          maxSteps: 1024,
          evalEvery: 256,
          evalEpisodes: 1,
          config: { nSteps: 64 },
          onProgress: () => {
            throw new Error("stop here");
          },
        }),
      Error,
      "stop here",
    );
    assertEquals(tf.memory().numTensors, before);
  }
  await assertRejects(
    () =>
      trainPPO({
        seed: 0,
        config: { learningRateSchedule: "cosine" as "linear" },
      }),
    TypeError,
    'Expected learningRateSchedule to be "linear" or "constant" but found cosine',
  );
});

/** The largest per-tensor `sqrt(sum (a - b)^2 / sum b^2)` over two gradient lists. */
function relativeError(hand: tf.Tensor[], reference: tf.Tensor[]): number {
  assertEquals(hand.length, reference.length);
  let worst = 0;
  hand.forEach((g, i) => {
    const a = g.dataSync();
    const b = reference[i]!.dataSync();
    assertEquals(a.length, b.length);
    let diff = 0;
    let norm = 0;
    for (let j = 0; j < a.length; j++) {
      diff += (a[j]! - b[j]!) ** 2;
      norm += b[j]! ** 2;
    }
    assert(norm > 0, `reference gradient ${i} is all zeros`);
    worst = Math.max(worst, Math.sqrt(diff / norm));
  });
  return worst;
}

Deno.test("PPO's hand-arranged gradients equal tf.variableGrads for categorical and Gaussian policies", () => {
  const rng = new Rng(11);
  for (const continuous of [false, true]) {
    const config = { ...PPO_ZOO_CARTPOLE, entCoef: 0.01 };
    const obsDim = continuous ? 3 : 4;
    const k = continuous ? 1 : 2;
    const net = makeActorCritic(obsDim, k, {
      config,
      rng: rng.stream(`init${continuous}`),
      continuous,
    });
    const rollout = continuous ? gaussianRollout(rng.stream("g")) : fakeRollout(rng.stream("c"));
    // Old log-probs away from the current ones, so that some ratios fall outside the clip range.
    rollout.logProbs.forEach((v, i) => rollout.logProbs[i] = v + 0.1 * Math.sin(i));
    rollout.advantages.forEach((v, i) => rollout.advantages[i] = v + 0.3 * Math.cos(i));
    const rows = Int32Array.from({ length: 64 }, (_, i) => 3 * i);
    const clipRange = 0.05;
    const hand = ppoGradients(net, rollout, rows, { config, clipRange });
    assert(hand.clipped > 0 && hand.clipped < 64);
    const variables = [...net.actor.variables, ...net.critic.variables];
    if (net.logStd !== null) variables.push(net.logStd);
    const obs = new Float32Array(64 * obsDim);
    const adv = new Float32Array(64);
    rows.forEach((row, i) => {
      obs.set(rollout.observations.subarray(row * obsDim, (row + 1) * obsDim), i * obsDim);
      adv[i] = rollout.advantages[row]!;
    });
    const mean = adv.reduce((a, v) => a + v, 0) / 64;
    const std = Math.sqrt(adv.reduce((a, v) => a + (v - mean) ** 2, 0) / 63);
    const normAdv = tf.tensor1d(adv.map((v) => (v - mean) / (std + 1e-8)));
    const actions = Float32Array.from(rows, (row) => rollout.actions[row]!);
    const oldLogProb = tf.tensor1d(Float32Array.from(rows, (row) => rollout.logProbs[row]!));
    const returns = tf.tensor1d(Float32Array.from(rows, (row) => rollout.returns[row]!));
    const reference = tf.variableGrads(() => {
      const x = tf.tensor2d(obs, [64, obsDim]);
      const out = net.actor.forward(x);
      let logProb: tf.Tensor1D;
      let entropy: tf.Scalar;
      if (continuous) {
        const logStd = net.logStd!;
        const z = tf.div(tf.sub(tf.tensor2d(actions, [64, 1]), out), tf.exp(logStd));
        logProb = tf.sum(
          tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), 0.5 * Math.log(2 * Math.PI)),
          1,
        ) as tf.Tensor1D;
        entropy = tf.sum(tf.add(logStd, 0.5 + 0.5 * Math.log(2 * Math.PI))) as tf.Scalar;
      } else {
        const logSoftmax = tf.logSoftmax(out);
        const mask = tf.oneHot(tf.tensor1d(Int32Array.from(actions), "int32"), 2).toFloat();
        logProb = tf.sum(tf.mul(logSoftmax, mask), 1) as tf.Tensor1D;
        entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logSoftmax), logSoftmax), 1))) as tf.Scalar;
      }
      const ratio = tf.exp(tf.sub(logProb, oldLogProb));
      const surrogate = tf.minimum(
        tf.mul(normAdv, ratio),
        tf.mul(normAdv, tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange)),
      );
      const policyLoss = tf.neg(tf.mean(surrogate));
      const valueLoss = tf.mean(tf.square(tf.sub(net.critic.forward(x).reshape([64]), returns)));
      return tf.addN([
        policyLoss,
        tf.mul(config.entCoef, tf.neg(entropy)),
        tf.mul(config.vfCoef, valueLoss),
      ]) as tf.Scalar;
    }, variables);
    const referenceGrads = variables.map((v) => reference.grads[v.name]!);
    assertLess(relativeError(hand.grads, referenceGrads), 1e-4);
    tf.dispose([...hand.grads, ...referenceGrads, reference.value, normAdv, oldLogProb, returns]);
    disposeActorCritic(net);
  }
});
