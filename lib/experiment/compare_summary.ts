/**
 * The cross-env view of committed comparisons: `data/comparison/<env-id>/comparison.json` files
 * read back as one table (median steps to solve, interval, solved count, evaluation interval
 * and rounding bound, median wall clock per run, ratio to MBRL) and as the rows of the
 * steps-to-solve-by-env figure (`stepsToSolveByEnv` in `lib/plots/rl.ts`).
 *
 * @module
 */
import { join } from "node:path";
import type { StepsByEnvRow } from "../plots/rl.ts";
import type { Comparison } from "./compare.ts";
import { COMPARE_METHODS } from "./compare_protocol.ts";

/**
 * Reads every `<dir>/<env-id>/comparison.json` (sub-folders in name order; a sub-folder without
 * one is skipped).
 *
 * @example
 * ```ts
 * const comparisons = readComparisons("data/comparison");
 * ```
 * @throws {Error} naming `dir` when it holds none.
 */
export function readComparisons(dir: string): Comparison[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw new Error(`Cannot read comparisons in ${dir}: ${(error as Error).message}`);
  }
  const out: Comparison[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory) continue;
    const path = join(dir, entry.name, "comparison.json");
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      continue;
    }
    try {
      out.push(JSON.parse(text));
    } catch (error) {
      throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (out.length === 0) {
    throw new Error(`No <env-id>/comparison.json under ${dir}`);
  }
  return out;
}

/** One (env, method) row of the cross-env table. */
export type CrossEnvRow = {
  env: string;
  method: string;
  /** Real-step budget (what a censored seed counts as). */
  budget: number;
  /** `solved/seeds`. */
  solved: string;
  /** Median steps to solve, censored seeds at the budget; `>=` when the median is censored. */
  "median steps to solve": string;
  /** `[low, high]` of the order-statistic interval. */
  interval: string;
  /** The protocol's interval and this method's largest gap between evaluations. */
  "eval every (max gap)": string;
  "median wall clock per run (s)": number;
  /** Median steps over MBRL's (`>=`/`<=` for bounds, `-` for mbrl or without it). */
  "ratio to mbrl": string;
};

function steps(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * The cross-env table's rows, envs in the given order, methods in display order.
 *
 * @example
 * ```ts
 * crossEnvTable(readComparisons("data/comparison"));
 * ```
 */
export function crossEnvTable(comparisons: readonly Comparison[]): CrossEnvRow[] {
  const rows: CrossEnvRow[] = [];
  for (const c of comparisons) {
    for (const method of COMPARE_METHODS) {
      const block = c.methods[method];
      if (block === undefined) continue;
      const censored = block.medianCensored ?? block.solvedCount <= block.perSeed.length / 2;
      const ratio = c.ratios[`${method}/mbrl`];
      const bound = c.ratioBounds?.[`${method}/mbrl`] ?? "exact";
      const prefix = bound === "lower bound" ? ">=" : bound === "upper bound" ? "<=" : "";
      const every = block.evaluation?.every ?? c.protocol?.evalEvery;
      const gap = block.evaluation?.maxGap;
      rows.push({
        env: c.envId,
        method,
        budget: block.budget,
        solved: `${block.solvedCount}/${block.perSeed.length}`,
        "median steps to solve": `${
          censored && block.solvedCount < block.perSeed.length ? ">=" : ""
        }${steps(block.medianStepsToSolve)}`,
        interval: `[${steps(block.interval[0])}, ${steps(block.interval[1])}]`,
        "eval every (max gap)": every === undefined
          ? "-"
          : `${steps(every)} (${gap === undefined ? "-" : steps(gap)})`,
        "median wall clock per run (s)": block.medianWallSeconds,
        "ratio to mbrl": method === "mbrl" || ratio == null
          ? "-"
          : bound === "unknown"
          ? "?"
          : `${prefix}${ratio}`,
      });
    }
  }
  return rows;
}

/**
 * The rows as a markdown table.
 *
 * @example
 * ```ts
 * console.log(crossEnvMarkdown(crossEnvTable(readComparisons("data/comparison"))));
 * ```
 */
export function crossEnvMarkdown(rows: readonly CrossEnvRow[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]!) as (keyof CrossEnvRow)[];
  const line = (cells: readonly unknown[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((r) => line(columns.map((c) => r[c]))),
  ].join("\n");
}

/**
 * The rows of `stepsToSolveByEnv`: one per (env, method, seed), censored seeds at their budget.
 *
 * @example
 * ```ts
 * import { stepsToSolveByEnv } from "../plots/rl.ts";
 * stepsToSolveByEnv(stepsByEnvRows(readComparisons("data/comparison")));
 * ```
 */
export function stepsByEnvRows(comparisons: readonly Comparison[]): StepsByEnvRow[] {
  return comparisons.flatMap((c) =>
    COMPARE_METHODS.flatMap((method) =>
      (c.methods[method]?.perSeed ?? []).map((s) => ({
        envId: c.envId,
        method,
        seed: s.seed,
        steps: s.stepsToSolve ?? c.methods[method]!.budget,
        censored: s.stepsToSolve === null,
      }))
    )
  );
}
