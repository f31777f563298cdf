/**
 * Runs a Deno subcommand (`test`, `check`, ...) so that `@std/assert` resolves to the real
 * `jsr:@std/assert` where JSR is reachable, and to the local adapter
 * `tests/support/std_assert_offline.ts` where it is not (our machines and CI reach only npm).
 * The adapter is held to the real package's recorded behaviour
 * (`tests/support/std_assert_table.ts`, checked by `tests/std_assert_adapter_test.ts`, which
 * also runs the table against the live package when this wrapper mapped it to JSR).
 *
 * `deno.json` stays the single source of truth for imports: offline, the import map handed to
 * Deno is generated from it with only the `@std/assert` entry replaced.
 *
 * Usage: `deno run -A .ci/with_std_assert.ts <subcommand> [args...]`.
 * Set `STD_ASSERT=jsr` or `STD_ASSERT=offline` to skip detection.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const GENERATED = new URL(".ci/generated/import_map.offline.json", ROOT);
const ADAPTER = "./tests/support/std_assert_offline.ts";
const JSR_PROBE = "https://jsr.io/@std/assert/meta.json";

/** True when JSR answers within `timeoutMs`; a refused DNS look-up answers at once. */
async function jsrReachable(timeoutMs = 4000): Promise<boolean> {
  try {
    const response = await fetch(JSR_PROBE, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Writes the offline import map (paths are relative to the repository root). */
async function writeOfflineImportMap(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const imports: Record<string, string> = { ...config.imports };
  if (!("@std/assert" in imports)) throw new Error("deno.json has no @std/assert import");
  imports["@std/assert"] = ADAPTER;
  // Import-map addresses resolve against the map's own location, so anchor relative ones at
  // the repository root.
  for (const [key, value] of Object.entries(imports)) {
    if (value.startsWith("./")) imports[key] = new URL(value, ROOT).href;
  }
  await Deno.mkdir(new URL(".", GENERATED), { recursive: true });
  await Deno.writeTextFile(GENERATED, JSON.stringify({ imports }, null, 2) + "\n");
  return GENERATED.pathname;
}

if (import.meta.main) {
  const [subcommand, ...rest] = Deno.args;
  if (!subcommand) {
    console.error("Usage: deno run -A .ci/with_std_assert.ts <subcommand> [args...]");
    Deno.exit(2);
  }
  const mode = Deno.env.get("STD_ASSERT") ?? (await jsrReachable() ? "jsr" : "offline");
  const args = [subcommand];
  if (mode === "offline") {
    args.push(`--import-map=${await writeOfflineImportMap()}`);
    console.error(`JSR unreachable: @std/assert -> ${ADAPTER} (offline adapter)`);
  } else if (mode !== "jsr") {
    console.error(`Expected STD_ASSERT to be "jsr" or "offline" but found "${mode}"`);
    Deno.exit(2);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, ...rest],
    cwd: ROOT,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  Deno.exit(status.code);
}
