import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import type { TransitionBatch } from "../../lib/buffer/types.ts";
import { Normalizer } from "../../lib/models/normalizer.ts";
import { reexpressInputLayer } from "../../lib/models/reexpress_input_layer.ts";
import { ValueFunction, type ValueSuccessors } from "../../lib/models/value_function.ts";
import { Rng } from "../../lib/rng.ts";
import { makeBatch } from "./helpers.ts";

await setupBackend();

type Row = Parameters<typeof makeBatch>[2][number];

/** `copies` copies of each row, with `truncated` set where `truncatedRows` says. */
function repeatRows(rows: Row[], copies: number, truncated: boolean[] = []): TransitionBatch {
  const all: Row[] = [];
  const flags: boolean[] = [];
  for (let c = 0; c < copies; c++) {
    rows.forEach((row, i) => {
      all.push(row);
      flags.push(truncated[i] ?? false);
    });
  }
  const batch = makeBatch(1, 1, all);
  flags.forEach((f, i) => (batch.truncated[i] = f ? 1 : 0));
  return batch;
}

/** A chain 0 -> 1 -> ... -> 4 -> end: reward 1 on the last (terminated) step, else 0. */
function chain(): TransitionBatch {
  const rows: Row[] = [];
  for (let i = 0; i < 5; i++) {
    rows.push({ s: [i], a: [0], next: [i === 4 ? 4 : i + 1], r: i === 4 ? 1 : 0, term: i === 4 });
  }
  return repeatRows(rows, 40);
}

/**
 * A two-state cycle 0 -> 1 -> 0 with reward 1 leaving 0 and 0 leaving 1. The step 1 -> 0
 * is `terminated` or `truncated` (a time limit) as asked.
 */
function cycle(end: "terminated" | "truncated" | "none"): TransitionBatch {
  const rows: Row[] = [
    { s: [0], a: [0], next: [1], r: 1 },
    { s: [1], a: [0], next: [0], r: 0, term: end === "terminated" },
  ];
  return repeatRows(rows, 32, [false, end === "truncated"]);
}

const probe = (...xs: number[]) => new Float32Array(xs);

Deno.test("value function: TD(0) on a deterministic chain converges to discount^(steps to the reward)", async () => {
  const value = new ValueFunction({
    stateDim: 1,
    discount: 0.9,
    targetTau: 0.1,
    learningRate: 3e-3,
    rng: new Rng(0),
  });
  const report = await value.fit(chain(), { epochs: 150, batchSize: 50 });
  assertEquals(report.steps, 150 * 4);
  assertEquals(report.epochs, 150);
  assertEquals(report.rows, 200);
  assertEquals(report.terminatedRows, 40);
  assertEquals(report.history.length, 150);
  // mean|r| = 0.2 over the rows: scale 0.2 / (1 - 0.9) = 2
  assertAlmostEquals(report.valueScale, 2, 1e-6);
  const v = value.predict(probe(0, 1, 2, 3, 4), 5);
  for (let i = 0; i < 5; i++) assertAlmostEquals(v[i]!, 0.9 ** (4 - i), 0.05, `V(${i})`);
  assert(report.loss < report.history[0]!);
  value.dispose();
});

/**
 * A random walk on states 1..5: each step moves left or right with probability 1/2; reaching 6
 * pays 1, 0 pays nothing; both end the episode. Returns 2,000 sampled steps and the
 * dynamic-programming values `[7]` of the true walk and of the sample's own
 * (certainty-equivalent) MDP, which TD(0) over the fixed sample converges to.
 */
function randomWalk(discount: number): {
  batch: TransitionBatch;
  exact: Float64Array;
  sampled: Float64Array;
} {
  const valueOf = (pRight: (s: number) => number) => {
    const v = new Float64Array(7);
    for (let sweep = 0; sweep < 500; sweep++) {
      for (let s = 1; s <= 5; s++) {
        const step = (next: number) =>
          (next === 6 ? 1 : 0) + (next % 6 === 0 ? 0 : discount * v[next]!);
        v[s] = (1 - pRight(s)) * step(s - 1) + pRight(s) * step(s + 1);
      }
    }
    return v;
  };
  const rng = new Rng(3);
  const rows: Row[] = [];
  const visits = new Float64Array(7);
  const rights = new Float64Array(7);
  for (let i = 0; i < 2000; i++) {
    const s = 1 + rng.int(5);
    const next = s + (rng.uniform() < 0.5 ? -1 : 1);
    visits[s]!++;
    if (next > s) rights[s]!++;
    rows.push({ s: [s], a: [0], next: [next], r: next === 6 ? 1 : 0, term: next % 6 === 0 });
  }
  return {
    batch: makeBatch(1, 1, rows),
    exact: valueOf(() => 0.5),
    sampled: valueOf((s) => rights[s]! / visits[s]!),
  };
}

