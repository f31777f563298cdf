import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { SumTree } from "../../lib/buffer/mod.ts";

/** Prefix sums of the leaves, summed left to right: `[capacity + 1]`. */
function prefixSums(leaves: Float64Array): Float64Array {
  const prefix = new Float64Array(leaves.length + 1);
  for (let i = 0; i < leaves.length; i++) prefix[i + 1] = prefix[i]! + leaves[i]!;
  return prefix;
}

const update = fc.tuple(
  fc.nat({ max: 1000 }),
  fc.oneof(
    fc.constant(0),
    fc.double({ min: 0, max: 1e3, noNaN: true }),
    fc.integer({ min: 1, max: 9 }),
  ),
);

Deno.test("sum tree invariants hold under many random updates (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.array(update, { minLength: 1, maxLength: 300 }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
        minLength: 1,
        maxLength: 20,
      }),
      (capacity, updates, fractions) => {
        const tree = new SumTree(capacity);
        const expected = new Float64Array(capacity);
        for (const [rawIndex, value] of updates) {
          const index = rawIndex % capacity;
          tree.update(index, value);
          expected[index] = value;
        }
        const leaves = tree.leaves();
        assertEquals(leaves, expected);
        const heap = tree.heap();
        const leafStart = tree.leafStart;
        assert(leafStart >= capacity && leafStart < 2 * capacity + 1);
        // Every internal node equals the sum of its children, exactly (it is recomputed as
        // that sum on every update); padding leaves stay 0.
        for (let node = 1; node < leafStart; node++) {
          assertEquals(heap[node], heap[2 * node]! + heap[2 * node + 1]!, `node ${node}`);
        }
        for (let j = capacity; j < leafStart; j++) assertEquals(heap[leafStart + j], 0);
        // The total equals the sum of the leaves (up to the order of float additions).
        const prefix = prefixSums(leaves);
        const sum = prefix[capacity]!;
        assertAlmostEquals(tree.total, sum, 1e-12 * Math.max(1, sum));
        assertEquals(tree.max, Math.max(...leaves));
        const positive = leaves.filter((v) => v > 0);
        assertEquals(tree.min, positive.length > 0 ? Math.min(...positive) : Infinity);
        if (!(tree.total > 0)) {
          assertThrows(() => tree.find(0), RangeError, "positive total");
          return;
        }
        // find(v) returns a positive leaf whose prefix interval contains v.
        const tolerance = 1e-9 * tree.total;
        for (const fraction of [0, ...fractions]) {
          const value = fraction * tree.total;
          const j = tree.find(value);
          assert(j >= 0 && j < capacity, `index ${j}`);
          assert(leaves[j]! > 0, `zero leaf ${j} returned for ${value}`);
          assert(prefix[j]! <= value + tolerance, `${value} below leaf ${j}'s interval`);
          assert(value < prefix[j + 1]! + tolerance, `${value} above leaf ${j}'s interval`);
        }
      },
    ),
    { seed: 20_240_601, numRuns: 300 },
  );
});

Deno.test("find on a small tree picks the leaf by prefix interval", () => {
  const tree = new SumTree(5);
  [2, 0, 1, 3, 4].forEach((value, index) => tree.update(index, value));
  assertEquals(tree.leafStart, 8);
  assertEquals(tree.total, 10);
  assertEquals(tree.max, 4);
  assertEquals(tree.min, 1);
  // Intervals: leaf 0 [0, 2), leaf 1 empty, leaf 2 [2, 3), leaf 3 [3, 6), leaf 4 [6, 10).
  const cases: [number, number][] = [[0, 0], [1.999, 0], [2, 2], [2.5, 2], [3, 3], [5.99, 3], [
    6,
    4,
  ], [9.999, 4]];
  for (const [value, leaf] of cases) assertEquals(tree.find(value), leaf, `find(${value})`);
  assertEquals(tree.get(3), 3);
  tree.update(3, 0);
  assertEquals(tree.find(3), 4);
  tree.clear();
  assertEquals([tree.total, tree.max, tree.min], [0, 0, Infinity]);
});

Deno.test("sum tree rejects bad capacities, indices, values and search values", () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) {
    assertThrows(() => new SumTree(capacity), RangeError, "capacity");
  }
  const tree = new SumTree(3);
  assertThrows(() => tree.update(3, 1), RangeError, "index to be an integer in [0, 3)");
  assertThrows(() => tree.update(-1, 1), RangeError, "index");
  assertThrows(() => tree.get(0.5), RangeError, "index");
  assertThrows(() => tree.update(0, -1), RangeError, "value");
  assertThrows(() => tree.update(0, Number.NaN), RangeError, "value");
  assertThrows(() => tree.update(0, Infinity), RangeError, "value");
  tree.update(1, 2);
  assertThrows(() => tree.find(2), RangeError, "[0, 2)");
  assertThrows(() => tree.find(-0.1), RangeError);
  assertThrows(() => tree.find(Number.NaN), RangeError);
});
