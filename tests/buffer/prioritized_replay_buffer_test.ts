import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { PrioritizedReplayBuffer, ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { chiSquare, makeTransition } from "./helpers.ts";

function makeBuffer(
  capacity: number,
  options: Partial<ConstructorParameters<typeof PrioritizedReplayBuffer>[1]> = {},
): PrioritizedReplayBuffer {
  return new PrioritizedReplayBuffer(capacity, {
    stateDim: 3,
    actionDim: 2,
    rng: new Rng(0),
    ...options,
  });
}

Deno.test("new transitions get the current max priority, 1 in an empty buffer", () => {
  const buffer = makeBuffer(4, { alpha: 0.5, epsilon: 0 });
  assertInstanceOf(buffer, ReplayBuffer);
  assertEquals(buffer.maxPriority, 1);
  assertEquals(buffer.priority(buffer.add(makeTransition(0))), 1);
  buffer.updatePriorities([0], [16]);
  assertEquals(buffer.priority(0), 4); // (16 + 0)^0.5
  assertEquals(buffer.priority(buffer.add(makeTransition(1))), 4);
  buffer.updatePriorities([0, 1], [0.25, 0.81]); // p^alpha 0.5 and 0.9: the max drops to 0.9
  const source = makeBuffer(8);
  for (let id = 2; id < 5; id++) source.add(makeTransition(id));
  buffer.addBatch(source.all()); // fills slots 2, 3 and wraps to 0
  for (const slot of [2, 3, 0]) assertAlmostEquals(buffer.priority(slot), 0.9, 1e-12);
  assertAlmostEquals(buffer.priority(1), 0.9, 1e-12);
  buffer.clear();
  assertEquals([buffer.size, buffer.maxPriority], [0, 1]);
});

Deno.test("importance-sampling weights match the formula computed by hand", () => {
  // alpha 0.5, epsilon 0: priorities 1, 4, 9, 16 give p^alpha = 1, 2, 3, 4, so P = 0.1, 0.2,
  // 0.3, 0.4 and N = 4. With beta 0.5: w_i = (4 P_i)^-0.5 / (4 * 0.1)^-0.5, i.e.
  // w = [1, 1/sqrt(2), 1/sqrt(3), 1/2] (normalised by the buffer-wide max, P_min = 0.1).
  const buffer = makeBuffer(8, { alpha: 0.5, epsilon: 0, beta: 0.5 });
  for (let id = 0; id < 4; id++) buffer.add(makeTransition(id));
  buffer.updatePriorities([0, 1, 2, 3], [1, 4, 9, 16]);
  const byHand = [1, 1 / Math.SQRT2, 1 / Math.sqrt(3), 0.5];
  const batch = buffer.sample(200);
  assertEquals(new Set(batch.indices).size, 4);
  batch.indices.forEach((slot, i) => {
    assertAlmostEquals(batch.weights[i]!, byHand[slot]!, 1e-6);
    assertEquals(batch.states[i * 3], slot); // the row is the transition in that slot
  });
  // The normaliser is the buffer-wide max, not the batch's: a batch of one is not weight 1.
  for (let call = 0; call < 20; call++) {
    const one = buffer.sample(1);
    assertAlmostEquals(one.weights[0]!, byHand[one.indices[0]!]!, 1e-6);
  }
  // beta 0 gives weights 1; beta 1 gives (N P_i)^-1 / (N P_min)^-1 = 0.1 / P_i.
  buffer.setBeta(0);
  assert(buffer.sample(20).weights.every((w) => w === 1));
  buffer.setBeta(1);
  const full = buffer.sample(50);
  full.indices.forEach((slot, i) => {
    assertAlmostEquals(full.weights[i]!, 1 / (slot + 1), 1e-6);
  });
});

Deno.test("epsilon and alpha enter as (|error| + epsilon)^alpha", () => {
  const buffer = makeBuffer(4, { alpha: 0.6, epsilon: 0.01 });
  buffer.add(makeTransition(0));
  buffer.add(makeTransition(1));
  buffer.updatePriorities([0, 1], [0, 2]);
  assertAlmostEquals(buffer.priority(0), 0.01 ** 0.6, 1e-15);
  assertAlmostEquals(buffer.priority(1), 2.01 ** 0.6, 1e-15);
  assertEquals(makeBuffer(2).alpha, 0.6);
  assertEquals(makeBuffer(2).beta, 0.4);
  assertEquals(makeBuffer(2).epsilon, 1e-6);
});

Deno.test("beta anneals linearly per sample call and setBeta ends the schedule", () => {
  const buffer = makeBuffer(4, { beta: 0.4, betaFinal: 1, betaAnnealSamples: 4 });
  buffer.add(makeTransition(0));
  const betas: number[] = [];
  for (let call = 0; call < 6; call++) {
    betas.push(buffer.beta);
    buffer.sample(1);
  }
  [0.4, 0.55, 0.7, 0.85, 1, 1].forEach((beta, i) => assertAlmostEquals(betas[i]!, beta, 1e-12));
  buffer.setBeta(0.3);
  buffer.sample(1);
  assertEquals(buffer.beta, 0.3);
});

// Pearson's statistic over 16 cells has a chi-square law with 15 degrees of freedom when the
// draws follow P; its 0.999 quantile is 37.70 (scipy chi2.ppf(0.999, 15)). The smallest
// expected count here is ~400, so the asymptotic law is accurate: a correct sampler fails
// for 1 seed in 1,000. The same counts tested against a uniform law give a statistic in the
// thousands, which shows the test can tell the two apart.
const CHI2_15_Q999 = 37.70;

Deno.test("prioritized sampling follows the priorities (chi-square)", () => {
  const alpha = 0.6;
  const buffer = makeBuffer(16, { alpha, rng: new Rng(21) });
  for (let id = 0; id < 16 + 5; id++) buffer.add(makeTransition(id)); // wraps
  const errors = Array.from({ length: 16 }, (_, slot) => 1 + slot);
  buffer.updatePriorities(errors.map((_, slot) => slot), errors);
  const draws = 20_000;
  const counts = new Float64Array(16);
  for (let call = 0; call < 100; call++) {
    for (const slot of buffer.sample(200).indices) counts[slot]!++;
  }
  const weights = errors.map((e) => (e + 1e-6) ** alpha);
  const total = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (draws * w) / total);
  assertLess(chiSquare(counts, expected), CHI2_15_Q999, `counts ${counts}`);
  assertGreater(chiSquare(counts, new Float64Array(16).fill(draws / 16)), 1000);
});

