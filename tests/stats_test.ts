import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  binomialHalfCdf,
  mean,
  median,
  orderStatisticInterval,
  quantile,
  std,
} from "../lib/stats.ts";

Deno.test("mean and population std of known values", () => {
  assertEquals(mean([1, 2, 3, 6]), 3);
  assertEquals(mean([5]), 5);
  assertEquals(std([2, 4, 4, 4, 5, 5, 7, 9]), 2); // population: sum of squares 32 / 8
  assertEquals(std([3]), 0);
  // numpy 2.4.6: np.mean([0.1, 0.2, 0.3]), np.std([0.1, 0.2, 0.3])
  assertAlmostEquals(mean([0.1, 0.2, 0.3]), 0.20000000000000004, 1e-16);
  assertAlmostEquals(std([0.1, 0.2, 0.3]), 0.0816496580927726, 1e-16);
});

Deno.test("median of odd and even counts, order-independent", () => {
  assertEquals(median([7, 1, 3]), 3);
  assertEquals(median([10, 2, 4, 8]), 6);
  assertEquals(median([0.1, 0.7, 0.2, 0.3]), 0.25); // numpy: np.median
  assertEquals(median([5]), 5);
});

Deno.test("quantile matches numpy's default (linear) to the last bit", () => {
  const data = [0.1, 0.7, 0.2, 0.3, 9.5, -1.25, 3.3];
  // From numpy 2.4.6: [repr(float(np.quantile(data, q))) for q in qs]
  const expected: [number, number][] = [
    [0, -1.25],
    [0.1, -0.43999999999999995],
    [0.25, 0.15000000000000002],
    [0.3, 0.18],
    [0.5, 0.3],
    [0.75, 2.0],
    [0.9, 5.780000000000002],
    [0.99, 9.127999999999997],
    [1, 9.5],
  ];
  for (const [q, value] of expected) assertEquals(quantile(data, q), value, `q = ${q}`);
  assertEquals(quantile([1, 2, 3, 4], 0.25), 1.75);
  assertEquals(quantile([4, 3, 2, 1], 0.5), median([1, 2, 3, 4]));
  assertEquals(data, [0.1, 0.7, 0.2, 0.3, 9.5, -1.25, 3.3]); // input not sorted in place
});

Deno.test("empty input and NaN are RangeErrors, non-numbers TypeErrors, in every function", () => {
  const fns: [string, (values: number[]) => unknown][] = [
    ["mean", mean],
    ["std", std],
    ["median", median],
    ["quantile", (v) => quantile(v, 0.5)],
    ["orderStatisticInterval", (v) => orderStatisticInterval(v)],
  ];
  for (const [name, fn] of fns) {
    assertThrows(() => fn([]), RangeError, "non-empty", name);
    assertThrows(() => fn([1, NaN]), RangeError, "values[1] to be finite but found NaN", name);
    assertThrows(() => fn([Infinity]), RangeError, "values[0]", name);
    assertThrows(() => fn([1, "2" as unknown as number]), TypeError, "values[1]", name);
    assertThrows(() => fn(undefined as unknown as number[]), TypeError, "values", name);
  }
  assertThrows(() => quantile([1, 2], 1.5), RangeError, "Expected q to be in [0, 1]");
  assertThrows(() => quantile([1, 2], NaN), RangeError, "q");
});

Deno.test("order-statistic interval: coverage from the binomial, [min, max] for five values", () => {
  assertEquals(binomialHalfCdf(5, 0), 1 / 32);
  assertEquals(binomialHalfCdf(4, 4), 1);
  assertEquals(binomialHalfCdf(4, -1), 0);
  assertEquals(orderStatisticInterval([5, 1, 4, 2, 3]), {
    low: 1,
    high: 5,
    confidence: 0.9375,
    k: 1,
  });
  // n = 20: P(Bin(20, 1/2) <= 5) = 0.0207, so k = 6 gives 95.86% coverage and k = 7 does not.
  const values = Array.from({ length: 20 }, (_, i) => 20 - i);
  const interval = orderStatisticInterval(values);
  assertEquals([interval.low, interval.high, interval.k], [6, 15, 6]);
  assertAlmostEquals(interval.confidence, 1 - 2 * binomialHalfCdf(20, 5), 1e-15);
  assertEquals(orderStatisticInterval([7]).confidence, 0);
  assertThrows(() => orderStatisticInterval([1, 2], 1), RangeError, "level");
  assertThrows(() => orderStatisticInterval([1, 2], 0), RangeError, "level");
});
