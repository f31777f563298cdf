/**
 * `deno task compare`: model-based vs model-free on CartPole-v1 over seeds.
 *
 * ```
 * deno task compare --env CartPole-v1 --seeds 0,1,2,3,4 --methods mbrl,dqn,ppo --out DIR
 *   [--budget-mbrl 5000] [--budget-mf 100000] [--workers 2] [--quick] [--resume]
 * ```
 *
 * `--quick` changes only the defaults it is not told (seeds 0,1; budgets 1,000 and 10,000) so
 * a notebook can re-run it live. `--resume` reuses run folders under DIR that already hold a
 * `summary.json` for the same seed and budget. After the runs, three figures are written next
 * to `comparison.json` (`learning_curves.svg`, `steps_to_solve.svg`, `wall_clock.svg`);
 * `--figures-only` redraws them from an existing DIR without running anything. Bad flags
 * print one line and exit 2 before any work starts.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { learningCurve, stepsToSolveFigure, wallClockVsSamples } from "../plots/rl.ts";
import { comparisonRows, readComparison } from "../experiment/compare_rows.ts";
import {
  COMPARE_METHODS,
  type CompareMethod,
  type CompareOptions,
  runComparison,
  validateCompareOptions,
} from "../experiment/compare.ts";

/** Usage text printed by `--help`. */
export const COMPARE_USAGE =
  "Usage: deno task compare --out DIR [--env CartPole-v1] [--seeds 0,1,2,3,4] " +
  "[--methods mbrl,dqn,ppo] [--budget-mbrl 5000] [--budget-mf 100000] [--workers 2] " +
  "[--quick] [--resume] [--figures-only]";

function parseIntList(text: string, name: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  return parts.map((part) => {
    if (!/^\d+$/.test(part)) {
      throw new TypeError(`Expected --${name} to be comma-separated integers but found "${text}"`);
    }
    return Number(part);
  });
}

function parsePositiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0) {
    throw new RangeError(`Expected --${name} to be a positive integer but found "${text}"`);
  }
  return Number(text);
}

/**
 * Parses and validates the command line into {@linkcode CompareOptions} (without callbacks).
 * Returns `"help"` for `--help`.
 *
 * @example
 * ```ts
 * parseCompareArgs(["--out", "data/cmp", "--seeds", "0,1", "--methods", "dqn"]);
 * ```
 * @throws {TypeError|RangeError} with a one-line message on unknown or bad flags.
 */
export function parseCompareArgs(
  args: string[],
): (CompareOptions & { figuresOnly: boolean }) | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        env: { type: "string" },
        seeds: { type: "string" },
        methods: { type: "string" },
        out: { type: "string" },
        "budget-mbrl": { type: "string" },
        "budget-mf": { type: "string" },
        workers: { type: "string" },
        quick: { type: "boolean" },
        resume: { type: "boolean" },
        "figures-only": { type: "boolean" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new TypeError((error as Error).message.split("\n")[0]);
  }
  if (values.help) return "help";
  if (values.out === undefined || values.out === "") {
    throw new TypeError("Expected --out DIR (the folder for comparison.json) but found none");
  }
  const quick = values.quick ?? false;
  const methods = values.methods === undefined
    ? [...COMPARE_METHODS]
    : values.methods.split(",").map((m) => m.trim());
  for (const m of methods) {
    if (!COMPARE_METHODS.includes(m as CompareMethod)) {
      throw new TypeError(
        `Expected --methods among ${COMPARE_METHODS.join(",")} but found "${m}"`,
      );
    }
  }
  const options: CompareOptions & { figuresOnly: boolean } = {
    envId: values.env ?? "CartPole-v1",
    seeds: values.seeds === undefined ? (quick ? [0, 1] : [0, 1, 2, 3, 4]) : parseIntList(
      values.seeds,
      "seeds",
    ),
    methods: methods as CompareMethod[],
    outDir: values.out,
    budgetMbrl: parsePositiveInt(values["budget-mbrl"], "budget-mbrl") ?? (quick ? 1000 : 5000),
    budgetMf: parsePositiveInt(values["budget-mf"], "budget-mf") ?? (quick ? 10_000 : 100_000),
    workers: parsePositiveInt(values.workers, "workers") ?? 2,
    quick,
    resume: values.resume ?? false,
    figuresOnly: values["figures-only"] ?? false,
  };
  validateCompareOptions(options);
  return options;
}

/**
 * Draws the comparison's three figures from `dir` and writes them there as `.svg` files:
 * evaluation return vs real steps (log x, median and min-max band across seeds, 475 marked),
 * steps to solve per seed, and wall clock vs real steps. Returns the written paths.
 *
 * @example
 * ```ts
 * await writeComparisonFigures("data/comparison");
 * ```
 */
export async function writeComparisonFigures(dir: string): Promise<string[]> {
  const comparison = readComparison(dir);
  const { curves, steps, wall } = comparisonRows(dir, comparison);
  const curve = learningCurve(curves.filter((r) => r.envSteps > 0), {
    logX: true,
    threshold: comparison.threshold,
    title: `${comparison.envId}: evaluation return vs real environment steps`,
    caption: "Evaluation means; a solved seed stops and its last value is carried forward.",
  });
  const solve = stepsToSolveFigure(steps, {
    logX: true,
    title: "Real environment steps to solve (evaluation mean >= " + comparison.threshold + ")",
    caption: "Dots: solved seeds; tick: median of the solved seeds.",
  });
  const clock = wallClockVsSamples(wall.filter((r) => r.envSteps > 0), {
    log: true,
    title: "Wall clock vs real environment steps",
    caption: "Elapsed seconds at each evaluation, evaluation time included.",
  });
  return await Promise.all([
    curve.save(join(dir, "learning_curves.svg")),
    solve.save(join(dir, "steps_to_solve.svg")),
    clock.save(join(dir, "wall_clock.svg")),
  ]);
}

if (import.meta.main) {
  let options: (CompareOptions & { figuresOnly: boolean }) | "help";
  try {
    options = parseCompareArgs(Deno.args);
  } catch (error) {
    console.error(`compare: ${(error as Error).message}`);
    Deno.exit(2);
  }
  if (options === "help") {
    console.log(COMPARE_USAGE);
    Deno.exit(0);
  }
  if (options.figuresOnly) {
    for (const path of await writeComparisonFigures(options.outDir)) console.log(`wrote ${path}`);
    Deno.exit(0);
  }
  const createdWith = ["deno task compare", ...Deno.args].join(" ");
  console.log(
    `${createdWith}\n${options.methods!.join(", ")} x seeds ${options.seeds!.join(",")}, ` +
      `budgets mbrl ${options.budgetMbrl} / model-free ${options.budgetMf}, ` +
      `${options.workers} workers -> ${options.outDir}/comparison.json`,
  );
  const comparison = await runComparison({ ...options, createdWith });
  for (const [method, block] of Object.entries(comparison.methods)) {
    console.log(
      `${method}: median steps-to-solve ${block.medianStepsToSolve} ` +
        `[${block.interval.join(", ")}] (${block.solvedCount}/${block.perSeed.length} solved), ` +
        `median wall ${block.medianWallSeconds.toFixed(1)} s`,
    );
  }
  for (const [name, value] of Object.entries(comparison.ratios)) console.log(`${name}: ${value}`);
  for (const path of await writeComparisonFigures(options.outDir)) console.log(`wrote ${path}`);
}
