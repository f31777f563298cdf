import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { chiSquare, makeTransition } from "./helpers.ts";

function makeBuffer(capacity: number, seed = 0, stateDim = 3, actionDim = 2): ReplayBuffer {
  return new ReplayBuffer(capacity, { stateDim, actionDim, rng: new Rng(seed) });
}

/** The ids (state[0]) of a batch's rows. */
function ids(states: Float32Array, stateDim = 3): number[] {
  return Array.from({ length: states.length / stateDim }, (_, i) => states[i * stateDim]!);
}

Deno.test("wrap-around keeps the newest `capacity` transitions, oldest first", () => {
  const buffer = makeBuffer(5);
  for (let id = 0; id < 12; id++) buffer.add(makeTransition(id));
  assertEquals(buffer.size, 5);
  assertEquals(buffer.capacity, 5);
  assertEquals(buffer.writePosition, 12 % 5);
  const all = buffer.all();
  assertEquals(all.size, 5);
  assertEquals(ids(all.states), [7, 8, 9, 10, 11]);
  assertEquals(ids(all.nextStates), [7.5, 8.5, 9.5, 10.5, 11.5]);
  assertEquals(Array.from(all.rewards), [3.5, 4, 4.5, 5, 5.5]);
  assertEquals(
    Array.from(all.actions).filter((_, i) => i % 2 === 0),
    [-7, -8, -9, -10, -11],
  );
  // Exactly the float32 values added, in every column.
  assertEquals(all.states.slice(3, 6), Float32Array.from([8, 8.1, 8.2]));
});

Deno.test("addBatch stores the same as adding row by row, also across the wrap", () => {
  const source = makeBuffer(100);
  for (let id = 0; id < 23; id++) {
    source.add(makeTransition(id, { terminated: id % 7 === 6, truncated: id % 11 === 10 }));
  }
  const batch = source.all();
  for (const capacity of [8, 23, 40]) {
    const byRow = makeBuffer(capacity);
    const byBatch = makeBuffer(capacity);
    for (let id = 100; id < 103; id++) {
      byRow.add(makeTransition(id));
      byBatch.add(makeTransition(id));
    }
    for (let id = 0; id < 23; id++) {
      byRow.add(makeTransition(id, { terminated: id % 7 === 6, truncated: id % 11 === 10 }));
    }
    byBatch.addBatch(batch);
    assertEquals(byBatch.all(), byRow.all(), `capacity ${capacity}`);
    assertEquals(byBatch.writePosition, byRow.writePosition);
    assertEquals(byBatch.size, byRow.size);
  }
});

Deno.test("sample and sampleSequences return the documented shapes", () => {
  const buffer = makeBuffer(50);
  for (let id = 0; id < 30; id++) buffer.add(makeTransition(id));
  const batch = buffer.sample(7);
  assertEquals(batch.size, 7);
  assertEquals([batch.stateDim, batch.actionDim], [3, 2]);
  assertEquals(batch.states.length, 21);
  assertEquals(batch.nextStates.length, 21);
  assertEquals(batch.actions.length, 14);
  assertEquals([batch.rewards.length, batch.terminated.length, batch.truncated.length], [7, 7, 7]);
  assertEquals(batch.indices.length, 7);
  // Each row is the transition in its reported slot (ids equal slots before any wrap).
  assertEquals(ids(batch.states), Array.from(batch.indices));

  const sequences = buffer.sampleSequences(4, 5);
  assertEquals([sequences.batchSize, sequences.length], [4, 5]);
  assertEquals(sequences.states.length, 4 * 6 * 3);
  assertEquals(sequences.actions.length, 4 * 5 * 2);
  assertEquals(sequences.rewards.length, 20);
  assertEquals(sequences.terminated.length, 20);
  assertEquals(sequences.truncated.length, 20);
  assertEquals(sequences.indices.length, 20);
});

Deno.test("scalar actions are accepted when actionDim is 1", () => {
  const buffer = makeBuffer(4, 0, 2, 1);
  buffer.add({
    state: [1, 2],
    action: 1,
    nextState: [3, 4],
    reward: 1,
    terminated: false,
    truncated: true,
  });
  assertEquals(Array.from(buffer.all().actions), [1]);
  assertEquals(Array.from(buffer.all().truncated), [1]);
});

