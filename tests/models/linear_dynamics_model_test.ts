import {
  assertAlmostEquals,
  assertEquals,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { LinearDynamicsModel } from "../../lib/models/mod.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { linearSystem } from "./helpers.ts";

Deno.test("LinearDynamicsModel recovers a linear system", async () => {
  const model = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  const history = await model.train(linearSystem(500, 4));
  assertEquals(history.length, 1);
  assertLess(history[0]!.trainLoss, 1e-8);
  const test = linearSystem(50, 5);
  const prediction = model.predict(test.states, test.actions);
  assertEquals(prediction.mean.length, 150);
  assertEquals(Array.from(prediction.reward), new Array(50).fill(0));
  for (let i = 0; i < prediction.mean.length; i++) {
    assertAlmostEquals(prediction.mean[i]!, test.nextStates[i]!, 1e-4);
  }
  // Deterministic: sampling is predicting.
  assertEquals(model.sample(test.states, test.actions, { rng: new Rng(0) }).mean, prediction.mean);
});

Deno.test("LinearDynamicsModel trains from a replay buffer and saves and loads its weights", async () => {
  const rng = new Rng(5);
  const batch = linearSystem(200, 6);
  const buffer = new ReplayBuffer(200, { stateDim: 3, actionDim: 1, rng });
  for (let i = 0; i < batch.size; i++) {
    buffer.add({
      state: batch.states.subarray(i * 3, i * 3 + 3),
      action: batch.actions.subarray(i, i + 1),
      nextState: batch.nextStates.subarray(i * 3, i * 3 + 3),
      reward: 0,
      terminated: false,
      truncated: false,
    });
  }
  const model = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  await model.train(buffer);
  const dir = await Deno.makeTempDir();
  await model.save(dir);
  const copy = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  await copy.load(dir);
  assertEquals(
    copy.predict(batch.states, batch.actions).mean,
    model.predict(batch.states, batch.actions).mean,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LinearDynamicsModel rejects bad settings, untrained use and mismatched data", async () => {
  assertThrows(() => new LinearDynamicsModel({ stateDim: 0, actionDim: 1 }), RangeError);
  assertThrows(() => new LinearDynamicsModel({ stateDim: 3, actionDim: 1, ridge: -1 }), RangeError);
  const model = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  assertThrows(() => model.predict(new Float32Array(3), new Float32Array(1)), Error);
  let threw = false;
  try {
    await model.train({ ...linearSystem(3, 0), stateDim: 2 });
  } catch (error) {
    threw = error instanceof TypeError;
  }
  assertEquals(threw, true);
  await model.train(linearSystem(20, 0));
  assertThrows(() => model.predict(new Float32Array(4), new Float32Array(1)), TypeError);
  assertThrows(
    () => model.predict(new Float32Array([0, NaN, 0]), new Float32Array(1)),
    RangeError,
    "Expected states[1] to be finite but found NaN",
  );
  const withInf = linearSystem(20, 0);
  withInf.actions[3] = Infinity;
  await assertRejects(() => model.train(withInf), RangeError, "actions[3]");
  assertEquals(model.settings, {
    type: "linear",
    stateDim: 3,
    actionDim: 1,
    ridge: 1e-6,
    numModels: 1,
  });
});

Deno.test("LinearDynamicsModel refuses a saved file with a changed digit", async () => {
  const model = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  await model.train(linearSystem(50, 0));
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    const file = `${dir}/linear_model.json`;
    const json = JSON.parse(await Deno.readTextFile(file));
    json.weights[0] += 1e-3;
    await Deno.writeTextFile(file, JSON.stringify(json));
    const copy = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
    await assertRejects(() => copy.load(dir), Error, "checksum");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["linear_model.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