Deno.test("value function: a stochastic random walk converges to its dynamic-programming value", async () => {
  const discount = 0.9;
  const { batch, exact, sampled } = randomWalk(discount);
  const value = new ValueFunction({
    stateDim: 1,
    discount,
    targetTau: 0.1,
    learningRate: 1e-2,
    rng: new Rng(1),
  });
  // Full-batch steps: the regression targets carry no minibatch noise.
  await value.fit(batch, { epochs: 200, batchSize: 2000, minSteps: 0 });
  const v = value.predict(probe(1, 2, 3, 4, 5), 5);
  for (let s = 1; s <= 5; s++) {
    assertAlmostEquals(v[s - 1]!, sampled[s]!, 0.01, `V(${s}) against the sample's MDP`);
    assertAlmostEquals(v[s - 1]!, exact[s]!, 0.05, `V(${s}) against the true MDP`);
  }
  value.dispose();
});

Deno.test("value function: members average away minibatch noise that one network keeps", async () => {
  const discount = 0.9;
  const { batch, sampled } = randomWalk(discount);
  // Small minibatches at a large step: each network ends its fit wherever the last noisy
  // steps left it; the mean of members started and shuffled apart is nearer the fixed point.
  // (With one shared minibatch order, 5 members and one network were within 10% of each other
  // on these seeds: their noise was the same noise.)
  const worstError = async (members: number, seed: number) => {
    const value = new ValueFunction({
      stateDim: 1,
      discount,
      targetTau: 0.1,
      learningRate: 1e-2,
      members,
      rng: new Rng(seed),
    });
    await value.fit(batch, { epochs: 3, batchSize: 8, minSteps: 0 });
    const v = value.predict(probe(1, 2, 3, 4, 5), 5);
    value.dispose();
    return Math.max(...Array.from(v, (x, i) => Math.abs(x - sampled[i + 1]!)));
  };
  for (const seed of [1, 2, 3]) {
    const single = await worstError(1, seed);
    const ensemble = await worstError(5, seed);
    assert(ensemble < single, `seed ${seed}: 5 members ${ensemble} against one ${single}`);
  }
});

Deno.test("value function: one member is the single network, bit for bit; members differ from it", async () => {
  const { batch, successors } = corridor();
  const run = async (members: number | undefined) => {
    const value = new ValueFunction({
      stateDim: 1,
      initialValue: "meanReward",
      ...(members === undefined ? {} : { members }),
      rng: new Rng(6),
    });
    await value.fit(batch, { epochs: 5, batchSize: 16, minSteps: 0, successors });
    const v = Array.from(value.predict(probe(0, 1, 2, 3, 4), 5));
    value.dispose();
    return v;
  };
  const single = await run(undefined);
  assertEquals(await run(1), single);
  assertNotEquals(await run(3), single);
});

Deno.test("value function: the discount sets the value of a cycle, and truncation keeps bootstrapping", async () => {
  const fitCycle = async (end: "terminated" | "truncated" | "none", discount: number) => {
    const value = new ValueFunction({ stateDim: 1, discount, targetTau: 0.2, rng: new Rng(2) });
    await value.fit(cycle(end), { epochs: 300, batchSize: 64, minSteps: 0 });
    const v = value.predict(probe(0, 1), 2);
    value.dispose();
    return v;
  };
  for (const discount of [0.5, 0.8]) {
    // V0 = 1 + g V1, V1 = g V0
    const v0 = 1 / (1 - discount * discount);
    for (const end of ["none", "truncated"] as const) {
      const v = await fitCycle(end, discount);
      assertAlmostEquals(v[0]!, v0, 0.05 * v0, `${end}, discount ${discount}: V(0)`);
      assertAlmostEquals(v[1]!, discount * v0, 0.05 * v0, `${end}, discount ${discount}: V(1)`);
    }
  }
  // Terminated: the step 1 -> 0 pays 0 and ends, so V1 = 0 and V0 = 1 whatever the discount.
  const v = await fitCycle("terminated", 0.8);
  assertAlmostEquals(v[0]!, 1, 0.05);
  assertAlmostEquals(v[1]!, 0, 0.05);
});

