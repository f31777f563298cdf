// Imports in lib/ flow one way (README "Design", STYLE.md): ground files lib/*.ts <- envs,
// buffer, nn, plots <- models <- planners <- agents <- experiment <- cli, demos, bench.
// This test parses every static `import`/`export ... from` (type-only ones included) and every
// dynamic `import("...")` and `new URL("...", import.meta.url)` worker/module address in
// lib/**/*.ts and fails listing each back-edge: an import of a higher layer, or of another
// folder of the same layer (cli, demos and bench may import each other). A folder's own files
// and its mod.ts may import each other freely; lib/mod.ts re-exports everything.
import { assertEquals } from "@std/assert";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LIB = join(ROOT, "lib");

/** Layer of each top-level folder of lib/ (ground files sit directly in lib/, layer 0). */
export const LAYERS: Readonly<Record<string, number>> = Object.freeze({
  envs: 1,
  buffer: 1,
  nn: 1,
  plots: 1,
  models: 2,
  planners: 3,
  agents: 4,
  experiment: 5,
  cli: 6,
  demos: 6,
  bench: 6,
});
/** Folders of one layer that may import each other (the leaves: nothing imports them). */
const SIDEWAYS_ALLOWED = new Set(["cli", "demos", "bench"]);

/** Where a lib file sits: its folder (`""` for a ground file) and layer. */
export function placeOf(file: string): { folder: string; layer: number } | undefined {
  const rel = relative(LIB, file).replaceAll("\\", "/");
  if (rel.startsWith("..")) return undefined;
  const parts = rel.split("/");
  if (parts.length === 1) return { folder: "", layer: 0 };
  const folder = parts[0]!;
  const layer = LAYERS[folder];
  if (layer === undefined) throw new Error(`lib/${folder}/ has no layer in tests/layering_test.ts`);
  return { folder, layer };
}

/** Every relative module address `source` imports or re-exports, statically or dynamically. */
export function importsOf(source: string): string[] {
  // Strip comments first so that examples in JSDoc do not count (string contents survive).
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const found: string[] = [];
  const patterns = [
    // import x from "..."; import { a } from "..."; import type { T } from "..."; export * from "...";
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g, // dynamic import("...")
    /\bnew\s+URL\s*\(\s*["'`]([^"'`]+\.ts)["'`]\s*,\s*import\.meta\.url\s*\)/g, // workers
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  return found.filter((address) => address.startsWith("."));
}

/** One import that goes against the flow. */
export interface BackEdge {
  from: string;
  to: string;
  why: string;
}

/** The back-edges of one file's imports. */
export function backEdgesOf(file: string, source: string): BackEdge[] {
  const from = placeOf(file);
  if (from === undefined) return [];
  const edges: BackEdge[] = [];
  const isRootMod = relative(LIB, file) === "mod.ts";
  for (const address of importsOf(source)) {
    const target = resolve(dirname(file), address);
    const to = placeOf(target);
    const edge = { from: relative(ROOT, file), to: relative(ROOT, target) };
    if (to === undefined) {
      edges.push({ ...edge, why: "imports from outside lib/" });
      continue;
    }
    if (isRootMod || to.folder === from.folder) continue;
    if (to.layer > from.layer) {
      edges.push({
        ...edge,
        why: `layer ${from.layer} (${
          from.folder || "ground"
        }) imports layer ${to.layer} (${to.folder})`,
      });
    } else if (to.layer === from.layer && !SIDEWAYS_ALLOWED.has(from.folder)) {
      edges.push({
        ...edge,
        why: `sideways within layer ${from.layer}: ${from.folder || "ground"} imports ${
          to.folder || "ground"
        }`,
      });
    }
  }
  return edges;
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("the parser finds static, type-only, re-export and dynamic imports, not comments", () => {
  const source = `
    import { a } from "./a.ts";
    import type { B } from "../models/b.ts";
    import * as c from "./c.ts";
    import "./side_effect.ts";
    export { d } from "./d.ts";
    export * from "./e.ts";
    export type * from "./f.ts";
    import {
      g,
      type H,
    } from "./g.ts";
    const m = await import("../experiment/m.ts");
    const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    import { tf } from "@tensorflow/tfjs";
    // import { no } from "./commented.ts";
    /** @example import { no } from "./jsdoc.ts"; */
  `;
  assertEquals(importsOf(source).sort(), [
    "../experiment/m.ts",
    "../models/b.ts",
    "./a.ts",
    "./c.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
    "./side_effect.ts",
    "./worker.ts",
  ]);
});

Deno.test("layers: back-edges and sideways edges are flagged, downward edges are not", () => {
  const file = (rel: string) => join(LIB, rel);
  const edges = (rel: string, imports: string) => backEdgesOf(file(rel), imports).map((e) => e.to);
  assertEquals(edges("agents/x.ts", `import { w } from "../experiment/run_writer.ts";`), [
    "lib/experiment/run_writer.ts",
  ]);
  assertEquals(edges("agents/x.ts", `import { w } from "../models/m.ts";`), []);
  assertEquals(edges("rng.ts", `import type { E } from "./envs/types.ts";`), ["lib/envs/types.ts"]);
  assertEquals(edges("buffer/x.ts", `import type { S } from "../envs/types.ts";`), [
    "lib/envs/types.ts",
  ]);
  assertEquals(edges("buffer/x.ts", `import { v } from "../validate.ts";`), []);
  assertEquals(edges("cli/x.ts", `import { d } from "../demos/d.ts";`), []);
  assertEquals(edges("mod.ts", `export * from "./cli/train.ts";`), []);
  assertEquals(edges("models/mod.ts", `export * from "./member.ts";`), []);
});

Deno.test("lib/ imports flow one way: no back-edges", async () => {
  const edges: BackEdge[] = [];
  for await (const file of tsFiles(LIB)) {
    edges.push(...backEdgesOf(file, await Deno.readTextFile(file)));
  }
  const report = edges.map((e) => `${e.from} -> ${e.to}: ${e.why}`).sort();
  assertEquals(report, [], `back-edges in lib/:\n${report.join("\n")}`);
});
