import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import {
  createDynamicsModel,
  EnsembleDynamicsModel,
  evaluateModel,
  loadDynamicsModel,
  Normalizer,
  ProbabilisticDynamicsModel,
} from "../../lib/models/mod.ts";
import { Rng } from "../../lib/rng.ts";
import {
  cartPoleRandom,
  heteroscedastic,
  linearSystem,
  makeBatch,
  trueNoiseStd,
} from "./helpers.ts";

await setupBackend();

Deno.test("a deterministic model learns a linear system to near-zero validation error", async () => {
  const model = new ProbabilisticDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    probabilistic: false,
    hiddenSizes: [64, 64],
    learningRate: 1e-3,
    rng: new Rng(0),
  });
  const history = await model.train(linearSystem(2000, 0), {
    epochs: 40,
    patience: 40,
    batchSize: 64,
  });
  assertGreater(history.length, 1);
  // Normalised-target MSE: 1.0 would be predicting the mean.
  assertLess(Math.min(...history.map((row) => row.valLoss)), 0.01);
  assertLess(history.at(-1)!.trainLoss, history[0]!.trainLoss);
  const report = evaluateModel(model, linearSystem(500, 1), { horizons: 1 });
  assertLess(report.stateMse, 0.01 * report.baselineStateMse);
  assertLess(report.rewardMse, 0.01);
  assertEquals(report.calibration, undefined);
  model.dispose();
});

Deno.test("a probabilistic model learns heteroscedastic noise and is calibrated", async () => {
  const model = new ProbabilisticDynamicsModel({
    stateDim: 1,
    actionDim: 1,
    hiddenSizes: [32, 32],
    learningRate: 3e-3,
    rng: new Rng(0),
  });
  await model.train(heteroscedastic(3000, 10), { epochs: 60, patience: 10, batchSize: 128 });
  const heldOut = heteroscedastic(4000, 99);
  const prediction = model.predict(heldOut.states, heldOut.actions);
  // The noise std grows threefold across the state range: compare the mean predicted std with
  // the mean true std in five state bins (a single noise level would be 60% off at the ends).
  const predicted = new Array<number>(5).fill(0);
  const truth = new Array<number>(5).fill(0);
  heldOut.states.forEach((s, i) => {
    const bin = Math.min(4, Math.floor((s + 1) / 0.4));
    predicted[bin]! += prediction.std![i]!;
    truth[bin]! += trueNoiseStd(s);
  });
  predicted.forEach((p, bin) => {
    const ratio = p / truth[bin]!;
    assert(Math.abs(ratio - 1) <= 0.2, `bin ${bin}: predicted/true std = ${ratio}`);
  });
  assertAlmostEquals(prediction.stateLogStd![0]!, Math.log(prediction.std![0]!), 1e-6);
  assertEquals(prediction.stateMean, prediction.mean);
  const report = evaluateModel(model, heldOut, { horizons: 1 });
  const within1 = report.calibration!.within1Sigma[0]!;
  const within2 = report.calibration!.within2Sigma[0]!;
  assert(Math.abs(within1 - 0.68) <= 0.05, `1-sigma coverage ${within1}`);
  assert(Math.abs(within2 - 0.95) <= 0.05, `2-sigma coverage ${within2}`);
  model.dispose();
});

Deno.test("on CartPole random play the model beats next=current by 100x; rollouts and termination", async () => {
  const model = new ProbabilisticDynamicsModel({
    stateDim: 4,
    actionDim: 1,
    probabilistic: false,
    learnTermination: true,
    hiddenSizes: [64, 64],
    learningRate: 1e-3,
    rng: new Rng(0),
  });
  const history = await model.train(cartPoleRandom(3000, 0), {
    epochs: 30,
    patience: 30,
    batchSize: 64,
  });
  assert("valTermLoss" in history[0]!);
  const heldOut = cartPoleRandom(1000, 5);
  const report = evaluateModel(model, heldOut, { horizons: 10 });
  assertGreater(report.baselineStateMse / report.stateMse, 100);
  assertEquals(report.rolloutMse.length, 10);
  assertEquals(report.rolloutMsePerDim[9]!.length, 4);
  assertGreater(report.numSequences, 100);
  // Open-loop errors compound.
  assertLess(report.rolloutMse[0]!, report.rolloutMse[9]!);
  // Better than always predicting "not terminal" (about 95% of random-play steps).
  let terminal = 0;
  for (const t of heldOut.terminated) terminal += t;
  assertGreater(report.terminationAccuracy!, 1 - terminal / heldOut.size + 0.01);
  model.dispose();
});