Deno.test("value function: the same seed gives identical fits; another seed does not", async () => {
  const run = async (seed: number) => {
    const value = new ValueFunction({ stateDim: 1, rng: new Rng(seed) });
    const report = await value.fit(chain(), { epochs: 3, batchSize: 32, minSteps: 0 });
    const v = value.predict(probe(0, 1, 2, 3, 4), 5);
    value.dispose();
    return { history: report.history, v: Array.from(v) };
  };
  const a = await run(7);
  assertEquals(await run(7), a);
  assertNotEquals((await run(8)).v, a.v);
});

Deno.test("value function: predicts zeros before the first fit, and its settings read back", () => {
  const value = new ValueFunction({ stateDim: 3, rng: new Rng(5) });
  assertEquals(value.isFitted, false);
  assertEquals(Array.from(value.predict(new Float32Array(6), 2)), [0, 0]);
  assertEquals(value.predict(new Float32Array(0), 0).length, 0);
  assertEquals(value.settings, {
    stateDim: 3,
    hiddenSizes: [64, 64],
    activation: "relu",
    discount: 0.99,
    learningRate: 1e-3,
    targetTau: 0.05,
    valueScale: null,
    clipNorm: null,
    clipToData: true,
    lambda: 0,
    initialValue: "zero",
    optimisticTrace: false,
    members: 1,
    seed: 5,
  });
  const custom = new ValueFunction({
    stateDim: 2,
    hiddenSizes: [16],
    activation: "tanh",
    discount: 0.9,
    learningRate: 3e-4,
    targetTau: 1,
    valueScale: 50,
    clipNorm: 10,
    lambda: 0.9,
    initialValue: "meanReward",
    optimisticTrace: true,
    members: 3,
  });
  const s = custom.settings;
  assertEquals(
    [
      s.hiddenSizes,
      s.activation,
      s.discount,
      s.learningRate,
      s.targetTau,
      s.valueScale,
      s.clipNorm,
      s.lambda,
      s.initialValue,
      s.optimisticTrace,
      s.members,
    ],
    [[16], "tanh", 0.9, 3e-4, 1, 50, 10, 0.9, "meanReward", true, 3],
  );
  value.dispose();
  custom.dispose();
});

Deno.test("reexpressInputLayer: the first layer gives the same outputs under a new normaliser", () => {
  const rng = new Rng(4);
  const dim = 3;
  const width = 5;
  const weights = rng.fillNormal(new Float32Array(dim * width));
  const bias = rng.fillNormal(new Float32Array(width));
  const old = new Normalizer([0.5, -2, 10], [1, 0.1, 4]);
  const next = new Normalizer([3, 1, -7], [2, 5, 0.5]);
  const layer = (w: Float32Array, b: Float32Array, norm: Normalizer, s: Float32Array) => {
    const x = norm.normalize(s);
    return Array.from({ length: width }, (_, k) => {
      let z = b[k]!;
      for (let j = 0; j < dim; j++) z += x[j]! * w[j * width + k]!;
      return z;
    });
  };
  const states = [Float32Array.of(0, 0, 0), Float32Array.of(4, -3, 20), Float32Array.of(-1, 8, 2)];
  const before = states.map((s) => layer(weights, bias, old, s));
  reexpressInputLayer(weights, bias, old, next);
  states.forEach((s, i) => {
    const after = layer(weights, bias, next, s);
    after.forEach((z, k) => assertAlmostEquals(z, before[i]![k]!, 1e-3 * Math.max(1, Math.abs(z))));
  });
  assertThrows(
    () => reexpressInputLayer(weights, bias, old, Normalizer.identity(2)),
    RangeError,
    "normalisers",
  );
});

