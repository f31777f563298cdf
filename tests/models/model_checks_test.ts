/**
 * The dynamics models' boundaries: bad inputs refused with the argument named, action spaces,
 * model.json integrity, read-backs of what a model is and how it was trained, the split rule.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { setupBackend } from "../../lib/backend.ts";
import {
  type BaseDynamicsModel,
  createDynamicsModel,
  type DynamicsModelType,
  loadDynamicsModel,
  validationCount,
} from "../../lib/models/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { prepareTrainingData } from "../../lib/models/training_data.ts";
import { cartPoleRandom, linearSystem } from "./helpers.ts";

await setupBackend();

const TYPES: DynamicsModelType[] = ["deterministic", "probabilistic", "ensemble"];

function small(type: DynamicsModelType, extra: Record<string, unknown> = {}): BaseDynamicsModel {
  return createDynamicsModel({
    type,
    stateDim: 3,
    actionDim: 1,
    hiddenSizes: [8],
    numModels: 2,
    rng: new Rng(0),
    ...extra,
  });
}

Deno.test("predict, sample and train refuse NaN and Infinity, naming the argument and index", async () => {
  for (const type of TYPES) {
    const model = small(type);
    const states = new Float32Array([0, 1, 2, 3, NaN, 5]);
    const actions = new Float32Array([0, 1]);
    assertThrows(
      () => model.predict(states, actions),
      RangeError,
      "Expected states[4] to be finite but found NaN",
    );
    assertThrows(
      () =>
        model.sample(new Float32Array(6), new Float32Array([0, -Infinity]), { rng: new Rng(0) }),
      RangeError,
      "Expected actions[1] to be finite but found -Infinity",
    );
    const data = linearSystem(40, 0);
    data.rewards[5] = Infinity;
    await assertRejects(
      () => model.train(data),
      RangeError,
      "Expected rewards[5] to be finite but found Infinity",
    );
    assertEquals(model.isTrained, false);
    model.dispose();
  }
});

Deno.test("wrong shapes and types are TypeErrors", () => {
  const model = small("probabilistic");
  assertThrows(
    () => model.predict(new Float32Array(4), new Float32Array(1)),
    TypeError,
    "Expected states to hold whole rows of 3 but found length 4",
  );
  assertThrows(
    () => model.predict(new Float32Array(6), new Float32Array(3)),
    TypeError,
    "Expected actions of length 2",
  );
  assertThrows(
    () => model.predict([0, 0, 0] as unknown as Float32Array, new Float32Array(1)),
    TypeError,
    "Expected states to be a Float32Array but found [0, 0, 0]",
  );
  assertThrows(
    () =>
      model.sample(new Float32Array(3), new Float64Array(1) as unknown as Float32Array, {
        rng: new Rng(0),
      }),
    TypeError,
    "Expected actions to be a Float32Array but found Float64Array of length 1",
  );
  assertThrows(
    () => model.sample(new Float32Array(3), new Float32Array(1), {} as { rng: Rng }),
    TypeError,
    "Expected options.rng to be an Rng but found undefined",
  );
  assertThrows(
    () =>
      model.sample(new Float32Array(3), new Float32Array(1), {
        rng: new Rng(0),
        propagation: "ts2" as "ts1",
      }),
    TypeError,
    "propagation",
  );
  model.dispose();
});

Deno.test("a Discrete actionSpace refuses indices it does not hold; a Box needs finite actions only", async () => {
  const model = createDynamicsModel({
    type: "ensemble",
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [8],
    numModels: 2,
    actionSpace: { kind: "discrete", n: 2 },
    rng: new Rng(0),
  });
  const states = new Float32Array(12);
  model.predict(states, new Float32Array([0, 1, 1]));
  assertThrows(
    () => model.predict(states, new Float32Array([0, 2, 1])),
    RangeError,
    "Expected actions[1] to be an integer in [0, 2) but found 2",
  );
  assertThrows(
    () => model.sample(states, new Float32Array([0, 1, 0.5]), { rng: new Rng(0) }),
    RangeError,
    "Expected actions[2] to be an integer in [0, 2) but found 0.5",
  );
  const data = cartPoleRandom(50, 0);
  data.actions[9] = -1;
  await assertRejects(() => model.train(data), RangeError, "actions[9]");
  assertEquals(model.settings.actionSpace, { kind: "discrete", n: 2 });
  model.dispose();

  const box = createDynamicsModel({
    type: "deterministic",
    stateDim: 3,
    actionDim: 1,
    hiddenSizes: [8],
    actionSpace: { kind: "box", low: [-2], high: [2], shape: [1] },
  });
  // Outside the box is allowed (the env clips); non-finite is not.
  box.predict(new Float32Array(3), new Float32Array([5]));
  assertThrows(() => box.predict(new Float32Array(3), new Float32Array([NaN])), RangeError);
  box.dispose();

  assertThrows(
    () =>
      createDynamicsModel({
        type: "probabilistic",
        stateDim: 3,
        actionDim: 2,
        actionSpace: { kind: "discrete", n: 3 },
      }),
    TypeError,
    "Expected actionDim 1 for a Discrete action space but found 2",
  );
  assertThrows(
    () =>
      createDynamicsModel({
        type: "probabilistic",
        stateDim: 3,
        actionDim: 2,
        actionSpace: { kind: "box", low: [-1], high: [1], shape: [1] },
      }),
    TypeError,
    "actionSpace.low",
  );
});

Deno.test("property: random bad inputs either predict finite values or throw a named TypeError/RangeError", () => {
  const model = createDynamicsModel({
    type: "ensemble",
    stateDim: 2,
    actionDim: 1,
    hiddenSizes: [4],
    numModels: 2,
    actionSpace: { kind: "discrete", n: 3 },
    rng: new Rng(0),
  });
  const stateValue = fc.oneof(
    { weight: 8, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
  );
  const actionValue = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(0, 1, 2) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, 3, -1, 0.5) },
  );
  // Mostly well-shaped batches (n rows) with an occasional bad value; sometimes a stray length.
  const inputs = fc.integer({ min: 0, max: 4 }).chain((n) =>
    fc.tuple(
      fc.array(stateValue, { minLength: 2 * n, maxLength: 2 * n + 1 }),
      fc.array(actionValue, { minLength: n, maxLength: n + 1 }),
    )
  );
  fc.assert(
    fc.property(
      inputs,
      fc.boolean(),
      ([s, a], useSample) => {
        const states = Float32Array.from(s);
        const actions = Float32Array.from(a);
        let out;
        try {
          out = useSample
            ? model.sample(states, actions, { rng: new Rng(1), propagation: "ts1" })
            : model.predict(states, actions);
        } catch (error) {
          assert(error instanceof TypeError || error instanceof RangeError, String(error));
          assert(/\b(states|actions)\b/.test(error.message), error.message);
          return;
        }
        assert(out.mean.every(Number.isFinite), "a prediction returned a non-finite value");
        assert(out.reward.every(Number.isFinite), "a reward was not finite");
      },
    ),
    { numRuns: 300, seed: 7 },
  );
  model.dispose();
});

Deno.test("model.json: a changed digit in a normaliser or the elites is refused; version 1 is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = small("ensemble", { numModels: 3, numElites: 2 });
    await model.train(linearSystem(100, 0), { epochs: 2 });
    await model.save(dir);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "model.json",
      "weights.bin",
    ]);
    const file = `${dir}/model.json`;
    const original = await Deno.readTextFile(file);
    const json = JSON.parse(original);
    const loaded = await loadDynamicsModel(dir);
    assertEquals(loaded.inputNormalizer.mean, model.inputNormalizer.mean);
    loaded.dispose();

    const edits: [string, (j: typeof json) => void][] = [
      ["a normaliser mean", (j) => (j.inputNormalizer.mean[0] += 0.001)],
      ["a target std", (j) => (j.targetNormalizer.std[2] *= 1.1)],
      [
        "the elites",
        (j) => (j.elites = [0, 2].every((e) => j.elites.includes(e)) ? [0, 1] : [0, 2]),
      ],
      ["the configuration", (j) => (j.config.activation = "tanh")],
    ];
    for (const [what, edit] of edits) {
      const changed = JSON.parse(original);
      edit(changed);
      await Deno.writeTextFile(file, JSON.stringify(changed, null, 2));
      await assertRejects(() => loadDynamicsModel(dir), Error, "checksum mismatch", what);
      await assertRejects(() => model.load(dir), Error, "checksum mismatch", what);
    }
    const v1 = JSON.parse(original);
    v1.version = 1;
    await Deno.writeTextFile(file, JSON.stringify(v1));
    await assertRejects(() => loadDynamicsModel(dir), Error, "version-1");
    // Whitespace does not matter; the fields and their values do.
    await Deno.writeTextFile(file, JSON.stringify(json));
    const again = await loadDynamicsModel(dir);
    again.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("settings read back what each model was built with, from its networks and optimisers", () => {
  const det = createDynamicsModel({
    type: "deterministic",
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [16, 8],
    learningRate: 1e-3,
    rng: new Rng(3),
  });
  assertEquals(det.settings, {
    type: "deterministic",
    stateDim: 4,
    actionDim: 1,
    actionSpace: null,
    hiddenSizes: [16, 8],
    activation: "relu",
    probabilistic: false,
    learnTermination: false,
    numModels: 1,
    numElites: 1,
    bootstrap: false,
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0,
    weightDecayMode: "decoupled",
    clipNorm: 10,
    maxLogStdInit: 0.25,
    minLogStdInit: -5,
    boundsWeight: 0.01,
    inference: "kernel",
    seed: 3,
    valLossKind: "mse",
  });
  det.dispose();
  const prob = createDynamicsModel({ type: "probabilistic", stateDim: 2, actionDim: 1 });
  const p = prob.settings;
  assertEquals([p.type, p.hiddenSizes, p.learningRate, p.valLossKind], [
    "probabilistic",
    [256, 256],
    3e-4,
    "nll",
  ]);
  prob.dispose();
  const ens = createDynamicsModel({
    type: "ensemble",
    stateDim: 2,
    actionDim: 1,
    hiddenSizes: [8],
    numModels: 4,
    numElites: 3,
    activation: "swish",
    learnTermination: true,
    weightDecay: 1e-4,
    weightDecayMode: "l2",
  });
  const e = ens.settings;
  assertEquals(
    [e.type, e.numModels, e.numElites, e.activation, e.learnTermination, e.weightDecay],
    ["ensemble", 4, 3, "swish", true, 1e-4],
  );
  assertEquals([e.weightDecayMode, e.bootstrap, e.probabilistic], ["l2", true, true]);
  // Each read-back field agrees with the resolved configuration of the same name.
  for (const key of Object.keys(e) as (keyof typeof e)[]) {
    if (key in ens.config) {
      assertEquals(e[key], ens.config[key as keyof typeof ens.config], key);
    }
  }
  ens.dispose();
});

Deno.test("lastTrainReport: settings, split sizes, loss kind and stop of the last train call", async () => {
  const model = small("ensemble", { numModels: 3, numElites: 2 });
  assertEquals(model.lastTrainReport, null);
  const history = await model.train(linearSystem(105, 0), {
    epochs: 3,
    batchSize: 32,
    patience: 10,
    validationFraction: 0.2,
  });
  const report = model.lastTrainReport!;
  assertEquals(report, {
    epochs: 3,
    batchSize: 32,
    validationFraction: 0.2,
    patience: 10,
    lossKind: "nll",
    trainRows: 84,
    validationRows: 21,
    epochsRun: 3,
    stoppedEarly: false,
    bestValLoss: report.bestValLoss,
    elites: [...model.elites],
  });
  assertEquals(report.bestValLoss.length, 3);
  assertEquals(history.length, 3);
  // valLoss is the NLL for probabilistic members; valMse is reported beside it.
  assertEquals(history.at(-1)!.valLoss, history.at(-1)!.valNll);
  const det = small("deterministic");
  const detHistory = await det.train(linearSystem(30, 0), { epochs: 2, validationFraction: 0 });
  assertEquals(det.lastTrainReport!.lossKind, "mse");
  assertEquals(det.lastTrainReport!.validationRows, 0);
  assertEquals(detHistory[0]!.valLoss, detHistory[0]!.valMse);
  model.dispose();
  det.dispose();
});

Deno.test("validationCount: floor, at least one when positive, never all", () => {
  const cases: [number, number, number][] = [
    [25, 0.1, 2],
    [29, 0.1, 2],
    [200, 0.1, 20],
    [5, 0.1, 1],
    [2, 0.5, 1],
    [10, 0.99, 9],
    [1, 0.5, 0],
    [100, 0, 0],
  ];
  for (const [n, f, expected] of cases) {
    assertEquals(validationCount(n, f), expected, `${n} x ${f}`);
  }
});

Deno.test("refused inputs and a failed training leak no tensors", async () => {
  const model = small("ensemble");
  const data = linearSystem(60, 0);
  await model.train(data, { epochs: 1 });
  model.predict(data.states, data.actions);
  const before = tf.memory().numTensors;
  const bad = new Float32Array(data.states);
  bad[2] = NaN;
  for (let i = 0; i < 20; i++) {
    assertThrows(() => model.predict(bad, data.actions), RangeError);
    assertThrows(() => model.sample(bad, data.actions, { rng: new Rng(0) }), RangeError);
  }
  const badData = linearSystem(60, 0);
  badData.states[0] = NaN;
  await assertRejects(() => model.train(badData), RangeError);
  assertEquals(tf.memory().numTensors, before);
  const exploding = small("probabilistic", { learningRate: 1e30, clipNorm: 1e30 });
  await exploding.train(data, { epochs: 1 }).catch(() => {});
  const mid = tf.memory().numTensors;
  await assertRejects(() => exploding.train(data, { epochs: 5, batchSize: 8 }), Error, "epoch");
  assertEquals(tf.memory().numTensors, mid);
  exploding.dispose();
  model.dispose();
});

Deno.test("prepareTrainingData's tensors are all freed by dispose", () => {
  const batch = linearSystem(50, 0);
  prepareTrainingData(batch, 3, 1, 0.2, new Rng(0)).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    const data = prepareTrainingData(batch, 3, 1, 0.2, new Rng(i));
    assertEquals([data.nTrain, data.nVal, data.xTr.shape], [40, 10, [40, 4]]);
    data.dispose();
  }
  assertEquals(tf.memory().numTensors, before);
});