Deno.test("the same seed gives the same samples; another seed differs", () => {
  const draw = (seed: number) => {
    const buffer = makeBuffer(64, seed);
    for (let id = 0; id < 64; id++) buffer.add(makeTransition(id, { terminated: id % 9 === 8 }));
    return {
      uniform: buffer.sample(32),
      noReplace: buffer.sample(32, { replace: false }),
      sequences: buffer.sampleSequences(8, 3),
      split: buffer.split(0.25),
    };
  };
  assertEquals(draw(1), draw(1));
  const [a, b] = [draw(1), draw(2)];
  assertNotEquals(Array.from(a.uniform.indices), Array.from(b.uniform.indices));
  assertNotEquals(Array.from(a.noReplace.indices), Array.from(b.noReplace.indices));
  assertNotEquals(Array.from(a.sequences.indices), Array.from(b.sequences.indices));
  assertNotEquals(ids(a.split.validation.states), ids(b.split.validation.states));
});

// Pearson's statistic over K = 16 cells has (asymptotically) a chi-square distribution with
// 15 degrees of freedom when sampling is uniform; its 0.999 quantile is 37.70 (scipy
// chi2.ppf(0.999, 15)). With 1,000 expected draws per cell the asymptotic law is accurate,
// so a correct sampler exceeds the bound for only 1 seed in 1,000, while a sampler that
// skips or favours a slot (e.g. an off-by-one) gives a statistic in the thousands.
const CHI2_15_Q999 = 37.70;

Deno.test("uniform sampling is uniform over stored slots (chi-square, full and partial)", () => {
  for (const [capacity, added] of [[16, 16 * 3 + 5], [40, 16]]) {
    const buffer = makeBuffer(capacity!, 11);
    for (let id = 0; id < added!; id++) buffer.add(makeTransition(id));
    assertEquals(buffer.size, 16);
    const counts = new Float64Array(16);
    for (let call = 0; call < 200; call++) {
      for (const slot of buffer.sample(80).indices) counts[slot]!++;
    }
    const statistic = chiSquare(counts, new Float64Array(16).fill(16_000 / 16));
    assertLess(statistic, CHI2_15_Q999, `capacity ${capacity}: counts ${counts}`);
  }
});

Deno.test("sampling without replacement gives distinct slots and refuses more than stored", () => {
  const buffer = makeBuffer(20, 3);
  for (let id = 0; id < 12; id++) buffer.add(makeTransition(id));
  const batch = buffer.sample(12, { replace: false });
  assertEquals(new Set(batch.indices).size, 12);
  assertEquals([...batch.indices].sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i));
  assertThrows(() => buffer.sample(13, { replace: false }), RangeError, "at most size (12)");
});

/**
 * Adds `count` transitions in episodes of pseudo-random lengths, ending with terminated or
 * truncated; returns the flags by id.
 */
function fillEpisodes(buffer: ReplayBuffer, count: number, seed: number): boolean[] {
  const rng = new Rng(seed);
  const ends: boolean[] = [];
  let left = 1 + rng.int(9);
  for (let id = 0; id < count; id++) {
    left--;
    const end = left === 0;
    if (end) left = 1 + rng.int(9);
    ends.push(end);
    const truncated = end && rng.uniform() < 0.3;
    buffer.add(makeTransition(id, { terminated: end && !truncated, truncated }));
  }
  return ends;
}

Deno.test("sequences never cross an episode boundary or the write position", () => {
  for (const [capacity, count] of [[50, 137], [200, 137]]) {
    const buffer = makeBuffer(capacity!, 5);
    const ends = fillEpisodes(buffer, count!, 9);
    const oldestId = count! - buffer.size;
    for (const length of [1, 3, 5]) {
      // Brute force: window of ids i..i+length-1 is valid when it is stored and no step but
      // the last ends an episode.
      const valid = new Set<number>();
      for (let i = oldestId; i + length <= count!; i++) {
        if (!ends.slice(i, i + length - 1).some(Boolean)) valid.add(i);
      }
      assertEquals(buffer.countSequences(length), valid.size);
      const batch = buffer.sampleSequences(3000, length);
      const seen = new Set<number>();
      for (let b = 0; b < batch.batchSize; b++) {
        const first = batch.states[b * (length + 1) * 3]!;
        seen.add(first);
        for (let t = 0; t < length; t++) {
          const row = b * length + t;
          // Slots advance by one around the ring, and ids by one: no jump from the newest
          // transition back to the oldest.
          assertEquals(batch.indices[row], (batch.indices[b * length]! + t) % capacity!);
          assertEquals(batch.actions[row * 2], -(first + t));
          assertEquals(batch.rewards[row], (first + t) / 2);
          // states[b, t + 1] is the nextState of step t.
          assertEquals(batch.states[(b * (length + 1) + t + 1) * 3], first + t + 0.5);
          const end = batch.terminated[row]! | batch.truncated[row]!;
          assertEquals(end === 1, ends[first + t], `flag of id ${first + t}`);
          if (t < length - 1) assertEquals(end, 0, "an episode end inside a window");
        }
      }
      // Every valid window and no other is drawn (3,000 draws over at most 137 windows: a window is missed with probability (1 - 1/137)^3000 < 1e-9).
      assertEquals([...seen].sort((x, y) => x - y), [...valid].sort((x, y) => x - y));
    }
  }
});