Deno.test("value function: holds V constant outside the range of its data (unless told not to)", async () => {
  for (const clipToData of [true, false]) {
    const value = new ValueFunction({ stateDim: 1, clipToData, rng: new Rng(0) });
    await value.fit(chain(), { epochs: 20 }); // states and next states in [0, 4]
    const v = value.predict(probe(4, 40, 0, -40), 4);
    if (clipToData) {
      assertEquals([v[1], v[3]], [v[0], v[2]]);
    } else {
      assertNotEquals(v[1], v[0]);
      assertNotEquals(v[3], v[2]);
    }
    assertEquals(value.settings.clipToData, clipToData);
    value.dispose();
  }
});

Deno.test("value function: predictions stay within the bounds of any discounted return of the data", async () => {
  // Rewards in [0, 1] at discount 0.5: every return lies in [0, 2], wherever V is asked.
  const value = new ValueFunction({
    stateDim: 1,
    discount: 0.5,
    clipToData: false,
    rng: new Rng(3),
  });
  await value.fit(cycle("none"), { epochs: 50 });
  const v = value.predict(probe(-1e4, -50, 0, 1, 50, 1e4), 6);
  assert(v.every((x) => x >= 0 && x <= 2), `V = ${Array.from(v)}`);
  value.dispose();
});

Deno.test("value function: small data gets at least minSteps gradient steps, in whole passes", async () => {
  const value = new ValueFunction({ stateDim: 1, rng: new Rng(0) });
  const report = await value.fit(chain(), { epochs: 2, batchSize: 64, minSteps: 30 });
  assertEquals([report.epochs, report.steps, report.history.length], [8, 32, 8]); // 4 steps a pass
  const defaults = await value.fit(chain());
  assertEquals([defaults.epochs, defaults.steps, defaults.batchSize], [125, 500, 64]);
  await assertRejects(() => value.fit(chain(), { minSteps: -1 }), RangeError, "minSteps");
  value.dispose();
});

/** A chain 0 -> 1 -> ... -> 19 -> end (terminated), reward 1 on the last step, 10 episodes. */
function longChain(): TransitionBatch {
  const rows: Row[] = [];
  for (let i = 0; i < 20; i++) {
    rows.push({
      s: [i],
      a: [0],
      next: [i === 19 ? 19 : i + 1],
      r: i === 19 ? 1 : 0,
      term: i === 19,
    });
  }
  return repeatRows(rows, 10);
}

Deno.test("value function: lambda-returns carry a goal's value back along an episode in a few passes, TD(0) does not", async () => {
  const truth = 0.95 ** 19; // V(0): 19 steps before the rewarding one
  const fitted = async (lambda: number) => {
    const value = new ValueFunction({
      stateDim: 1,
      discount: 0.95,
      learningRate: 3e-3,
      lambda,
      rng: new Rng(2),
    });
    // 200 rows, 4 minibatches a pass: 160 steps, a TD(0) backup travels ~8 states.
    const report = await value.fit(longChain(), { epochs: 40, batchSize: 50, minSteps: 0 });
    const v = value.predict(probe(0, 10, 19), 3);
    value.dispose();
    return { v, report };
  };
  const td0 = await fitted(0);
  const td1 = await fitted(1);
  assertEquals(td1.report.steps, 160);
  assertAlmostEquals(td1.v[2]!, 1, 0.1, "V(19) with lambda 1");
  assertAlmostEquals(td1.v[1]!, 0.95 ** 9, 0.1, "V(10) with lambda 1");
  assertAlmostEquals(td1.v[0]!, truth, 0.1, "V(0) with lambda 1");
  // TD(0) with the same steps has not carried the reward back to the start.
  assert(td0.v[0]! < truth / 2, `TD(0) V(0) ${td0.v[0]} should lag far behind ${truth}`);
});

/** Monte Carlo returns (lambda 1) on a target network that is the online one, no clamping. */
const EXACT_LAMBDA_1 = {
  stateDim: 1,
  discount: 0.9,
  learningRate: 1e-2,
  targetTau: 1,
  lambda: 1,
  clipToData: false,
} as const;

