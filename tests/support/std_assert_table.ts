/**
 * The recorded behaviour of the real `jsr:@std/assert` (version 1.0.19) on the assertions our
 * tests use: for each input, whether the assertion passes or throws an `AssertionError`.
 *
 * Where it came from: each `throws` value was recorded by running these cases against the
 * source of `@std/assert` 1.0.19 (`denoland/std` at commit
 * ca58f9427152c946ce1c1bc287d290efde1fbab7, `assert/deno.json` version 1.0.19), read from a
 * local snapshot of that repository because JSR itself cannot be reached from our machines.
 * Re-record with `deno run -A tests/support/record_std_assert_table.ts <module>`, where
 * `<module>` is `jsr:@std/assert@1.0.19` (where JSR is reachable) or a path to a checkout's
 * `assert/mod.ts`; it prints every case whose outcome differs from the table.
 *
 * `tests/std_assert_adapter_test.ts` holds the offline adapter to this table, and, where JSR
 * is reachable (`.ci/with_std_assert.ts` then maps `@std/assert` to the real package), the
 * real package too, so drift on either side fails a test.
 *
 * @module
 */

/** The assertion functions the table covers (every one our tests import). */
export type AssertName =
  | "assert"
  | "assertFalse"
  | "assertEquals"
  | "assertNotEquals"
  | "assertStrictEquals"
  | "assertAlmostEquals"
  | "assertGreater"
  | "assertGreaterOrEqual"
  | "assertLess"
  | "assertLessOrEqual"
  | "assertExists"
  | "assertInstanceOf"
  | "assertMatch"
  | "assertStringIncludes"
  | "assertArrayIncludes"
  | "fail"
  | "assertThrows"
  | "assertRejects";

/** One recorded input and outcome. */
export interface StdAssertCase {
  /** What the case shows. */
  name: string;
  /** The assertion called. */
  fn: AssertName;
  /** Its arguments, built fresh for every run (they may hold functions and mutable values). */
  args: () => unknown[];
  /** True when the real package throws an `AssertionError` (or rejects with one). */
  throws: boolean;
}

class Point {
  constructor(readonly x: number) {}
}

function thrower(error: unknown): () => never {
  return () => {
    throw error;
  };
}