Deno.test("windows stop at the newest transition of a running episode", () => {
  const buffer = makeBuffer(6, 2);
  for (let id = 0; id < 8; id++) buffer.add(makeTransition(id)); // one episode, still running
  // Stored ids 2..7; windows of 3 start at ids 2..5 (starting at 6 would wrap to id 2).
  assertEquals(buffer.countSequences(3), 4);
  const batch = buffer.sampleSequences(200, 3);
  const firsts = new Set(ids(batch.states).filter((_, i) => i % 4 === 0));
  assertEquals([...firsts].sort((x, y) => x - y), [2, 3, 4, 5]);
  assertEquals(buffer.countSequences(6), 1);
  assertEquals(buffer.countSequences(7), 0);
});

Deno.test("sampleSequences throws when no window fits", () => {
  const buffer = makeBuffer(10);
  for (let id = 0; id < 6; id++) buffer.add(makeTransition(id, { terminated: id % 2 === 1 }));
  assertEquals(buffer.countSequences(2), 3);
  assertEquals(buffer.countSequences(3), 0);
  assertThrows(() => buffer.sampleSequences(4, 3), RangeError, "window of length 3");
  assertThrows(() => buffer.sampleSequences(4, 7), RangeError);
  assertThrows(() => buffer.sampleSequences(0, 2), RangeError, "batchSize");
  assertThrows(() => buffer.sampleSequences(2, 0), RangeError, "length");
});

Deno.test("split is a seeded random partition, chronological within each part", () => {
  const buffer = makeBuffer(30, 4);
  for (let id = 0; id < 47; id++) buffer.add(makeTransition(id));
  const { train, validation } = buffer.split(0.2);
  assertEquals([train.size, validation.size], [24, 6]);
  const trainIds = ids(train.states);
  const validationIds = ids(validation.states);
  assertEquals(
    [...trainIds, ...validationIds].sort((x, y) => x - y),
    Array.from({ length: 30 }, (_, i) => 17 + i),
  );
  assertEquals(trainIds, [...trainIds].sort((x, y) => x - y));
  assertEquals(validationIds, [...validationIds].sort((x, y) => x - y));
  // Rows stay whole: each row's action and reward belong to its state.
  assertEquals(Array.from(validation.rewards), validationIds.map((id) => id / 2));
  // An explicit stream reproduces the partition; the buffer's own stream moves on.
  assertEquals(buffer.split(0.2, new Rng(8)), buffer.split(0.2, new Rng(8)));
  assertNotEquals(ids(buffer.split(0.2).validation.states), validationIds);
  assertEquals(buffer.split(0).validation.size, 0);
  assertEquals(buffer.split(0.001).validation.size, 1);
  assertThrows(() => buffer.split(1), RangeError, "validationFraction");
  assertThrows(() => buffer.split(Number.NaN), RangeError);
});

Deno.test("episodeCount counts ended episodes plus a running one", () => {
  const buffer = makeBuffer(100);
  assertEquals(buffer.episodeCount, 0);
  buffer.add(makeTransition(0));
  assertEquals(buffer.episodeCount, 1);
  buffer.add(makeTransition(1, { terminated: true }));
  assertEquals(buffer.episodeCount, 1);
  buffer.add(makeTransition(2, { truncated: true }));
  buffer.add(makeTransition(3));
  assertEquals(buffer.episodeCount, 3);
});