Deno.test("value function: lambda-returns stop at episode ends and at rows that do not continue", async () => {
  // Rows 0 -> 1 (r 0) then a row whose state is not the last row's next state: 5 -> end (r 1,
  // terminated). If the return ran across the break, V(0) would be discount * 1; it must
  // stay what TD bootstraps from V(1), which no row starts from (V(1) is V at the clamp, ~V(0)).
  const rows: Row[] = [
    { s: [0], a: [0], next: [1], r: 0 },
    { s: [5], a: [0], next: [5], r: 1, term: true },
  ];
  const value = new ValueFunction({ ...EXACT_LAMBDA_1, rng: new Rng(0) });
  await value.fit(repeatRows(rows, 32), { epochs: 100, batchSize: 64, minSteps: 0 });
  const v = value.predict(probe(0, 5), 2);
  assertAlmostEquals(v[1]!, 1, 0.1, "V(5)");
  assert(v[0]! < 0.5, `V(0) ${v[0]} must not take the next row's reward`);
  value.dispose();
});

Deno.test("value function: an optimistic trace follows a continuation only where it beat V'", async () => {
  // Two episodes through state 1: A goes 0 -> 1 -> goal (reward 1), B goes 0 -> 1 -> 4 -> end
  // (reward 0). V(1) is 0.5 either way (its two rows end in 1 and in V(4) = 0). The plain
  // return gives V(0) the episodes' mean, 0.9 * (1 + 0) / 2 = 0.45; the optimistic one lets B's
  // row from 0 take V(1) = 0.5 where its own continuation (0) did worse: 0.9 * (1 + 0.5) / 2.
  const rows: Row[] = [
    { s: [0], a: [0], next: [1], r: 0 },
    { s: [1], a: [0], next: [9], r: 1, term: true },
    { s: [0], a: [0], next: [1], r: 0 },
    { s: [1], a: [0], next: [4], r: 0 },
    { s: [4], a: [0], next: [5], r: 0, term: true },
  ];
  const fitted = async (optimisticTrace: boolean) => {
    const value = new ValueFunction({ ...EXACT_LAMBDA_1, optimisticTrace, rng: new Rng(3) });
    await value.fit(repeatRows(rows, 16), { epochs: 150, batchSize: 80, minSteps: 0 });
    const v = value.predict(probe(0, 1, 4), 3);
    value.dispose();
    return v;
  };
  const plain = await fitted(false);
  const optimistic = await fitted(true);
  assertAlmostEquals(plain[1]!, 0.5, 0.05, "plain V(1)");
  assertAlmostEquals(optimistic[1]!, 0.5, 0.05, "optimistic V(1)");
  assertAlmostEquals(plain[0]!, 0.45, 0.05, "plain V(0)");
  assertAlmostEquals(optimistic[0]!, 0.675, 0.05, "optimistic V(0)");
  assertThrows(
    () => new ValueFunction({ stateDim: 1, optimisticTrace: 1 as unknown as boolean }),
    TypeError,
    "optimisticTrace",
  );
});

Deno.test('value function: initialValue "meanReward" starts V at mean(r) / (1 - discount), exact for a constant reward', async () => {
  // A cycle with -1 on both steps and no termination: V = -1 / (1 - 0.9) = -10 everywhere.
  const rows: Row[] = [
    { s: [0], a: [0], next: [1], r: -1 },
    { s: [1], a: [0], next: [0], r: -1 },
  ];
  const fitted = async (initialValue: "zero" | "meanReward") => {
    const value = new ValueFunction({ stateDim: 1, discount: 0.9, initialValue, rng: new Rng(1) });
    await value.fit(repeatRows(rows, 32), { epochs: 20, batchSize: 64, minSteps: 0 });
    const v = value.predict(probe(0, 1), 2);
    value.dispose();
    return v;
  };
  const started = await fitted("meanReward");
  // The targets -1 + 0.9 * -10 equal V: nothing moves.
  assertAlmostEquals(started[0]!, -10, 1e-3);
  assertAlmostEquals(started[1]!, -10, 1e-3);
  const zero = await fitted("zero");
  assert(zero[0]! > -5, `from 0, 20 steps leave V(0) at ${zero[0]}, far from -10`);
});

/**
 * A corridor 0..4 whose data only ever steps back (s -> max(s - 1, 0), reward -1, never
 * terminal), with each state's successors under both actions: back, and forward (s + 1,
 * reward -1, terminal from 4).
 */