Deno.test("an ensemble separates epistemic from aleatoric variance and picks elites", async () => {
  const model = new EnsembleDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    hiddenSizes: [32, 32],
    numModels: 3,
    numElites: 2,
    learningRate: 3e-3,
    rng: new Rng(0),
  });
  const history = await model.train(linearSystem(1000, 0), { epochs: 15, batchSize: 64 });
  assert(history.every((row) => Number.isFinite(row.valNll)));
  assertEquals(model.elites.length, 2);
  assertEquals(model.numMembers, 3);
  const near = model.predict(new Float32Array([0.2, 0.1, -0.3]), new Float32Array([0.5]));
  const far = model.predict(new Float32Array([5, -5, 5]), new Float32Array([3]));
  for (let j = 0; j < 3; j++) {
    // Members agree on the data and disagree far from it.
    assertGreater(far.epistemicVar![j]!, 10 * near.epistemicVar![j]!);
    const total = near.aleatoricVar![j]! + near.epistemicVar![j]!;
    assertAlmostEquals(near.std![j]! ** 2, total, 1e-6 + 1e-4 * total);
  }
  model.dispose();
});

Deno.test("propagation: ts1, tsinf and expectation choose members as documented", async () => {
  const model = new EnsembleDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    probabilistic: false,
    hiddenSizes: [16],
    numModels: 3,
    rng: new Rng(1),
  });
  await model.train(linearSystem(300, 2), { epochs: 2 });
  const n = 60;
  const states = new Float32Array(n * 3).fill(0.3);
  const actions = new Float32Array(n).fill(-0.2);
  const distinct = (xs: Float32Array) => new Set(Array.from(xs.filter((_, i) => i % 3 === 0)));
  const ts1 = model.sample(states, actions, { rng: new Rng(5), propagation: "ts1" });
  assertEquals(distinct(ts1.mean).size, 3);
  const again = model.sample(states, actions, { rng: new Rng(5), propagation: "ts1" });
  assertEquals(again.mean, ts1.mean);
  const same = model.sample(states, actions, {
    rng: new Rng(5),
    propagation: "tsinf",
    members: new Int32Array(n).fill(1),
  });
  assertEquals(distinct(same.mean).size, 1);
  const spread = model.sample(states, actions, { rng: new Rng(5), propagation: "tsinf" });
  // Default member of row i is i % 3.
  assertEquals(Array.from(spread.mean.subarray(0, 3)), Array.from(spread.mean.subarray(9, 12)));
  const expectation = model.sample(states, actions, {
    rng: new Rng(5),
    propagation: "expectation",
  });
  assertEquals(expectation.mean, model.predict(states, actions).mean);
  assertThrows(
    () =>
      model.sample(states, actions, {
        rng: new Rng(0),
        members: new Int32Array(2),
        propagation: "tsinf",
      }),
    RangeError,
    "one entry per row",
  );
  model.dispose();
});

Deno.test("a probabilistic model's samples scatter with the predicted std", async () => {
  const model = new ProbabilisticDynamicsModel({
    stateDim: 1,
    actionDim: 1,
    hiddenSizes: [16],
    learningRate: 3e-3,
    rng: new Rng(0),
  });
  await model.train(heteroscedastic(500, 3), { epochs: 3 });
  const n = 4000;
  const states = new Float32Array(n).fill(0.5);
  const actions = new Float32Array(n).fill(0);
  const { mean, std } = model.predict(states.subarray(0, 1), actions.subarray(0, 1));
  const sampled = model.sample(states, actions, { rng: new Rng(9) }).mean;
  let m = 0;
  for (const x of sampled) m += x / n;
  let v = 0;
  for (const x of sampled) v += (x - m) ** 2 / (n - 1);
  assertAlmostEquals(m, mean[0]!, 4 * std![0]! / Math.sqrt(n));
  assertAlmostEquals(Math.sqrt(v), std![0]!, 0.05 * std![0]!);
  model.dispose();
});

Deno.test("the same seed gives identical weights and losses; another seed does not", async () => {
  const run = async (seed: number) => {
    const model = createDynamicsModel({
      type: "ensemble",
      stateDim: 3,
      actionDim: 1,
      hiddenSizes: [16],
      numModels: 2,
      rng: new Rng(seed),
    });
    const history = await model.train(linearSystem(400, 0), { epochs: 3 });
    const weights = model.getWeights();
    model.dispose();
    return { losses: history.map((row) => [row.trainLoss, row.valLoss]), weights };
  };
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  assertEquals(a.losses, b.losses);
  assertEquals(a.weights, b.weights);
  assertNotEquals(a.losses, c.losses);
});

