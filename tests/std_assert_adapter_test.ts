// Checks that the offline adapter passes and fails on the same inputs as `@std/assert`.
// Where JSR is reachable `@std/assert` is the real package, so the table below is checked
// against both; offline it pins the adapter to the behaviour recorded from the real package.
import * as real from "@std/assert";
import * as adapter from "./support/std_assert_offline.ts";

type Api = typeof adapter;
interface Case {
  name: string;
  run: (api: Api) => unknown;
  throws: boolean;
}

const cases: Case[] = [
  { name: "assert truthy", run: (a) => a.assert(1), throws: false },
  { name: "assert falsy", run: (a) => a.assert(0), throws: true },
  { name: "assertFalse", run: (a) => a.assertFalse(""), throws: false },
  {
    name: "equals nested",
    run: (a) => a.assertEquals({ x: [1, 2] }, { x: [1, 2] }),
    throws: false,
  },
  { name: "equals differs", run: (a) => a.assertEquals([1, 2], [1, 3]), throws: true },
  { name: "equals NaN", run: (a) => a.assertEquals(NaN, NaN), throws: false },
  { name: "equals -0", run: (a) => a.assertEquals(-0, 0), throws: false },
  {
    name: "equals typed arrays",
    run: (a) => a.assertEquals(new Float32Array([1, 2]), new Float32Array([1, 2])),
    throws: false,
  },
  {
    name: "equals typed vs plain",
    run: (a) => a.assertEquals(new Float32Array([1]) as unknown, [1] as unknown),
    throws: true,
  },
  { name: "notEquals", run: (a) => a.assertNotEquals(1, 2), throws: false },
  { name: "notEquals same", run: (a) => a.assertNotEquals([1], [1]), throws: true },
  { name: "strictEquals", run: (a) => a.assertStrictEquals(1, 1), throws: false },
  { name: "strictEquals objects", run: (a) => a.assertStrictEquals({}, {}), throws: true },
  { name: "almost default", run: (a) => a.assertAlmostEquals(1, 1 + 1e-8), throws: false },
  { name: "almost fails", run: (a) => a.assertAlmostEquals(1, 1.001), throws: true },
  { name: "almost tolerance", run: (a) => a.assertAlmostEquals(1, 1.001, 0.01), throws: false },
  { name: "greater", run: (a) => a.assertGreater(2, 1), throws: false },
  { name: "greater equal fails", run: (a) => a.assertGreater(1, 1), throws: true },
  { name: "greaterOrEqual", run: (a) => a.assertGreaterOrEqual(1, 1), throws: false },
  { name: "less", run: (a) => a.assertLess(1, 2), throws: false },
  { name: "less fails", run: (a) => a.assertLess(2, 1), throws: true },
  { name: "lessOrEqual", run: (a) => a.assertLessOrEqual(2, 2), throws: false },
  { name: "exists", run: (a) => a.assertExists(0), throws: false },
  { name: "exists null", run: (a) => a.assertExists(null), throws: true },
  { name: "instanceOf", run: (a) => a.assertInstanceOf(new RangeError(), Error), throws: false },
  { name: "instanceOf fails", run: (a) => a.assertInstanceOf({}, Error), throws: true },
  { name: "match", run: (a) => a.assertMatch("abc", /b/), throws: false },
  { name: "match fails", run: (a) => a.assertMatch("abc", /d/), throws: true },
  { name: "stringIncludes", run: (a) => a.assertStringIncludes("abc", "bc"), throws: false },
  { name: "arrayIncludes", run: (a) => a.assertArrayIncludes([1, 2, 3], [3, 1]), throws: false },
  { name: "arrayIncludes fails", run: (a) => a.assertArrayIncludes([1], [2]), throws: true },
  { name: "fail", run: (a) => a.fail("x"), throws: true },
  {
    name: "throws matching",
    run: (a) =>
      a.assertThrows(
        () => {
          throw new RangeError("bad horizon");
        },
        RangeError,
        "horizon",
      ),
    throws: false,
  },
  {
    name: "throws wrong class",
    run: (a) =>
      a.assertThrows(() => {
        throw new TypeError("x");
      }, RangeError),
    throws: true,
  },
  {
    name: "throws wrong message",
    run: (a) =>
      a.assertThrows(
        () => {
          throw new RangeError("x");
        },
        RangeError,
        "y",
      ),
    throws: true,
  },
  { name: "throws nothing", run: (a) => a.assertThrows(() => 1), throws: true },
];

for (const [label, api] of [["@std/assert", real], ["adapter", adapter]] as const) {
  Deno.test(`${label} passes and fails where @std/assert does`, () => {
    for (const c of cases) {
      let threw = false;
      try {
        c.run(api as unknown as Api);
      } catch (error) {
        threw = true;
        if (!(error instanceof Error) || error.name !== "AssertionError") {
          throw new Error(`${c.name}: expected an AssertionError but got ${error}`);
        }
      }
      if (threw !== c.throws) {
        throw new Error(`${label}: case "${c.name}" ${threw ? "threw" : "did not throw"}`);
      }
    }
  });
}

Deno.test("assertRejects checks class and message in both", async () => {
  for (const api of [real, adapter]) {
    await api.assertRejects(() => Promise.reject(new TypeError("bad seed")), TypeError, "seed");
    let threw = false;
    try {
      await api.assertRejects(() => Promise.resolve(1));
    } catch {
      threw = true;
    }
    if (!threw) throw new Error("assertRejects accepted a resolved promise");
  }
});
