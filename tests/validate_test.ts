import { assertEquals, assertThrows } from "@std/assert";
import {
  assertFinite,
  assertFiniteArray,
  assertIndex,
  assertInRange,
  assertLength,
  assertNonNegativeInt,
  assertOneOf,
  assertPositive,
  assertPositiveInt,
  describeValue,
} from "../lib/validate.ts";

Deno.test("assertPositiveInt: TypeError for non-numbers, RangeError for other numbers", () => {
  assertPositiveInt(1, "horizon");
  assertPositiveInt(2 ** 53 - 1, "horizon");
  assertThrows(
    () => assertPositiveInt(0, "horizon"),
    RangeError,
    "Expected horizon to be a positive integer but found 0",
  );
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assertThrows(() => assertPositiveInt(bad, "horizon"), RangeError, "horizon");
  }
  assertThrows(
    () => assertPositiveInt("10", "horizon"),
    TypeError,
    'Expected horizon to be a positive integer but found "10"',
  );
  assertThrows(() => assertPositiveInt(undefined, "horizon"), TypeError, "found undefined");
});

Deno.test("assertNonNegativeInt accepts 0 and rejects negatives and fractions", () => {
  assertNonNegativeInt(0, "warmup");
  assertThrows(
    () => assertNonNegativeInt(-1, "warmup"),
    RangeError,
    "Expected warmup to be a non-negative integer but found -1",
  );
  assertThrows(() => assertNonNegativeInt(0.5, "warmup"), RangeError);
  assertThrows(() => assertNonNegativeInt(null, "warmup"), TypeError, "found null");
});

Deno.test("assertFinite and assertPositive", () => {
  assertFinite(-3.5, "reward");
  assertThrows(
    () => assertFinite(NaN, "reward"),
    RangeError,
    "Expected reward to be finite but found NaN",
  );
  assertThrows(() => assertFinite(-Infinity, "reward"), RangeError, "-Infinity");
  assertThrows(() => assertFinite("1", "reward"), TypeError, "reward");
  assertPositive(1e-9, "learningRate");
  for (const bad of [0, -1, NaN, Infinity]) {
    assertThrows(() => assertPositive(bad, "learningRate"), RangeError, "positive number");
  }
  assertThrows(() => assertPositive(true, "learningRate"), TypeError, "found true");
});

Deno.test("assertInRange: half-open by default, closed, open at the low end", () => {
  assertInRange(0, "fraction", { low: 0, high: 1 });
  assertThrows(
    () => assertInRange(1, "fraction", { low: 0, high: 1 }),
    RangeError,
    "Expected fraction to be in [0, 1) but found 1",
  );
  assertInRange(1, "beta", { low: 0, high: 1, closed: true });
  assertThrows(
    () => assertInRange(1.01, "beta", { low: 0, high: 1, closed: true }),
    RangeError,
    "in [0, 1]",
  );
  assertThrows(
    () => assertInRange(0, "level", { low: 0, high: 1, lowOpen: true }),
    RangeError,
    "Expected level to be in (0, 1) but found 0",
  );
  assertThrows(() => assertInRange(NaN, "beta", { low: 0, high: 1 }), RangeError, "NaN");
  assertThrows(
    () => assertInRange(Infinity, "alpha", { low: 0, high: Infinity, closed: true }),
    RangeError,
  );
  assertThrows(() => assertInRange("0.5", "beta", { low: 0, high: 1 }), TypeError, "beta");
});

Deno.test("assertIndex checks a Discrete(n) index", () => {
  assertIndex(0, "action", 2);
  assertIndex(1, "action", 2);
  assertThrows(
    () => assertIndex(2, "action", 2),
    RangeError,
    "Expected action to be an integer in [0, 2) but found 2",
  );
  assertThrows(() => assertIndex(-1, "action", 2), RangeError);
  assertThrows(() => assertIndex(0.5, "action", 2), RangeError);
  assertThrows(() => assertIndex(NaN, "action", 2), RangeError, "NaN");
  assertThrows(() => assertIndex([1], "action", 2), TypeError, "found [1]");
});

Deno.test("assertOneOf lists what is allowed and quotes what was found", () => {
  const ids = ["CartPole-v1", "Pendulum-v1"] as const;
  assertOneOf("Pendulum-v1", "envId", ids);
  assertThrows(
    () => assertOneOf("CartPol-v1", "envId", ids),
    RangeError,
    'Expected envId to be one of CartPole-v1, Pendulum-v1 but found "CartPol-v1"',
  );
  assertThrows(() => assertOneOf(3, "envId", ids), TypeError, "found 3");
  assertThrows(() => assertOneOf(undefined, "envId", ids), TypeError);
});

Deno.test("assertLength: TypeError for non-arrays and wrong lengths", () => {
  assertLength([1, 2], "action", 2);
  assertLength(new Float32Array(2), "action", 2);
  assertThrows(
    () => assertLength([1], "action", 2),
    TypeError,
    "Expected action to have length 2 but found length 1",
  );
  assertThrows(() => assertLength("ab", "action", 2), TypeError, '"ab"');
  assertThrows(() => assertLength({ length: 2 }, "action", 2), TypeError, "an object");
});

Deno.test("assertFiniteArray names the first bad index, for arrays and typed arrays", () => {
  assertFiniteArray([0, 1, 2], "state");
  assertFiniteArray(new Float32Array([0, 1, 2, 3]), "state", 4);
  assertFiniteArray(new Float64Array([1e308, 1e308]), "state"); // the sum overflows; items do not
  assertFiniteArray([], "state", 0);
  assertThrows(
    () => assertFiniteArray([0, 1, NaN], "state"),
    RangeError,
    "Expected state[2] to be finite but found NaN",
  );
  assertThrows(
    () => assertFiniteArray(new Float32Array([0, Infinity, NaN]), "state"),
    RangeError,
    "Expected state[1] to be finite but found Infinity",
  );
  assertThrows(
    () => assertFiniteArray([0, "1"], "state"),
    TypeError,
    'Expected state[1] to be a finite number but found "1"',
  );
  assertThrows(() => assertFiniteArray([true], "state"), TypeError, "state[0]");
  assertThrows(() => assertFiniteArray([null], "state"), TypeError, "state[0]");
  assertThrows(
    () => assertFiniteArray([0, 0], "state", 4),
    TypeError,
    "Expected state to have length 4 but found length 2",
  );
  assertThrows(() => assertFiniteArray(5, "state"), TypeError, "found 5");
  assertThrows(() => assertFiniteArray(new BigInt64Array(1), "state"), TypeError);
});

Deno.test("describeValue renders found values readably", () => {
  assertEquals(describeValue("x"), '"x"');
  assertEquals(describeValue([1, "a"]), '[1, "a"]');
  assertEquals(describeValue(new Float32Array(3)), "Float32Array of length 3");
  assertEquals(describeValue({}), "an object");
  assertEquals(describeValue(new Map()), "a Map");
  assertEquals(describeValue(NaN), "NaN");
  assertEquals(
    describeValue(Array.from({ length: 10 }, (_, i) => i)),
    "[0, 1, 2, 3, 4, 5, 6, 7, ...]",
  );
});