Deno.test("clear empties the buffer and later adds start again at slot 0", () => {
  const buffer = makeBuffer(4);
  for (let id = 0; id < 6; id++) buffer.add(makeTransition(id));
  buffer.clear();
  assertEquals([buffer.size, buffer.writePosition, buffer.episodeCount], [0, 0, 0]);
  assertEquals(buffer.all().size, 0);
  assertThrows(() => buffer.sample(1), RangeError, "non-empty");
  assertEquals(buffer.add(makeTransition(9)), 0);
  assertEquals(ids(buffer.all().states), [9]);
});

Deno.test("bad construction arguments are rejected", () => {
  const rng = new Rng(0);
  for (const capacity of [0, -3, 2.5, Number.NaN, Infinity]) {
    assertThrows(
      () => new ReplayBuffer(capacity, { stateDim: 1, actionDim: 1, rng }),
      RangeError,
      "capacity to be a positive integer",
    );
  }
  assertThrows(() => new ReplayBuffer(4, { stateDim: 0, actionDim: 1, rng }), RangeError);
  assertThrows(() => new ReplayBuffer(4, { stateDim: 2, actionDim: 1.5, rng }), RangeError);
  assertThrows(
    () => new ReplayBuffer(4, { stateDim: 2, actionDim: 1 } as never),
    TypeError,
    "rng",
  );
});

Deno.test("bad transitions are rejected and leave the buffer unchanged", () => {
  const buffer = makeBuffer(4, 0, 2, 1);
  const good = {
    state: [0, 1],
    action: [1],
    nextState: [1, 2],
    reward: 1,
    terminated: false,
    truncated: false,
  };
  buffer.add(good);
  const before = buffer.all();
  const cases: [Record<string, unknown>, ErrorConstructor | RangeErrorConstructor, string][] = [
    [{ state: [0, 1, 2] }, TypeError, "state to have length 2"],
    [{ nextState: [1] }, TypeError, "nextState to have length 2"],
    [{ action: [0, 1] }, TypeError, "action to have length 1"],
    [{ reward: Number.NaN }, RangeError, "Expected reward to be finite but found NaN"],
    [{ reward: Infinity }, RangeError, "reward"],
    [{ reward: 1e39 }, RangeError, "in float32"],
    [{ reward: "1" }, TypeError, 'reward to be a finite number but found "1"'],
    [{ state: [0, 1e39] }, RangeError, "state[1] to be finite in float32"],
    [{ state: [0, "1"] }, TypeError, "state[1]"],
    [{ action: 1e39 }, RangeError, "action to be finite in float32"],
    [{ state: [0, Number.NaN] }, RangeError, "state[1]"],
    [{ nextState: [-Infinity, 0] }, RangeError, "nextState[0]"],
    [{ action: [Number.NaN] }, RangeError, "action[0]"],
    [{ state: "ab" }, TypeError, "state to be an array"],
    [{ state: null }, TypeError, "state"],
    [{ terminated: "yes" }, TypeError, "terminated to be a boolean"],
    [{ truncated: 2 }, TypeError, "truncated"],
  ];
  for (const [change, type, message] of cases) {
    assertThrows(() => buffer.add({ ...good, ...change } as never), type, message);
  }
  assertThrows(() => makeBuffer(4, 0, 2, 2).add({ ...good, action: 1 }), TypeError, "action");
  assertEquals(buffer.size, 1);
  assertEquals(buffer.all(), before);
});