function corridor(): { batch: TransitionBatch; successors: ValueSuccessors } {
  const rows: Row[] = [];
  for (let s = 0; s < 5; s++) rows.push({ s: [s], a: [0], next: [Math.max(s - 1, 0)], r: -1 });
  const batch = repeatRows(rows, 12);
  const n = batch.size;
  const successors: ValueSuccessors = {
    perRow: 2,
    states: new Float32Array(2 * n),
    rewards: new Float32Array(2 * n).fill(-1),
    terminated: new Uint8Array(2 * n),
  };
  for (let i = 0; i < n; i++) {
    const s = batch.states[i]!;
    successors.states[2 * i] = Math.max(s - 1, 0);
    successors.states[2 * i + 1] = s + 1;
    successors.terminated[2 * i + 1] = s === 4 ? 1 : 0;
  }
  return { batch, successors };
}

Deno.test("value function: model successors back up the best action (value iteration), where the data's own steps cannot", async () => {
  const { batch, successors } = corridor();
  const fitted = async (withSuccessors: boolean) => {
    const value = new ValueFunction({
      stateDim: 1,
      discount: 0.9,
      learningRate: 1e-2,
      targetTau: 1,
      lambda: 0.95, // unused with successors; the data's lambda-return otherwise
      initialValue: "meanReward",
      rng: new Rng(4),
    });
    await value.fit(batch, {
      epochs: 300,
      batchSize: 20,
      minSteps: 0,
      successors: withSuccessors ? successors : undefined,
    });
    const v = value.predict(probe(0, 1, 2, 3, 4), 5);
    value.dispose();
    return v;
  };
  const planned = await fitted(true);
  // V*(s) = -(1 - 0.9^(5 - s)) / (1 - 0.9): forward to the end, -1 a step.
  for (let s = 0; s < 5; s++) {
    assertAlmostEquals(planned[s]!, -(1 - 0.9 ** (5 - s)) / 0.1, 0.3, `V*(${s})`);
  }
  // The data alone only knows stepping back: -1 forever, -10 everywhere.
  const data = await fitted(false);
  for (let s = 0; s < 5; s++) assertAlmostEquals(data[s]!, -10, 0.3, `data V(${s})`);
});

Deno.test("value function: refuses successors of the wrong size or kind, naming them", async () => {
  const { batch, successors } = corridor();
  const value = new ValueFunction({ stateDim: 1, rng: new Rng(0) });
  const before = tf.memory().numTensors;
  await assertRejects(
    () => value.fit(batch, { successors: { ...successors, perRow: 3 } }),
    TypeError,
    "successors of 60 rows x 3",
  );
  await assertRejects(
    () => value.fit(batch, { successors: { ...successors, perRow: 0 } }),
    RangeError,
    "successors.perRow",
  );
  const bad = successors.states.slice();
  bad[5] = NaN;
  await assertRejects(
    () => value.fit(batch, { successors: { ...successors, states: bad } }),
    RangeError,
    "successors.states",
  );
  await assertRejects(
    () =>
      value.fit(batch, {
        successors: { ...successors, terminated: [] as unknown as Uint8Array },
      }),
    TypeError,
    "successors.terminated",
  );
  // A refused fit leaves no tensor behind.
  assertEquals(tf.memory().numTensors, before);
  value.dispose();
});

