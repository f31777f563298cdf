import { assertEquals, assertThrows } from "@std/assert";
import { ArgsError, parseFlags } from "../../lib/cli/args.ts";

Deno.test("intList flags take positive integers unless a smaller min is given", () => {
  const specs = {
    hidden: { kind: "intList", help: "widths" },
    workers: { kind: "intList", min: 0, help: "worker counts" },
  } as const;
  assertEquals(parseFlags(["--hidden", "64,32", "--workers", "0,1,2"], specs), {
    hidden: [64, 32],
    workers: [0, 1, 2],
  });
  assertThrows(
    () => parseFlags(["--hidden", "0,64"], specs),
    ArgsError,
    'must be comma-separated positive integers (e.g. 64,64) but found "0,64"',
  );
  assertThrows(
    () => parseFlags(["--workers", "-1"], specs),
    ArgsError,
    'must be comma-separated integers of at least 0 but found "-1"',
  );
  assertThrows(() => parseFlags(["--workers", "1,,2"], specs), ArgsError, "integers of at least 0");
});