/** The recorded cases; see the module notes for their source. */
export const STD_ASSERT_CASES: readonly StdAssertCase[] = Object.freeze(
  [
    // assert / assertFalse: truthiness.
    { name: "assert 1", fn: "assert", args: () => [1], throws: false },
    { name: "assert 0", fn: "assert", args: () => [0], throws: true },
    { name: "assert empty string", fn: "assert", args: () => [""], throws: true },
    { name: "assertFalse empty string", fn: "assertFalse", args: () => [""], throws: false },
    { name: "assertFalse object", fn: "assertFalse", args: () => [{}], throws: true },

    // assertEquals: deep equality with SameValueZero at every level.
    {
      name: "equals nested",
      fn: "assertEquals",
      args: () => [{ x: [1, 2] }, { x: [1, 2] }],
      throws: false,
    },
    { name: "equals differs", fn: "assertEquals", args: () => [[1, 2], [1, 3]], throws: true },
    { name: "equals NaN", fn: "assertEquals", args: () => [NaN, NaN], throws: false },
    { name: "equals -0 and 0", fn: "assertEquals", args: () => [-0, 0], throws: false },
    {
      name: "equals -0 in an object",
      fn: "assertEquals",
      args: () => [{ x: -0 }, { x: 0 }],
      throws: false,
    },
    {
      name: "equals -0 in nested arrays",
      fn: "assertEquals",
      args: () => [[[-0]], [[0]]],
      throws: false,
    },
    {
      name: "equals NaN in an object",
      fn: "assertEquals",
      args: () => [{ a: NaN }, { a: NaN }],
      throws: false,
    },
    {
      name: "equals typed arrays",
      fn: "assertEquals",
      args: () => [Float32Array.of(1, 2), Float32Array.of(1, 2)],
      throws: false,
    },
    {
      name: "equals typed arrays holding NaN",
      fn: "assertEquals",
      args: () => [Float32Array.of(NaN), Float32Array.of(NaN)],
      throws: false,
    },
    {
      name: "equals typed arrays holding -0 and 0",
      fn: "assertEquals",
      args: () => [Float64Array.of(-0), Float64Array.of(0)],
      throws: false,
    },
    {
      name: "equals typed arrays of different lengths",
      fn: "assertEquals",
      args: () => [Float32Array.of(1), Float32Array.of(1, 0)],
      throws: true,
    },
    {
      name: "equals typed vs plain array",
      fn: "assertEquals",
      args: () => [Float32Array.of(1), [1]],
      throws: true,
    },
    {
      name: "equals Float32Array vs Float64Array",
      fn: "assertEquals",
      args: () => [Float32Array.of(1), Float64Array.of(1)],
      throws: true,
    },
    {
      name: "equals a missing vs an undefined key",
      fn: "assertEquals",
      args: () => [{ a: undefined }, {}],
      throws: true,
    },
    {
      name: "equals arrays of different lengths",
      fn: "assertEquals",
      args: () => [[1, undefined], [1]],
      throws: true,
    },
    {
      name: "equals null-prototype object vs plain object",
      fn: "assertEquals",
      args: () => [Object.assign(Object.create(null), { a: 1 }), { a: 1 }],
      throws: false,
    },
    {
      name: "equals class instance vs plain object",
      fn: "assertEquals",
      args: () => [new Point(1), { x: 1 }],
      throws: true,
    },
    {
      name: "equals class instances",
      fn: "assertEquals",
      args: () => [new Point(1), new Point(1)],
      throws: false,
    },
    {
      name: "equals class instances that differ",
      fn: "assertEquals",
      args: () => [new Point(1), new Point(2)],
      throws: true,
    },
    {
      name: "equals Maps in another order",
      fn: "assertEquals",
      args: () => [
        new Map<string, unknown>([["a", 1], ["b", [2]]]),
        new Map<string, unknown>([["b", [2]], ["a", 1]]),
      ],
      throws: false,
    },
    {
      name: "equals Maps with a different value",
      fn: "assertEquals",
      args: () => [new Map([["a", 1]]), new Map([["a", 2]])],
      throws: true,
    },
    {
      name: "equals Sets in another order",
      fn: "assertEquals",
      args: () => [new Set([1, 2]), new Set([2, 1])],
      throws: false,
    },
    {
      name: "equals Sets of objects",
      fn: "assertEquals",
      args: () => [new Set([{ a: 1 }]), new Set([{ a: 1 }])],
      throws: false,
    },
    {
      name: "equals Dates",
      fn: "assertEquals",
      args: () => [new Date(5), new Date(5)],
      throws: false,
    },
    {
      name: "equals Dates that differ",
      fn: "assertEquals",
      args: () => [new Date(5), new Date(6)],
      throws: true,
    },
    { name: "equals RegExps", fn: "assertEquals", args: () => [/a/g, /a/g], throws: false },
    { name: "equals RegExp flags", fn: "assertEquals", args: () => [/a/g, /a/i], throws: true },
    { name: "equals string vs number", fn: "assertEquals", args: () => ["1", 1], throws: true },
    {
      name: "equals null vs undefined",
      fn: "assertEquals",
      args: () => [null, undefined],
      throws: true,
    },
    { name: "equals bigints", fn: "assertEquals", args: () => [1n, 1n], throws: false },
    {
      name: "equals symbol keys",
      fn: "assertEquals",
      args: () => [{ [Symbol.for("k")]: 1 }, { [Symbol.for("k")]: 2 }],
      throws: true,
    },

    // assertNotEquals: the negation of the same equality.
    { name: "notEquals", fn: "assertNotEquals", args: () => [1, 2], throws: false },
    { name: "notEquals same", fn: "assertNotEquals", args: () => [[1], [1]], throws: true },
    { name: "notEquals NaN", fn: "assertNotEquals", args: () => [NaN, NaN], throws: true },
    { name: "notEquals -0 and 0", fn: "assertNotEquals", args: () => [-0, 0], throws: true },

    // assertStrictEquals: Object.is.
    { name: "strictEquals", fn: "assertStrictEquals", args: () => [1, 1], throws: false },
    { name: "strictEquals objects", fn: "assertStrictEquals", args: () => [{}, {}], throws: true },
    { name: "strictEquals NaN", fn: "assertStrictEquals", args: () => [NaN, NaN], throws: false },
    { name: "strictEquals -0 and 0", fn: "assertStrictEquals", args: () => [-0, 0], throws: true },

    // assertAlmostEquals: the default tolerance is RELATIVE, |expected| * 1e-7 (1e-7 when
    // expected is not finite); an explicit tolerance is absolute.
    { name: "almost default", fn: "assertAlmostEquals", args: () => [1, 1 + 1e-8], throws: false },
    { name: "almost fails", fn: "assertAlmostEquals", args: () => [1, 1.001], throws: true },
    {
      name: "almost explicit tolerance",
      fn: "assertAlmostEquals",
      args: () => [1, 1.001, 0.01],
      throws: false,
    },
    {
      name: "almost default is relative: small numbers",
      fn: "assertAlmostEquals",
      args: () => [1e-8, 1e-9],
      throws: true,
    },
    {
      name: "almost default is relative: close small numbers",
      fn: "assertAlmostEquals",
      args: () => [1.000000001e-8, 1.000000002e-8],
      throws: false,
    },
    {
      name: "almost default is relative: large numbers",
      fn: "assertAlmostEquals",
      args: () => [1000, 1000.00001],
      throws: false,
    },
    {
      name: "almost default against 0 is exact",
      fn: "assertAlmostEquals",
      args: () => [1e-300, 0],
      throws: true,
    },
    { name: "almost 0 and 0", fn: "assertAlmostEquals", args: () => [0, 0], throws: false },
    {
      name: "almost 0.1 + 0.2 within 1e-16",
      fn: "assertAlmostEquals",
      args: () => [0.1 + 0.2, 0.3, 1e-16],
      throws: false,
    },
    {
      name: "almost 0.1 + 0.2 within 1e-17",
      fn: "assertAlmostEquals",
      args: () => [0.1 + 0.2, 0.3, 1e-17],
      throws: true,
    },
    { name: "almost NaN and NaN", fn: "assertAlmostEquals", args: () => [NaN, NaN], throws: false },
    { name: "almost NaN and 1", fn: "assertAlmostEquals", args: () => [NaN, 1], throws: true },
    {
      name: "almost Infinity and Infinity",
      fn: "assertAlmostEquals",
      args: () => [Infinity, Infinity],
      throws: false,
    },
    {
      name: "almost 1 and Infinity",
      fn: "assertAlmostEquals",
      args: () => [1, Infinity],
      throws: true,
    },

    // Ordering.
    { name: "greater", fn: "assertGreater", args: () => [2, 1], throws: false },
    { name: "greater equal fails", fn: "assertGreater", args: () => [1, 1], throws: true },
    { name: "greater NaN fails", fn: "assertGreater", args: () => [NaN, 1], throws: true },
    { name: "greaterOrEqual", fn: "assertGreaterOrEqual", args: () => [1, 1], throws: false },
    {
      name: "greaterOrEqual strings",
      fn: "assertGreaterOrEqual",
      args: () => ["b", "a"],
      throws: false,
    },
    { name: "greaterOrEqual fails", fn: "assertGreaterOrEqual", args: () => [0, 1], throws: true },
    { name: "less", fn: "assertLess", args: () => [1, 2], throws: false },
    { name: "less fails", fn: "assertLess", args: () => [2, 1], throws: true },
    { name: "lessOrEqual", fn: "assertLessOrEqual", args: () => [2, 2], throws: false },
    { name: "lessOrEqual fails", fn: "assertLessOrEqual", args: () => [3, 2], throws: true },

    // Existence, type, strings, arrays.
    { name: "exists 0", fn: "assertExists", args: () => [0], throws: false },
    { name: "exists empty string", fn: "assertExists", args: () => [""], throws: false },
    { name: "exists null", fn: "assertExists", args: () => [null], throws: true },
    { name: "exists undefined", fn: "assertExists", args: () => [undefined], throws: true },
    {
      name: "instanceOf subclass",
      fn: "assertInstanceOf",
      args: () => [new RangeError(), Error],
      throws: false,
    },
    { name: "instanceOf fails", fn: "assertInstanceOf", args: () => [{}, Error], throws: true },
    { name: "instanceOf null", fn: "assertInstanceOf", args: () => [null, Object], throws: true },
    { name: "match", fn: "assertMatch", args: () => ["abc", /b/], throws: false },
    { name: "match fails", fn: "assertMatch", args: () => ["abc", /d/], throws: true },
    {
      name: "stringIncludes",
      fn: "assertStringIncludes",
      args: () => ["abc", "bc"],
      throws: false,
    },
    {
      name: "stringIncludes fails",
      fn: "assertStringIncludes",
      args: () => ["abc", "d"],
      throws: true,
    },
    {
      name: "arrayIncludes",
      fn: "assertArrayIncludes",
      args: () => [[1, 2, 3], [3, 1]],
      throws: false,
    },
    {
      name: "arrayIncludes fails",
      fn: "assertArrayIncludes",
      args: () => [[1], [2]],
      throws: true,
    },
    {
      name: "arrayIncludes deep items",
      fn: "assertArrayIncludes",
      args: () => [[[1], { a: 2 }], [{ a: 2 }]],
      throws: false,
    },
    {
      name: "arrayIncludes NaN",
      fn: "assertArrayIncludes",
      args: () => [[NaN], [NaN]],
      throws: false,
    },
    {
      name: "arrayIncludes in a typed array",
      fn: "assertArrayIncludes",
      args: () => [Float32Array.of(1, 2), [2]],
      throws: false,
    },
    { name: "fail", fn: "fail", args: () => ["x"], throws: true },

    // assertThrows: class (subclasses count) and message substring, checked only when a class
    // is given; a thrown non-Error fails a class check.
    {
      name: "throws matching",
      fn: "assertThrows",
      args: () => [thrower(new RangeError("bad horizon")), RangeError, "horizon"],
      throws: false,
    },
    {
      name: "throws a subclass of the expected class",
      fn: "assertThrows",
      args: () => [thrower(new RangeError("x")), Error],
      throws: false,
    },
    {
      name: "throws wrong class",
      fn: "assertThrows",
      args: () => [thrower(new TypeError("x")), RangeError],
      throws: true,
    },
    {
      name: "throws wrong message",
      fn: "assertThrows",
      args: () => [thrower(new RangeError("x")), RangeError, "y"],
      throws: true,
    },
    { name: "throws nothing", fn: "assertThrows", args: () => [() => 1], throws: true },
    {
      name: "throws a string with no class given",
      fn: "assertThrows",
      args: () => [thrower("oops")],
      throws: false,
    },
    {
      name: "throws a string where a class is expected",
      fn: "assertThrows",
      args: () => [thrower("oops"), Error],
      throws: true,
    },
    {
      name: "throws with a message argument only",
      fn: "assertThrows",
      args: () => [thrower(new Error("x")), "note"],
      throws: false,
    },

    // assertRejects: the function must return a promise that rejects.
    {
      name: "rejects matching",
      fn: "assertRejects",
      args: () => [() => Promise.reject(new TypeError("bad seed")), TypeError, "seed"],
      throws: false,
    },
    {
      name: "rejects resolved",
      fn: "assertRejects",
      args: () => [() => Promise.resolve(1)],
      throws: true,
    },
    {
      name: "rejects wrong class",
      fn: "assertRejects",
      args: () => [() => Promise.reject(new TypeError("x")), RangeError],
      throws: true,
    },
    {
      name: "rejects wrong message",
      fn: "assertRejects",
      args: () => [() => Promise.reject(new TypeError("x")), TypeError, "y"],
      throws: true,
    },
    {
      name: "rejects from an async function",
      fn: "assertRejects",
      args: () => [
        async () => {
          await Promise.resolve();
          throw new RangeError("late");
        },
        RangeError,
        "late",
      ],
      throws: false,
    },
    {
      name: "rejects: a synchronous throw is not a rejection",
      fn: "assertRejects",
      args: () => [thrower(new TypeError("sync")), TypeError],
      throws: true,
    },
    {
      name: "rejects: a non-promise return",
      fn: "assertRejects",
      args: () => [() => 1],
      throws: true,
    },
    {
      name: "rejects a non-Error where a class is expected",
      fn: "assertRejects",
      args: () => [() => Promise.reject("oops"), Error],
      throws: true,
    },
  ] satisfies StdAssertCase[],
);

/** What one case did: threw an `AssertionError` or not; anything else thrown is an error. */
export async function outcomeOf(
  api: Record<string, unknown>,
  c: StdAssertCase,
): Promise<boolean> {
  const fn = api[c.fn];
  if (typeof fn !== "function") throw new Error(`${c.name}: the module has no ${c.fn}`);
  try {
    await fn(...c.args());
    return false;
  } catch (error) {
    if (error instanceof Error && error.name === "AssertionError") return true;
    throw new Error(`${c.name}: expected an AssertionError but got ${error}`);
  }
}
