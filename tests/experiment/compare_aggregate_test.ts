import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  aggregateMethod,
  binomialHalfCdf,
  median,
  medianInterval,
  ratio,
  stepsOrBudget,
} from "../../lib/experiment/aggregate.ts";

Deno.test("median of odd and even counts, order-independent", () => {
  assertEquals(median([7, 1, 3]), 3);
  assertEquals(median([10, 2, 4, 8]), 6);
  assertEquals(median([5]), 5);
  assertThrows(() => median([]), RangeError);
  assertThrows(() => median([1, NaN]), RangeError); // lib/stats.ts: non-finite is a RangeError
});

Deno.test("binomial(n, 1/2) cdf matches hand-computed values", () => {
  assertEquals(binomialHalfCdf(5, 0), 1 / 32);
  assertEquals(binomialHalfCdf(5, 1), 6 / 32);
  assertEquals(binomialHalfCdf(5, 5), 1);
  assertEquals(binomialHalfCdf(4, -1), 0);
});

Deno.test("order-statistic median interval: five seeds give [min, max] at 93.75%", () => {
  const interval = medianInterval([500, 100, 400, 200, 300]);
  assertEquals([interval.low, interval.high, interval.k], [100, 500, 1]);
  assertAlmostEquals(interval.confidence, 1 - 2 / 32, 1e-12);
});

Deno.test("order-statistic median interval narrows with more data", () => {
  // n = 20: P(Bin <= 5) = 0.0207, so k = 6 reaches 95.9%; k = 7 would give 88.5%.
  const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1
  const interval = medianInterval(values);
  assertEquals([interval.low, interval.high, interval.k], [6, 15, 6]);
  assertAlmostEquals(interval.confidence, 1 - 2 * binomialHalfCdf(20, 5), 1e-12);
  assertAlmostEquals(interval.confidence, 0.9586, 1e-4);
  assertThrows(() => medianInterval([1, 2], 1), RangeError);
});

Deno.test("unsolved seeds count as the budget; ratios of medians", () => {
  const outcomes = [
    { seed: 0, stepsToSolve: 300, wallSeconds: 40 },
    { seed: 1, stepsToSolve: null, wallSeconds: 90 },
    { seed: 2, stepsToSolve: 700, wallSeconds: 50 },
  ];
  assertEquals(stepsOrBudget(outcomes, 5000), [300, 5000, 700]);
  const agg = aggregateMethod(outcomes, 5000);
  assertEquals(agg.medianStepsToSolve, 700);
  assertEquals(agg.interval, [300, 5000]);
  assertEquals(agg.medianWallSeconds, 50);
  assertEquals(agg.solvedCount, 2);
  assertEquals(ratio(35000, 700), 50);
  assertEquals(ratio(1000, 300), 3.3);
  assertEquals(ratio(1, 0), null);
  assertThrows(() => stepsOrBudget(outcomes, 0), RangeError);
});
