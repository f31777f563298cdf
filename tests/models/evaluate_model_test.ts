import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import type { TransitionBatch } from "../../lib/buffer/types.ts";
import {
  type DynamicsModel,
  type DynamicsPrediction,
  evaluateModel,
  type ModelSequences,
  ProbabilisticDynamicsModel,
} from "../../lib/models/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { makeBatch } from "./helpers.ts";

/** A hand-written model of `s' = s + a` (1-D) plus `bias`, with a fixed std. */
function fakeModel(bias: number, std?: number): DynamicsModel {
  const predict = (states: Float32Array, actions: Float32Array): DynamicsPrediction => {
    const mean = states.map((s, i) => s + actions[i]! + bias);
    const out: DynamicsPrediction = { mean, reward: new Float32Array(states.length) };
    if (std !== undefined) out.std = new Float32Array(states.length).fill(std);
    return out;
  };
  return {
    stateDim: 1,
    actionDim: 1,
    numMembers: 1,
    probabilistic: std !== undefined,
    train: () => Promise.resolve([]),
    predict,
    sample: (s, a) => predict(s, a),
    dispose: () => {},
    save: () => Promise.resolve(),
  };
}

/** Episodes of `s' = s + a` with optional noise, concatenated; episodes end truncated. */
function episodes(count: number, length: number, noise = 0, seed = 0): TransitionBatch {
  const rng = new Rng(seed);
  const rows = [];
  for (let e = 0; e < count; e++) {
    let s = rng.uniformRange(-1, 1);
    for (let t = 0; t < length; t++) {
      const a = rng.uniformRange(-0.1, 0.1);
      const next = Math.fround(s + a + noise * rng.normal());
      rows.push({ s: [s], a: [a], next: [next], r: 0 });
      s = next;
    }
  }
  const batch = makeBatch(1, 1, rows);
  for (let e = 0; e < count; e++) batch.truncated[(e + 1) * length - 1] = 1;
  return batch;
}

Deno.test("evaluateModel: an exact model has zero error; a biased one compounds k * bias", () => {
  const data = episodes(3, 12);
  const exact = evaluateModel(fakeModel(0), data, { horizons: 5 });
  assertEquals(exact.n, 36);
  assertAlmostEquals(exact.stateMse, 0, 1e-10);
  for (const e of exact.rolloutMse) assertAlmostEquals(e, 0, 1e-10);
  // Windows of 5 inside 3 episodes of 12 rows: 8 each; none crosses an episode boundary.
  assertEquals(exact.numSequences, 24);
  const biased = evaluateModel(fakeModel(0.1), data, { horizons: 5 });
  assertAlmostEquals(biased.stateMse, 0.01, 1e-6);
  biased.rolloutMse.forEach((e, k) => assertAlmostEquals(e, ((k + 1) * 0.1) ** 2, 1e-5));
  assertEquals(biased.stateMsePerDim.length, 1);
  assertEquals(biased.calibration, undefined);
});

Deno.test("evaluateModel: explicit sequences as arrays or a sequence batch", () => {
  const data = episodes(2, 6);
  const asArrays = evaluateModel(fakeModel(0.2), data, {
    horizons: 3,
    sequences: [episodes(1, 4, 0, 5), episodes(1, 3, 0, 6)],
  });
  assertEquals(asArrays.numSequences, 2);
  asArrays.rolloutMse.forEach((e, k) => assertAlmostEquals(e, ((k + 1) * 0.2) ** 2, 1e-5));
  const seq: ModelSequences = {
    batchSize: 1,
    length: 2,
    stateDim: 1,
    actionDim: 1,
    states: new Float32Array([0, 1, 3]),
    actions: new Float32Array([1, 2]),
    rewards: new Float32Array(2),
  };
  const fromBatch = evaluateModel(fakeModel(0), data, { horizons: 2, sequences: seq });
  assertEquals(fromBatch.rolloutMse, [0, 0]);
  assertThrows(
    () => evaluateModel(fakeModel(0), data, { horizons: 3, sequences: seq }),
    RangeError,
    "length at least 3",
  );
  assertThrows(() => evaluateModel(fakeModel(0), data, { horizons: 0 }), RangeError, "horizons");
  assertThrows(() => evaluateModel(fakeModel(0), makeBatch(1, 1, [])), RangeError, "found 0");
});

Deno.test("evaluateModel: calibration of a correct Gaussian is 68% / 95%", () => {
  const data = episodes(20, 200, 0.05, 1);
  const right = evaluateModel(fakeModel(0, 0.05), data, { horizons: 1 });
  assertAlmostEquals(right.calibration!.within1Sigma[0]!, 0.6827, 0.03);
  assertAlmostEquals(right.calibration!.within2Sigma[0]!, 0.9545, 0.02);
  const overconfident = evaluateModel(fakeModel(0, 0.025), data, { horizons: 1 });
  assertAlmostEquals(overconfident.calibration!.within1Sigma[0]!, 0.383, 0.03);
});

Deno.test("evaluateModel and train accept a ReplayBuffer and its sampleSequences", async () => {
  await setupBackend();
  const buffer = new ReplayBuffer(2000, { stateDim: 1, actionDim: 1, rng: new Rng(3) });
  buffer.addBatch(episodes(10, 100, 0, 2));
  const model = new ProbabilisticDynamicsModel({
    stateDim: 1,
    actionDim: 1,
    probabilistic: false,
    hiddenSizes: [16],
    rng: new Rng(0),
  });
  const history = await model.train(buffer, { epochs: 2 });
  assertEquals(history.length, 2);
  const sequences = buffer.sampleSequences(20, 5);
  const report = evaluateModel(model, buffer, { horizons: 5, sequences });
  assertEquals(report.n, 1000);
  assertEquals(report.numSequences, 20);
  assertEquals(report.rolloutMse.length, 5);
  // The same windows given by hand as arrays of consecutive transitions give the same errors.
  const asRows = Array.from({ length: 20 }, (_, b) =>
    makeBatch(
      1,
      1,
      Array.from({ length: 5 }, (_, t) => ({
        s: [sequences.states[b * 6 + t]!],
        a: [sequences.actions[b * 5 + t]!],
        next: [sequences.states[b * 6 + t + 1]!],
        r: 0,
      })),
    ));
  const again = evaluateModel(model, buffer, { horizons: 5, sequences: asRows });
  assertEquals(again.rolloutMse, report.rolloutMse);
  model.dispose();
});
