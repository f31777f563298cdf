// Holds the offline adapter (tests/support/std_assert_offline.ts) and, where JSR is reachable,
// the real @std/assert to the behaviour recorded from the real package (version 1.0.19) in
// tests/support/std_assert_table.ts: the same inputs must pass or throw in all three.
// Offline, `@std/assert` below IS the adapter (.ci/with_std_assert.ts maps it there), so the
// live comparison is skipped and the recorded table is what catches drift.
import * as live from "@std/assert";
import * as adapter from "./support/std_assert_offline.ts";
import { outcomeOf, STD_ASSERT_CASES } from "./support/std_assert_table.ts";

const liveIsAdapter = (live.AssertionError as unknown) === adapter.AssertionError;

async function mismatches(api: Record<string, unknown>): Promise<string[]> {
  const out: string[] = [];
  for (const c of STD_ASSERT_CASES) {
    const threw = await outcomeOf(api, c);
    if (threw !== c.throws) {
      out.push(
        `${c.fn} "${c.name}": ${threw ? "threw" : "passed"}, recorded ${
          c.throws ? "throws" : "passes"
        }`,
      );
    }
  }
  return out;
}

Deno.test("the offline adapter passes and fails where the recorded @std/assert does", async () => {
  const found = await mismatches(adapter);
  if (found.length > 0) throw new Error(`adapter drifted:\n${found.join("\n")}`);
});

Deno.test({
  name: "the live @std/assert (where JSR is reachable) still behaves as recorded",
  ignore: liveIsAdapter, // offline: @std/assert is the adapter itself
  fn: async () => {
    const found = await mismatches(live);
    if (found.length > 0) throw new Error(`@std/assert changed:\n${found.join("\n")}`);
  },
});

Deno.test("the table covers every assertion our tests import", async () => {
  const used = new Set<string>();
  const importLine = /import\s*\{([^}]*)\}\s*from\s*["']@std\/assert["']/g;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        for (const match of (await Deno.readTextFile(path)).matchAll(importLine)) {
          for (const name of match[1]!.split(",")) {
            const bare = name.replace(/\btype\b/, "").split(/\s+as\s+/)[0]!.trim();
            if (bare) used.add(bare);
          }
        }
      }
    }
  };
  await walk(new URL(".", import.meta.url).pathname.replace(/\/$/, ""));
  used.delete("AssertionError");
  const covered = new Set(STD_ASSERT_CASES.map((c) => c.fn as string));
  const missing = [...used].filter((name) => !covered.has(name)).sort();
  if (missing.length > 0) {
    throw new Error(`assertions used in tests/ but not in the table: ${missing.join(", ")}`);
  }
});

Deno.test("assertThrows and assertRejects return the error, in both", async () => {
  for (const api of [live, adapter]) {
    const error = api.assertThrows(() => {
      throw new RangeError("bad horizon");
    }, RangeError);
    if (!(error instanceof RangeError)) throw new Error("assertThrows did not return the error");
    const rejected = await api.assertRejects(() => Promise.reject(new TypeError("x")), TypeError);
    if (!(rejected instanceof TypeError)) throw new Error("assertRejects did not return it");
  }
});
