import { assert, assertAlmostEquals, assertEquals, assertGreater, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { deltaStdOf, epistemicDisagreement } from "../../lib/models/disagreement.ts";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble_model.ts";
import { writeSavedModel } from "../../lib/models/model_file.ts";
import { ProbabilisticDynamicsModel } from "../../lib/models/probabilistic_model.ts";
import { Rng } from "../../lib/rng.ts";
import { linearSystem } from "./helpers.ts";

await setupBackend();

/** An ensemble of 3 trained on the linear system of the model tests (states in [-1, 1]). */
async function trainedEnsemble(): Promise<EnsembleDynamicsModel> {
  const model = new EnsembleDynamicsModel({
    stateDim: 3,
    actionDim: 1,
    numModels: 3,
    hiddenSizes: [32, 32],
    probabilistic: false,
    rng: new Rng(0),
  });
  await model.train(linearSystem(400, 0), { epochs: 15, patience: 15 });
  return model;
}

/** Rows of 3-D states uniform in `[-r, r]` with actions in [-1, 1]. */
function rows(n: number, r: number, seed: number) {
  const rng = new Rng(seed);
  const states = rng.fillUniform(new Float32Array(n * 3), -r, r);
  const actions = rng.fillUniform(new Float32Array(n), -1, 1);
  return { states, actions };
}

const mean = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Sets every member `m` of `model` to `w0 + t * (w_m - w0)`, with `w0` member 0's weights
 * (t = 0: identical members; t = 1: the trained ones), through save and load.
 */
async function spreadMembers(
  model: EnsembleDynamicsModel,
  trained: Float32Array[][],
  t: number,
): Promise<void> {
  const base = trained[0]!;
  const memberStates = trained.map((arrays) =>
    arrays.map((w, k) => w.map((x, i) => base[k]![i]! + t * (x - base[k]![i]!)))
  );
  const dir = await Deno.makeTempDir();
  try {
    await writeSavedModel(dir, {
      config: model.config,
      inputNormalizer: model.inputNormalizer.toJSON(),
      targetNormalizer: model.targetNormalizer.toJSON(),
      elites: model.elites,
      memberStates,
    });
    await model.load(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("disagreement: the mean over dimensions of epistemicVar / deltaStd^2, by hand", () => {
  const epistemicVar = new Float32Array([0, 0, 0.01, 1, 0.04, 0.5]);
  const bonus = epistemicDisagreement({ epistemicVar }, [0.1, 1]);
  assertEquals(bonus.length, 3);
  assertEquals(bonus[0], 0);
  assertAlmostEquals(bonus[1]!, (0.01 / 0.01 + 1) / 2, 1e-6);
  assertAlmostEquals(bonus[2]!, (0.04 / 0.01 + 0.5) / 2, 1e-6);
  const out = new Float32Array(3);
  assert(epistemicDisagreement({ epistemicVar }, [0.1, 1], out) === out);
  assertEquals(Array.from(out), Array.from(bonus));
});

Deno.test("disagreement: zero for identical members, growing with their spread", async () => {
  const model = await trainedEnsemble();
  const trained = model.getWeights();
  const { states, actions } = rows(200, 1, 1);
  const deltaStd = deltaStdOf(model);
  assertEquals(deltaStd.length, 3);
  const at = async (t: number) => {
    await spreadMembers(model, trained, t);
    return epistemicDisagreement(model.predict(states, actions), deltaStd);
  };
  const same = await at(0);
  assertEquals(same.length, 200);
  assert(same.every((d) => d === 0), "identical members agree exactly");
  const spreads = [];
  for (const t of [0.25, 0.5, 1, 2]) spreads.push(mean(await at(t)));
  for (let k = 1; k < spreads.length; k++) assertGreater(spreads[k]!, spreads[k - 1]!);
  assertGreater(spreads[0]!, 0);
  model.dispose();
});

Deno.test("disagreement: larger far from the training data than on it, and finite", async () => {
  const model = await trainedEnsemble();
  const deltaStd = deltaStdOf(model);
  const near = rows(200, 1, 2);
  const far = rows(200, 20, 3);
  const onData = epistemicDisagreement(model.predict(near.states, near.actions), deltaStd);
  const offData = epistemicDisagreement(model.predict(far.states, far.actions), deltaStd);
  assert(onData.every((d) => Number.isFinite(d) && d >= 0));
  assert(offData.every((d) => Number.isFinite(d) && d >= 0));
  assertGreater(mean(offData), 10 * mean(onData));
  model.dispose();
});

Deno.test("disagreement: refuses predictions without epistemicVar and bad scales", () => {
  const single = new ProbabilisticDynamicsModel({ stateDim: 2, actionDim: 1, hiddenSizes: [8] });
  const prediction = single.predict(new Float32Array(2), new Float32Array(1));
  assertThrows(() => epistemicDisagreement(prediction, [1, 1]), TypeError, "epistemicVar");
  single.dispose();
  const epistemicVar = new Float32Array(4);
  assertThrows(() => epistemicDisagreement({ epistemicVar }, [1, 0]), RangeError, "deltaStd[1]");
  assertThrows(() => epistemicDisagreement({ epistemicVar }, [1, NaN]), RangeError, "deltaStd[1]");
  assertThrows(() => epistemicDisagreement({ epistemicVar }, [1, 1, 1]), TypeError, "whole rows");
  assertThrows(
    () => epistemicDisagreement({ epistemicVar }, [1, 1], new Float32Array(3)),
    TypeError,
    "out",
  );
});

Deno.test("disagreement: predict plus the bonus leaks no tensors", async () => {
  const model = await trainedEnsemble();
  const deltaStd = deltaStdOf(model);
  const { states, actions } = rows(50, 1, 4);
  epistemicDisagreement(model.predict(states, actions), deltaStd);
  const before = tf.memory().numTensors;
  epistemicDisagreement(model.predict(states, actions), deltaStd);
  assertEquals(tf.memory().numTensors, before);
  model.dispose();
});