Deno.test("save then load gives identical predictions; corrupt or mismatched files fail clearly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = new EnsembleDynamicsModel({
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: [16, 16],
      numModels: 3,
      numElites: 2,
      learnTermination: true,
      rng: new Rng(0),
    });
    const data = cartPoleRandom(400, 1);
    await model.train(data, { epochs: 2 });
    await model.save(dir);
    const loaded = await loadDynamicsModel(dir);
    assert(loaded instanceof EnsembleDynamicsModel);
    assertEquals(loaded.elites, model.elites);
    const before = model.predict(data.states, data.actions);
    const after = loaded.predict(data.states, data.actions);
    assertEquals(after, before);
    const into = new EnsembleDynamicsModel({
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: [16, 16],
      numModels: 3,
      learnTermination: true,
      rng: new Rng(77),
    });
    await into.load(dir);
    assertEquals(into.predict(data.states, data.actions), before);

    const other = new EnsembleDynamicsModel({
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: [32, 16],
      numModels: 3,
      learnTermination: true,
    });
    await assertRejects(() => other.load(dir), Error, "hiddenSizes");
    const single = new ProbabilisticDynamicsModel({ stateDim: 4, actionDim: 1 });
    await assertRejects(() => single.load(dir), Error, "does not match");

    const bin = await Deno.readFile(`${dir}/weights.bin`);
    bin[10] = bin[10]! ^ 0xff;
    await Deno.writeFile(`${dir}/weights.bin`, bin);
    await assertRejects(() => loadDynamicsModel(dir), Error, "checksum");
    await Deno.writeFile(`${dir}/weights.bin`, bin.subarray(0, 100));
    await assertRejects(() => loadDynamicsModel(dir), Error, "bytes");
    await Deno.writeTextFile(`${dir}/model.json`, "{ not json");
    await assertRejects(() => loadDynamicsModel(dir), Error, "Corrupt");
    await assertRejects(() => loadDynamicsModel(`${dir}/missing`), Error, "Cannot read");
    for (const m of [model, loaded, into, other, single]) m.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernel and tfjs inference agree to 1e-5; the engine is saved with the model", async () => {
  const data = cartPoleRandom(300, 2);
  const models = (["kernel", "tfjs"] as const).map((inference) =>
    new EnsembleDynamicsModel({
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: [32, 32],
      numModels: 3,
      learnTermination: true,
      activation: "swish",
      inference,
      rng: new Rng(3),
    })
  );
  for (const m of models) await m.train(data, { epochs: 2 });
  const [kernel, tfjs] = models as [EnsembleDynamicsModel, EnsembleDynamicsModel];
  assertEquals(kernel.settings.inference, "kernel");
  assertEquals(tfjs.settings.inference, "tfjs");
  const a = kernel.predict(data.states, data.actions);
  const b = tfjs.predict(data.states, data.actions);
  for (const key of ["mean", "std", "reward", "epistemicVar", "terminationProb"] as const) {
    const x = a[key]!;
    const y = b[key]!;
    assertEquals(x.length, y.length);
    for (let i = 0; i < x.length; i++) {
      assertAlmostEquals(x[i]!, y[i]!, 1e-5 * (1 + Math.abs(y[i]!)), `${key}[${i}]`);
    }
  }
  const sa = kernel.sample(data.states, data.actions, { rng: new Rng(9) });
  const sb = tfjs.sample(data.states, data.actions, { rng: new Rng(9) });
  for (let i = 0; i < sa.mean.length; i++) {
    assertAlmostEquals(sa.mean[i]!, sb.mean[i]!, 1e-4 * (1 + Math.abs(sb.mean[i]!)));
  }
  const dir = await Deno.makeTempDir();
  try {
    await tfjs.save(dir);
    const loaded = await loadDynamicsModel(dir);
    assertEquals(loaded.settings.inference, "tfjs");
    assertEquals(loaded.predict(data.states, data.actions), b);
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(
    () =>
      new ProbabilisticDynamicsModel({
        stateDim: 1,
        actionDim: 1,
        inference: "gpu" as "tfjs",
      }),
    RangeError,
    "Expected inference to be one of kernel, tfjs but found gpu",
  );
  for (const m of models) m.dispose();
});

