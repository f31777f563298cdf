import { assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { LinearDynamicsModel } from "../../lib/models/mod.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import type { TransitionBatch } from "../../lib/buffer/types.ts";
import { Rng } from "../../lib/rng.ts";

/** Transitions of a known linear system s' = s + A s + b a + c. */
function linearBatch(n: number, rng: Rng): TransitionBatch {
  const states = new Float32Array(n * 2);
  const actions = new Float32Array(n);
  const nextStates = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const [x, v] = [rng.normal(), rng.normal()];
    const a = rng.int(2);
    states.set([x, v], i * 2);
    actions[i] = a;
    nextStates.set([x + 0.1 * v + 0.01, v - 0.2 * x + 0.5 * a], i * 2);
  }
  return {
    size: n,
    stateDim: 2,
    actionDim: 1,
    states,
    actions,
    nextStates,
    rewards: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
}

Deno.test("LinearDynamicsModel recovers a linear system", async () => {
  const rng = new Rng(4);
  const model = new LinearDynamicsModel({ stateDim: 2, actionDim: 1 });
  const history = await model.train(linearBatch(500, rng));
  assertEquals(history.length, 1);
  assertLess(history[0]!.trainLoss, 1e-8);
  const test = linearBatch(50, rng);
  const prediction = model.predict(test.states, test.actions);
  assertEquals(prediction.mean.length, 100);
  assertEquals(Array.from(prediction.reward), new Array(50).fill(0));
  for (let i = 0; i < prediction.mean.length; i++) {
    assertAlmostEquals(prediction.mean[i]!, test.nextStates[i]!, 1e-4);
  }
  // Deterministic: sampling is predicting.
  assertEquals(model.sample(test.states, test.actions, { rng }).mean, prediction.mean);
});

Deno.test("LinearDynamicsModel trains from a replay buffer and saves and loads its weights", async () => {
  const rng = new Rng(5);
  const batch = linearBatch(200, rng);
  const buffer = new ReplayBuffer(200, { stateDim: 2, actionDim: 1, rng });
  for (let i = 0; i < batch.size; i++) {
    buffer.add({
      state: batch.states.subarray(i * 2, i * 2 + 2),
      action: batch.actions.subarray(i, i + 1),
      nextState: batch.nextStates.subarray(i * 2, i * 2 + 2),
      reward: 0,
      terminated: false,
      truncated: false,
    });
  }
  const model = new LinearDynamicsModel({ stateDim: 2, actionDim: 1 });
  await model.train(buffer);
  const dir = await Deno.makeTempDir();
  await model.save(dir);
  const copy = new LinearDynamicsModel({ stateDim: 2, actionDim: 1 });
  await copy.load(dir);
  assertEquals(
    copy.predict(batch.states, batch.actions).mean,
    model.predict(batch.states, batch.actions).mean,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LinearDynamicsModel rejects bad settings, untrained use and mismatched data", async () => {
  assertThrows(() => new LinearDynamicsModel({ stateDim: 0, actionDim: 1 }), RangeError);
  assertThrows(() => new LinearDynamicsModel({ stateDim: 2, actionDim: 1, ridge: -1 }), RangeError);
  const model = new LinearDynamicsModel({ stateDim: 2, actionDim: 1 });
  assertThrows(() => model.predict(new Float32Array(2), new Float32Array(1)), Error);
  let threw = false;
  try {
    await model.train({ ...linearBatch(3, new Rng(0)), stateDim: 3 });
  } catch (error) {
    threw = error instanceof RangeError;
  }
  assertEquals(threw, true);
  await model.train(linearBatch(20, new Rng(0)));
  assertThrows(() => model.predict(new Float32Array(3), new Float32Array(1)), RangeError);
});