Deno.test("value function: fit and predict leak no tensors", async () => {
  const value = new ValueFunction({ stateDim: 1, rng: new Rng(0) });
  await value.fit(chain(), { epochs: 1, minSteps: 0 });
  value.predict(probe(0, 1), 2);
  const before = tf.memory().numTensors;
  await value.fit(chain(), { epochs: 2, batchSize: 64, minSteps: 0 });
  value.predict(probe(0, 1, 2), 3);
  assertEquals(tf.memory().numTensors, before);
  value.dispose();
  assert(tf.memory().numTensors < before);
  const lambda = new ValueFunction({ stateDim: 1, lambda: 0.8, initialValue: "meanReward" });
  await lambda.fit(chain(), { epochs: 1, minSteps: 0 });
  const start = tf.memory().numTensors;
  await lambda.fit(chain(), { epochs: 3, batchSize: 64, minSteps: 0 });
  lambda.predict(probe(0, 1), 2);
  assertEquals(tf.memory().numTensors, start);
  lambda.dispose();
  const backedUp = new ValueFunction({ stateDim: 1, rng: new Rng(0) });
  const { batch, successors } = corridor();
  await backedUp.fit(batch, { epochs: 1, minSteps: 0, successors });
  const third = tf.memory().numTensors;
  await backedUp.fit(batch, { epochs: 3, minSteps: 0, successors });
  assertEquals(tf.memory().numTensors, third);
  backedUp.dispose();
  // Members, for each kind of target: TD(0), lambda-returns, successors.
  for (const options of [{}, { lambda: 0.8 }] as const) {
    const ensemble = new ValueFunction({ stateDim: 1, members: 3, ...options, rng: new Rng(0) });
    await ensemble.fit(chain(), { epochs: 1, minSteps: 0 });
    const held = tf.memory().numTensors;
    await ensemble.fit(chain(), { epochs: 2, batchSize: 64, minSteps: 0 });
    ensemble.predict(probe(0, 1), 2);
    assertEquals(tf.memory().numTensors, held, JSON.stringify(options));
    ensemble.dispose();
    assert(tf.memory().numTensors < held);
  }
  const ensemble = new ValueFunction({ stateDim: 1, members: 3, rng: new Rng(0) });
  await ensemble.fit(batch, { epochs: 1, minSteps: 0, successors });
  const held = tf.memory().numTensors;
  await ensemble.fit(batch, { epochs: 2, minSteps: 0, successors });
  assertEquals(tf.memory().numTensors, held);
  ensemble.dispose();
});

Deno.test("value function: refuses bad options and inputs with messages naming them", async () => {
  assertThrows(() => new ValueFunction({ stateDim: 0 }), RangeError, "stateDim");
  assertThrows(() => new ValueFunction({ stateDim: 1, discount: 1 }), RangeError, "discount");
  assertThrows(() => new ValueFunction({ stateDim: 1, targetTau: 0 }), RangeError, "targetTau");
  assertThrows(() => new ValueFunction({ stateDim: 1, members: 0 }), RangeError, "members");
  assertThrows(() => new ValueFunction({ stateDim: 1, members: 1.5 }), RangeError, "members");
  assertThrows(
    () => new ValueFunction({ stateDim: 1, hiddenSizes: [8, 0] }),
    RangeError,
    "hiddenSizes[1]",
  );
  assertThrows(
    () => new ValueFunction({ stateDim: 1, learningRate: -1 }),
    RangeError,
    "learningRate",
  );
  assertThrows(() => new ValueFunction({ stateDim: 1, valueScale: 0 }), RangeError, "valueScale");
  assertThrows(
    () => new ValueFunction({ stateDim: 1, valueScale: "big" as unknown as number }),
    TypeError,
    "valueScale",
  );
  assertThrows(() => new ValueFunction({ stateDim: 1, lambda: 1.5 }), RangeError, "lambda");
  assertThrows(
    () => new ValueFunction({ stateDim: 1, initialValue: "one" as unknown as "zero" }),
    TypeError,
    "initialValue",
  );
  const value = new ValueFunction({ stateDim: 2 });
  assertThrows(
    () => value.predict(new Float32Array(3), 2),
    TypeError,
    "Expected states of length 4",
  );
  assertThrows(
    () => value.predict([0, 0] as unknown as Float32Array, 1),
    TypeError,
    "Float32Array",
  );
  assertThrows(() => value.predict(new Float32Array([0, NaN]), 1), RangeError, "states[1]");
  assertThrows(() => value.predict(new Float32Array(2), 1.5), RangeError, "n");
  await assertRejects(() => value.fit(chain()), TypeError, "stateDim 2");
  const empty = makeBatch(2, 1, []);
  await assertRejects(() => value.fit(empty), RangeError, "at least one transition");
  const bad = makeBatch(2, 1, [{ s: [0, 0], a: [0], next: [0, 0], r: NaN }]);
  await assertRejects(() => value.fit(bad), RangeError, "rewards[0]");
  const ok = makeBatch(2, 1, [{ s: [0, 0], a: [0], next: [0, 0], r: 1 }]);
  await assertRejects(() => value.fit(ok, { epochs: 0 }), RangeError, "epochs");
  value.dispose();
  assertThrows(() => value.predict(new Float32Array(2), 1), Error, "disposed");
});