Deno.test("alpha 0 samples uniformly whatever the priorities (chi-square)", () => {
  const buffer = makeBuffer(16, { alpha: 0, rng: new Rng(5) });
  for (let id = 0; id < 16; id++) buffer.add(makeTransition(id));
  buffer.updatePriorities(
    Array.from({ length: 16 }, (_, i) => i),
    Array.from({ length: 16 }, (_, i) => i * i),
  );
  const counts = new Float64Array(16);
  for (let call = 0; call < 80; call++) {
    const batch = buffer.sample(200);
    for (const slot of batch.indices) counts[slot]!++;
    assert(batch.weights.every((w) => Math.abs(w - 1) < 1e-6));
  }
  assertLess(chiSquare(counts, new Float64Array(16).fill(16_000 / 16)), CHI2_15_Q999);
});

Deno.test("prioritized sampling is seeded", () => {
  const draw = (seed: number) => {
    const buffer = makeBuffer(32, { rng: new Rng(seed) });
    for (let id = 0; id < 40; id++) buffer.add(makeTransition(id));
    buffer.updatePriorities([0, 5, 9], [3, 0.1, 7]);
    return buffer.sample(64);
  };
  assertEquals(draw(3), draw(3));
  assertNotEquals(Array.from(draw(3).indices), Array.from(draw(4).indices));
});

Deno.test("prioritized buffer rejects bad settings, priorities and indices", () => {
  assertThrows(() => makeBuffer(0), RangeError, "capacity");
  assertThrows(() => makeBuffer(4, { alpha: -1 }), RangeError, "alpha");
  assertThrows(() => makeBuffer(4, { beta: 1.5 }), RangeError, "beta");
  assertThrows(() => makeBuffer(4, { betaFinal: Number.NaN }), RangeError, "betaFinal");
  assertThrows(() => makeBuffer(4, { betaAnnealSamples: 2.5 }), RangeError, "betaAnnealSamples");
  assertThrows(() => makeBuffer(4, { epsilon: -1e-6 }), RangeError, "epsilon");
  const buffer = makeBuffer(4);
  assertThrows(() => buffer.sample(1), RangeError, "non-empty");
  buffer.add(makeTransition(0));
  buffer.add(makeTransition(1));
  assertThrows(() => buffer.sample(0), RangeError, "batchSize");
  assertThrows(() => buffer.sample(2, { replace: false }), TypeError, "replace");
  assertThrows(() => buffer.updatePriorities([0], [-0.5]), RangeError, "priorities[0]");
  assertThrows(() => buffer.updatePriorities([1], [Number.NaN]), RangeError, "priorities[0]");
  assertThrows(() => buffer.updatePriorities([0], [Infinity]), RangeError, "priorities[0]");
  assertThrows(() => buffer.updatePriorities([2], [1]), RangeError, "indices[0]");
  assertThrows(() => buffer.updatePriorities([0, -1], [1, 1]), RangeError, "indices[1]");
  assertThrows(() => buffer.updatePriorities([0.5], [1]), RangeError, "indices[0]");
  assertThrows(() => buffer.updatePriorities([0, 1], [1]), TypeError, "as many priorities");
  assertThrows(() => buffer.sample(2, { replace: 1 } as never), TypeError, "replace");
  assertThrows(() => buffer.setBeta(-0.1), RangeError, "beta");
  assertThrows(() => buffer.priority(3), RangeError, "slot");
  // A rejected update changes nothing, not even its valid entries.
  assertThrows(() => buffer.updatePriorities([0, 1], [5, -1]), RangeError);
  assertEquals([buffer.priority(0), buffer.priority(1)], [1, 1]);
  assertThrows(() => buffer.add({ ...makeTransition(2), reward: Number.NaN }), RangeError);
  assertEquals(buffer.size, 2);
});
