import { assert, assertEquals, assertThrows } from "@std/assert";
import { setupBackend } from "../../lib/backend.ts";
import { CartPoleEnv, cartPoleRules } from "../../lib/envs/cart_pole.ts";
import { createDynamicsModel } from "../../lib/models/mod.ts";
import type { DynamicsModel } from "../../lib/models/types.ts";
import {
  blockNoise,
  type RolloutNoise,
  type RolloutSpec,
  rolloutTotals,
} from "../../lib/planners/rollout.ts";
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
    // Through the job buffer, as a planning worker reads the batch.
    const job = createJobBuffer();
    writeJob(job, SPEC, b, Int32Array.of(0, 64));
    const shared = readJob(job).batch;
    for (let r = 0; r < 64; r++) {
      const alone = new Float64Array(1);
      rolloutTotals(inner, cartPoleRules, SPEC, shared, { lo: r, hi: r + 1, out: alone });
      assertEquals(alone[0], merged[r], `row ${r}`);
    }
    inner.dispose();
  }
});

Deno.test("sample rollouts draw each row's noise from its job's block stream, the same for any split", () => {
  const model = createDynamicsModel({
    type: "probabilistic",
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [8],
  });
  const R = 80;
  const b = batch(R, 2);
  const spec: RolloutSpec = { ...SPEC, call: "sample" };
  // Two jobs: rows [0, 45) and [45, 80).
  const noise: RolloutNoise = { seeds: Int32Array.of(3, 4), starts: Int32Array.of(0, 45, R) };
  const whole = new Float64Array(R);
  rolloutTotals(model, cartPoleRules, spec, { ...b, noise }, { lo: 0, hi: R, out: whole });
  const job = createJobBuffer();
  const bounds = Int32Array.of(0, 17, 45, 50, R);
  writeJob(job, spec, { ...b, noise }, bounds);
  const shared = readJob(job).batch;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const lo = bounds[k]!;
    const hi = bounds[k + 1]!;
    const part = new Float64Array(hi - lo);
    rolloutTotals(model, cartPoleRules, spec, shared, { lo, hi, out: part });
    assertEquals(Array.from(part), Array.from(whole.subarray(lo, hi)), `rows ${lo}-${hi}`);
  }
  // Another seed for the second job changes its rows only.
  const other = new Float64Array(R);
  rolloutTotals(model, cartPoleRules, spec, {
    ...b,
    noise: { ...noise, seeds: Int32Array.of(3, 5) },
  }, { lo: 0, hi: R, out: other });
  assertEquals(Array.from(other.subarray(0, 45)), Array.from(whole.subarray(0, 45)));
  assert(other.subarray(45).some((v, i) => v !== whole[45 + i]), "seed 5 = seed 4");
  // Without noise seeds a probabilistic model has nothing to draw from.
  assertThrows(
    () => rolloutTotals(model, cartPoleRules, spec, b, { lo: 0, hi: R, out: whole }),
    Error,
    "more normal values",
  );
  model.dispose();
});

Deno.test("block noise: standard normal, independent of the split and of the job's position", () => {
  const H = 3;
  const d = 4;
  const noise: RolloutNoise = { seeds: Int32Array.of(9), starts: Int32Array.of(0, 2000) };
  const all = blockNoise(noise, 0, 2000, H, d);
  const values = [...all.meanNoise, ...all.rewardNoise];
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  assert(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `${mean} ${variance}`);
  // Rows 100-199 of the job, seen as a share starting at row 100 of a batch where the job
  // starts at row -100 (a share that begins inside the job).
  const shifted = blockNoise(
    { seeds: noise.seeds, starts: Int32Array.of(-100, 1900) },
    0,
    100,
    H,
    d,
  );
  for (let t = 0; t < H; t++) {
    assertEquals(
      Array.from(shifted.rewardNoise.subarray(t * 100, (t + 1) * 100)),
      Array.from(all.rewardNoise.subarray(t * 2000 + 100, t * 2000 + 200)),
    );
    assertEquals(
      Array.from(shifted.meanNoise.subarray(t * 100 * d, (t + 1) * 100 * d)),
      Array.from(all.meanNoise.subarray((t * 2000 + 100) * d, (t * 2000 + 200) * d)),
    );
  }
});

Deno.test("deterministic rollouts stop predicting terminated rows, with unchanged totals", () => {
  // Start states near CartPole's angle limit, so that many rows terminate within the horizon.
  const rows = 96;
  const rng = new Rng(3);
  const states = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++) states.set([0, 0, r % 2 === 0 ? 0.19 : -0.15, 0.5], r * 4);
  const cases = [
    {
      make: () => new TrueDynamicsModel({ env: new CartPoleEnv() }),
      // Action indices: the merging branch.
      actions: new Float32Array(SPEC.horizon * rows).map(() => rng.int(2)),
    },
    {
      make: () =>
        createDynamicsModel({ type: "deterministic", stateDim: 4, actionDim: 1, hiddenSizes: [8] }),
      // Fractional actions: every row predicted as it is.
      actions: new Float32Array(SPEC.horizon * rows).map(() => rng.uniformRange(-1, 1)),
    },
  ];
  for (const { make, actions } of cases) {
    const inner = make();
    const b = { rows, states, actions };
    const skipping = counting(inner);
    const objectives = new Float64Array(rows);
    rolloutTotals(skipping.model, cartPoleRules, SPEC, b, { lo: 0, hi: rows, out: objectives });
    // With a terminal value every row's last state is written, so no row is skipped.
    const terminalSpec = { ...SPEC, terminal: true };
    const all = counting(inner);
    const withTerminal = new Float64Array(rows * 6);
    rolloutTotals(all.model, cartPoleRules, terminalSpec, b, {
      lo: 0,
      hi: rows,
      out: withTerminal,
    });
    let terminatedRows = 0;
    for (let r = 0; r < rows; r++) {
      assertEquals(objectives[r], withTerminal[r * 6], `row ${r}`);
      if (withTerminal[r * 6 + 1] === 0) terminatedRows++;
    }
    assert(terminatedRows > rows / 4, `terminated rows ${terminatedRows}`);
    assert(skipping.rows() < all.rows(), `rows ${skipping.rows()} vs ${all.rows()}`);
    inner.dispose();
  }
});
