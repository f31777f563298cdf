/**
 * Re-records `tests/support/std_assert_table.ts` against a real `@std/assert`: runs every case
 * and prints each whose outcome differs from the table (exit code 1 if any).
 *
 * Usage: `deno run -A tests/support/record_std_assert_table.ts <module>`, where `<module>` is
 * `jsr:@std/assert@1.0.19` where JSR is reachable, or the path of a `denoland/std` checkout's
 * `assert/mod.ts` (run with `--import-map` mapping `@std/internal/...` into that checkout).
 *
 * @module
 */
import { outcomeOf, STD_ASSERT_CASES } from "./std_assert_table.ts";

if (import.meta.main) {
  const specifier = Deno.args[0];
  if (!specifier) {
    console.error("Usage: record_std_assert_table.ts <module: jsr:@std/assert@1.0.19 or a path>");
    Deno.exit(2);
  }
  const url = specifier.includes(":")
    ? specifier
    : new URL(specifier, `file://${Deno.cwd()}/`).href;
  const api = await import(url) as Record<string, unknown>;
  let differ = 0;
  for (const c of STD_ASSERT_CASES) {
    const threw = await outcomeOf(api, c);
    if (threw !== c.throws) {
      differ++;
      console.log(
        `${c.fn} "${c.name}": the module ${threw ? "throws" : "passes"}; table says ${
          c.throws ? "throws" : "passes"
        }`,
      );
    }
  }
  console.log(`${STD_ASSERT_CASES.length} cases, ${differ} differ from the table (${specifier})`);
  Deno.exit(differ === 0 ? 0 : 1);
}
