/**
 * Reads a comparison folder (`comparison.json` plus its run folders) back as tidy rows for
 * the figures: evaluation return vs real steps, steps to solve per seed, wall clock vs steps.
 *
 * @module
 */
import { join } from "node:path";
import type { Comparison } from "./compare.ts";
import { readMetrics, readSummary } from "../run_folder.ts";

/** One evaluation of one seed of one method. */
export interface ComparisonCurveRow {
  method: string;
  seed: number;
  envSteps: number;
  return: number;
  /** True for a value held after the seed stopped (it solved, so training ended there). */
  carried: boolean;
}

/** Steps to solve of one seed (`null` when it never solved). */
export interface ComparisonStepsRow {
  method: string;
  seed: number;
  stepsToSolve: number | null;
}

/** Elapsed wall clock of one seed at some number of real steps. */
export interface ComparisonWallRow {
  method: string;
  seed: number;
  envSteps: number;
  wallSeconds: number;
}

/** All rows of a comparison folder. */
export interface ComparisonRows {
  curves: ComparisonCurveRow[];
  steps: ComparisonStepsRow[];
  wall: ComparisonWallRow[];
}

/** Reads `dir/comparison.json`. */
export function readComparison(dir: string): Comparison {
  return JSON.parse(Deno.readTextFileSync(join(dir, "comparison.json")));
}

/**
 * The tidy rows of a comparison folder. A seed that solved stopped training there; its last
 * evaluation is carried forward to the method's last evaluated step (`carried: true`) so the
 * median across seeds is not computed over the unsolved seeds alone. Wall-clock rows come from
 * the evaluation rows' `wallSeconds` when present, else from the summary (start and end).
 *
 * @example
 * ```ts
 * const { curves, steps, wall } = comparisonRows("data/comparison/CartPole-v1");
 * ```
 */
export function comparisonRows(dir: string, comparison = readComparison(dir)): ComparisonRows {
  const curves: ComparisonCurveRow[] = [];
  const steps: ComparisonStepsRow[] = [];
  const wall: ComparisonWallRow[] = [];
  for (const [method, block] of Object.entries(comparison.methods)) {
    if (block === undefined) continue;
    const perSeed = block.perSeed.map((row) => {
      const runDir = join(dir, row.runDir);
      const evals = readMetrics(runDir).flatMap((r) => r.kind === "eval" ? [r] : []);
      return { row, runDir, evals };
    });
    const lastStep = Math.max(...perSeed.flatMap((s) => s.evals.map((e) => e.envSteps)));
    const evalSteps = [...new Set(perSeed.flatMap((s) => s.evals.map((e) => e.envSteps)))]
      .sort((a, b) => a - b);
    for (const { row, runDir, evals } of perSeed) {
      steps.push({ method, seed: row.seed, stepsToSolve: row.stepsToSolve });
      for (const e of evals) {
        curves.push({
          method,
          seed: row.seed,
          envSteps: e.envSteps,
          return: e.evalReturnMean,
          carried: false,
        });
      }
      const last = evals.at(-1);
      if (last !== undefined && row.solved && last.envSteps < lastStep) {
        for (const s of evalSteps.filter((s) => s > last.envSteps)) {
          curves.push({
            method,
            seed: row.seed,
            envSteps: s,
            return: last.evalReturnMean,
            carried: true,
          });
        }
      }
      const timed = evals.filter((e) => typeof e.wallSeconds === "number");
      if (timed.length > 0) {
        for (const e of timed) {
          wall.push({
            method,
            seed: row.seed,
            envSteps: e.envSteps,
            wallSeconds: e.wallSeconds as number,
          });
        }
      } else {
        const summary = readSummary(runDir);
        wall.push({ method, seed: row.seed, envSteps: 0, wallSeconds: 0 });
        wall.push({
          method,
          seed: row.seed,
          envSteps: summary.envSteps,
          wallSeconds: summary.wallSeconds,
        });
      }
    }
  }
  return { curves, steps, wall };
}