Deno.test("bad input gives clear errors", async () => {
  assertThrows(
    () => new ProbabilisticDynamicsModel({ stateDim: 3, actionDim: 1, hiddenSizes: [64, 0] }),
    RangeError,
    "hiddenSizes",
  );
  assertThrows(
    () => new ProbabilisticDynamicsModel({ stateDim: 0, actionDim: 1 }),
    RangeError,
    "stateDim",
  );
  assertThrows(
    () => new EnsembleDynamicsModel({ stateDim: 3, actionDim: 1, numModels: 2, numElites: 3 }),
    RangeError,
    "numElites",
  );
  assertThrows(
    () => createDynamicsModel({ type: "gp" as "ensemble", stateDim: 3, actionDim: 1 }),
    TypeError,
    "type",
  );
  const model = new ProbabilisticDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    hiddenSizes: [8],
    rng: new Rng(0),
  });
  const good = linearSystem(50, 0);
  await assertRejects(() => model.train(cartPoleRandom(20, 0)), TypeError, "stateDim 3");
  await assertRejects(() => model.train(makeBatch(3, 1, [])), RangeError, "empty buffer");
  await assertRejects(() => model.train({ all: () => makeBatch(3, 1, []) }), RangeError, "found 0");
  const withNaN = linearSystem(50, 0);
  withNaN.nextStates[7] = NaN;
  await assertRejects(
    () => model.train(withNaN),
    RangeError,
    "Expected nextStates[7] to be finite but found NaN",
  );
  await assertRejects(() => model.train(good, { epochs: 0 }), RangeError, "epochs");
  await assertRejects(
    () => model.train(good, { validationFraction: 1 }),
    RangeError,
    "validationFraction",
  );
  assertThrows(
    () => model.predict(new Float32Array(4), new Float32Array(1)),
    TypeError,
    "whole rows of 3",
  );
  assertThrows(
    () => model.predict(new Float32Array(6), new Float32Array(1)),
    TypeError,
    "actions of length 2",
  );
  model.dispose();
  assertThrows(() => model.predict(new Float32Array(3), new Float32Array(1)), Error, "disposed");
});

Deno.test("a loss that stops being finite stops training with the epoch named", async () => {
  const model = new ProbabilisticDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    hiddenSizes: [8],
    learningRate: 1e30,
    clipNorm: 1e30,
    rng: new Rng(0),
  });
  await assertRejects(
    () => model.train(linearSystem(200, 0), { epochs: 5, batchSize: 16 }),
    Error,
    "at epoch",
  );
  model.dispose();
});

for (const inference of ["kernel", "tfjs"] as const) {
  Deno.test(`training and thousands of predict/sample calls leak no tensors (${inference} inference)`, async () => {
    const model = new EnsembleDynamicsModel({
      stateDim: 3,
      actionDim: 1,
      hiddenSizes: [16],
      numModels: 2,
      learnTermination: true,
      inference,
      rng: new Rng(0),
    });
    const data = linearSystem(200, 0);
    await model.train(data, { epochs: 1 });
    const before = tf.memory().numTensors;
    await model.train(data, { epochs: 3, patience: 1 });
    assertEquals(tf.memory().numTensors, before);
    const states = data.states.subarray(0, 30);
    const actions = data.actions.subarray(0, 10);
    const rng = new Rng(1);
    for (let i = 0; i < 2000; i++) {
      model.predict(states, actions);
      model.sample(states, actions, { rng, propagation: i % 2 ? "ts1" : "expectation" });
    }
    assertEquals(tf.memory().numTensors, before);
    model.dispose();
    // Nothing of the model is left either.
    assertLess(tf.memory().numTensors, before);
  });
}

Deno.test("Normalizer fits, round-trips and keeps constant columns finite", () => {
  const data = new Float32Array([1, 5, 3, 5, 5, 5]);
  const norm = Normalizer.fit(data, 2);
  assertAlmostEquals(norm.mean[0]!, 3, 1e-6);
  assertEquals(norm.std[1], 1);
  const z = norm.normalize(data);
  assertAlmostEquals(z[0]!, -Math.sqrt(1.5), 1e-5);
  const back = norm.denormalize(z);
  for (let i = 0; i < data.length; i++) assertAlmostEquals(back[i]!, data[i]!, 1e-5);
  assertEquals(Normalizer.fromJSON(norm.toJSON()).mean, norm.mean);
  assertThrows(() => Normalizer.fit(new Float32Array(3), 2), RangeError, "multiple of 2");
});