Deno.test("bad batches and sample arguments are rejected", () => {
  const buffer = makeBuffer(8);
  const source = makeBuffer(8);
  for (let id = 0; id < 3; id++) source.add(makeTransition(id));
  const batch = source.all();
  assertThrows(() => makeBuffer(8, 0, 2, 2).addBatch(batch), TypeError, "stateDim 2");
  assertThrows(
    () => buffer.addBatch({ ...batch, rewards: Float32Array.of(0, Number.NaN, 0) }),
    RangeError,
    "batch.rewards[1]",
  );
  assertThrows(
    () => buffer.addBatch({ ...batch, states: new Float32Array(8) }),
    TypeError,
    "batch.states to have length 9",
  );
  assertThrows(
    () => buffer.addBatch({ ...batch, terminated: Uint8Array.of(0, 2, 0) }),
    RangeError,
    "0 or 1",
  );
  assertThrows(
    () => buffer.addBatch({ ...batch, actions: Array.from(batch.actions) as never }),
    TypeError,
    "Float32Array",
  );
  assertEquals(buffer.size, 0);
  assertThrows(() => buffer.sample(4), RangeError, "non-empty");
  buffer.addBatch(batch);
  for (const batchSize of [0, -1, 1.5, Number.NaN]) {
    assertThrows(() => buffer.sample(batchSize), RangeError, "batchSize");
  }
  assertThrows(() => buffer.gather([0, 3]), RangeError, "indices[1]");
  assertThrows(() => buffer.gather([-1]), RangeError);
  assertAlmostEquals(buffer.gather([2]).rewards[0]!, 1);
  assert(buffer.sample(50).indices.every((slot) => slot < 3));
  assertThrows(() => buffer.gather("01" as never), TypeError, "indices");
  assertThrows(() => buffer.gather([NaN]), RangeError, "indices[0]");
  assertThrows(() => buffer.sample(2, { replace: "no" } as never), TypeError, "replace");
  assertThrows(() => buffer.sample(2, null as never), TypeError, "sample options");
  assertThrows(() => buffer.sample("2" as never), TypeError, "batchSize");
  assertThrows(() => buffer.sampleSequences(2, NaN), RangeError, "length");
  assertThrows(() => buffer.split(NaN), RangeError, "validationFraction");
  assertThrows(() => buffer.split(1), RangeError, "Expected validationFraction to be in [0, 1)");
});

Deno.test("a buffer given a Discrete action space refuses out-of-range actions", () => {
  const rng = new Rng(0);
  const buffer = new ReplayBuffer(8, {
    stateDim: 2,
    actionDim: 1,
    rng,
    actionSpace: { kind: "discrete", n: 2 },
  });
  assertEquals(buffer.actionSpace, { kind: "discrete", n: 2 });
  const good = {
    state: [0, 1],
    action: 1,
    nextState: [1, 2],
    reward: 1,
    terminated: 0,
    truncated: 0,
  };
  buffer.add(good);
  buffer.add({ ...good, action: [0] });
  assertThrows(
    () => buffer.add({ ...good, action: 2 }),
    RangeError,
    "Expected action to be an integer in [0, 2) but found 2",
  );
  assertThrows(() => buffer.add({ ...good, action: [0.5] }), RangeError, "action");
  assertThrows(() => buffer.add({ ...good, action: -1 }), RangeError, "action");
  const batch = buffer.all();
  assertThrows(
    () => buffer.addBatch({ ...batch, actions: Float32Array.of(1, 3) }),
    RangeError,
    "Expected batch.actions[1] to be an integer in [0, 2) but found 3",
  );
  assertEquals(buffer.size, 2);
  // Loading with the space checks what the file holds.
  const plain = new ReplayBuffer(4, { stateDim: 2, actionDim: 1, rng });
  plain.add({ ...good, action: 5 });
  assertThrows(
    () => ReplayBuffer.fromJSON(plain.toJSON(), { actionSpace: { kind: "discrete", n: 2 } }),
    Error,
    "outside the action space Discrete(2)",
  );
  assertEquals(
    ReplayBuffer.fromJSON(buffer.toJSON(), { actionSpace: { kind: "discrete", n: 2 } }).size,
    2,
  );
  // A Box space (an env's own actionSpace fits) only needs finite actions.
  const box = new ReplayBuffer(4, {
    stateDim: 2,
    actionDim: 1,
    rng,
    actionSpace: { kind: "box", low: [-2], high: [2], shape: [1] } as never,
  });
  box.add({ ...good, action: 5 });
  assertEquals(box.actionSpace, undefined);
  assertThrows(
    () =>
      new ReplayBuffer(4, {
        stateDim: 2,
        actionDim: 2,
        rng,
        actionSpace: { kind: "discrete", n: 2 },
      }),
    TypeError,
    "actionDim to be 1",
  );
  assertThrows(
    () =>
      new ReplayBuffer(4, {
        stateDim: 2,
        actionDim: 1,
        rng,
        actionSpace: { kind: "discrete", n: 0 },
      }),
    RangeError,
    "actionSpace.n",
  );
  assertThrows(
    () =>
      new ReplayBuffer(4, { stateDim: 2, actionDim: 1, rng, actionSpace: { kind: "x" } as never }),
    TypeError,
    "actionSpace.kind",
  );
});
