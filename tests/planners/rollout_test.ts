import { assert, assertEquals, assertThrows } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { CartPoleEnv, cartPoleRules } from "../../lib/envs/cart_pole.ts";
import { createDynamicsModel } from "../../lib/models/mod.ts";
import type { DynamicsModel } from "../../lib/models/types.ts";
import { type RolloutSpec, rolloutTotals } from "../../lib/planners/rollout.ts";
import { createJobBuffer, readJob, writeJob } from "../../lib/planners/plan_job.ts";
import { TrueDynamicsModel } from "../../lib/planners/true_dynamics_model.ts";
import { Rng } from "../../lib/rng.ts";

await setupBackend();

const SPEC: RolloutSpec = {
  stateDim: 4,
  envDim: 1,
  horizon: 6,
  discount: 0.9,
  shaping: Float32Array.of(0, 0, 0.05, 0),
  rewardSource: "env",
  terminationSource: "env",
  call: "predict",
};

/** Counts the rows a model is asked to predict. */
function counting(model: DynamicsModel): { model: DynamicsModel; rows: () => number } {
  let rows = 0;
  const wrapped = Object.create(model) as DynamicsModel;
  wrapped.predict = (s, a) => {
    rows += s.length / model.stateDim;
    return model.predict(s, a);
  };
  return { model: wrapped, rows: () => rows };
}

function batch(rows: number, seed: number) {
  const rng = new Rng(seed);
  const states = new Float32Array(rows * 4);
  // Two start states (two jobs), 0/1 actions: many rows share an action prefix.
  for (let r = 0; r < rows; r++) {
    states.set(r < rows / 2 ? [0, 0, 0.01, 0] : [0.1, 0, -0.02, 0], r * 4);
  }
  const actions = new Float32Array(SPEC.horizon * rows).map(() => rng.int(2));
  return { rows, states, actions };
}

Deno.test("deterministic rollouts predict each distinct action prefix once, with unchanged totals", () => {
  for (
    const make of [
      () => new TrueDynamicsModel({ env: new CartPoleEnv() }),
      () =>
        createDynamicsModel({ type: "deterministic", stateDim: 4, actionDim: 1, hiddenSizes: [8] }),
    ]
  ) {
    const inner = make();
    const { model, rows } = counting(inner);
    const b = batch(64, 1);
    const merged = new Float64Array(64);
    rolloutTotals(model, cartPoleRules, SPEC, b, { lo: 0, hi: 64, out: merged });
    assert(rows() < 64 * SPEC.horizon / 2, `merged rows ${rows()}`);
    // Each row alone: nothing to merge.
    const job = createJobBuffer();
    for (let r = 0; r < 64; r++) {
      const alone = new Float64Array(1);
      writeJob(job, SPEC, b, r, r + 1);
      rolloutTotals(inner, cartPoleRules, SPEC, readJob(job).batch, {
        lo: 0,
        hi: 1,
        out: alone,
      });
      assertEquals(alone[0], merged[r], `row ${r}`);
    }
    inner.dispose();
  }
});

Deno.test("sample rollouts replay the prepared noise and refuse to draw more", () => {
  const model = createDynamicsModel({
    type: "probabilistic",
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [8],
  });
  const b = batch(10, 2);
  const spec: RolloutSpec = { ...SPEC, call: "sample" };
  const noise = { meanNoise: new Float64Array(6 * 10 * 4), rewardNoise: new Float64Array(6 * 10) };
  const zero = new Float64Array(10);
  rolloutTotals(model, cartPoleRules, spec, { ...b, ...noise }, { lo: 0, hi: 10, out: zero });
  const predicted = new Float64Array(10);
  rolloutTotals(model, cartPoleRules, SPEC, b, { lo: 0, hi: 10, out: predicted });
  assertEquals(zero, predicted); // zero noise = the mean
  assertThrows(
    () => rolloutTotals(model, cartPoleRules, spec, b, { lo: 0, hi: 10, out: zero }),
    Error,
    "more normal values",
  );
  model.dispose();
});
