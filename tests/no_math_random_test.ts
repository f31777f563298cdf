import { assertEquals } from "@std/assert";
import { join } from "node:path";

/** Every `.ts` file under `dir`, recursively. */
function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.isFile && path.endsWith(".ts")) yield path;
  }
}

Deno.test("lib/ never calls Math.random (all randomness goes through the seeded Rng)", () => {
  const lib = new URL("../lib/", import.meta.url).pathname;
  const offenders: string[] = [];
  for (const path of sourceFiles(lib)) {
    Deno.readTextFileSync(path).split("\n").forEach((line, i) => {
      // Ignore comments: a doc line may warn against Math.random.
      const code = line.trimStart().startsWith("*") ? "" : line.replace(/\/\/.*$/, "");
      if (/\bMath\s*\.\s*random\b|\bMath\s*\[\s*["']random/.test(code)) {
        offenders.push(`${path}:${i + 1}`);
      }
    });
  }
  assertEquals(offenders, []);
});
