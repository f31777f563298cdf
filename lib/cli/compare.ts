/**
 * `deno task compare`: model-based vs model-free on one env over seeds, under the env's
 * comparison protocol (`lib/experiment/compare_protocol.ts`).
 *
 * ```
 * deno task compare --env Pendulum-v1 --out data/comparison/Pendulum-v1      # run in-process pool
 * deno task compare --env Pendulum-v1 --out DIR --plan                       # print job lines
 * deno task compare --aggregate DIR [DIR...] [--out DIR]                     # comparison.json from run folders
 * deno task compare --out DIR --figures-only                                 # redraw the figures
 * deno task compare --summary data/comparison                                # cross-env table + figure
 * ```
 *
 * `--quick` changes only the defaults it is not told: seeds 0,1 and model-free budgets capped
 * at 10,000 steps. `--resume` reuses finished run folders made with the same job; `--overwrite`
 * replaces existing ones (otherwise they are refused). After a run or an aggregation, three
 * figures are written next to `comparison.json` (`learning_curves.svg`, `steps_to_solve.svg`,
 * `wall_clock.svg`). Every known problem is one `error: ...` line on stderr (`runCli`) and a
 * non-zero exit (2 for bad flags and options, before any work; 1 for a folder or file problem);
 * `MBRL_TRACE=1` adds the stack.
 *
 * @module
 */
import { join } from "node:path";
import { ENV_IDS } from "../envs/registry.ts";
import {
  learningCurve,
  stepsToSolveByEnv,
  stepsToSolveFigure,
  wallClockVsSamples,
} from "../plots/rl.ts";
import { comparisonRows, readComparison } from "../experiment/compare_rows.ts";
import {
  aggregateRunFolders,
  assertWritableFolder,
  checkComparison,
  type CompareMethod,
  type CompareOptions,
  type Comparison,
  planComparison,
  resolveCompareOptions,
  runComparison,
} from "../experiment/compare.ts";
import { jobCommand, shellQuote } from "../experiment/compare_plan.ts";
import {
  crossEnvMarkdown,
  crossEnvTable,
  readComparisons,
  stepsByEnvRows,
} from "../experiment/compare_summary.ts";
import { COMPARE_METHODS } from "../experiment/compare_protocol.ts";
import { RunReadError, RunWriteError } from "../run_folder.ts";
import { ArgsError, type FlagSpec, formatHelp, parseFlags } from "./args.ts";
import { runCli } from "./run_cli.ts";

/** The flags of `deno task compare` (the `--help` text is generated from them). */
export const COMPARE_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  env: { kind: "enum", values: ENV_IDS, help: "environment [CartPole-v1]" },
  seeds: { kind: "string", help: "comma-separated seeds [0,1,2,3,4; 0,1 with --quick]" },
  methods: {
    kind: "string",
    help: `comma-separated, among ${COMPARE_METHODS.join(",")} [every method the env admits]`,
  },
  out: { kind: "string", help: "folder for comparison.json and the run folders (required)" },
  "budget-mbrl": { kind: "int", min: 1, help: "real-step budget of mbrl [the protocol's]" },
  "budget-mf": {
    kind: "int",
    min: 1,
    help: "real-step budget of dqn, ppo and sac [the protocol's]",
  },
  "budget-dqn": { kind: "int", min: 1, help: "budget of dqn (wins over --budget-mf)" },
  "budget-ppo": { kind: "int", min: 1, help: "budget of ppo (wins over --budget-mf)" },
  "budget-sac": { kind: "int", min: 1, help: "budget of sac (wins over --budget-mf)" },
  "eval-every": { kind: "int", min: 1, help: "real steps between evaluations [the protocol's]" },
  "eval-episodes": { kind: "int", min: 1, help: "episodes per evaluation [10]" },
  "mbrl-config": {
    kind: "string",
    help: `JSON overrides of the MBRL config, e.g. '{"model":{"hiddenSizes":[16]}}'`,
  },
  workers: { kind: "int", min: 1, help: "jobs at once in the in-process pool [2]" },
  quick: { kind: "bool", help: "seeds 0,1 and model-free budgets capped at 10,000" },
  resume: { kind: "bool", help: "reuse finished run folders made with the same job" },
  overwrite: { kind: "bool", help: "replace existing run folders of the jobs" },
  plan: { kind: "bool", help: "print one `deno task compare:job` line per job; run nothing" },
  aggregate: {
    kind: "bool",
    help: "DIR [DIR...]: comparison.json and figures from run folders written anywhere",
  },
  "figures-only": { kind: "bool", help: "redraw the figures of the comparison in --out" },
  summary: {
    kind: "string",
    help: "DIR: cross-env markdown table of DIR/<env-id>/comparison.json",
  },
  help: { kind: "bool", help: "print this help" },
});

/** Usage line of `--help`. */
export const COMPARE_USAGE = "Usage: deno task compare --out DIR [--env ID] [--seeds 0,1,2,3,4] " +
  "[--methods mbrl,dqn,ppo,sac] [--plan]\n" +
  "       deno task compare --aggregate DIR [DIR...] [--out DIR]\n" +
  "       deno task compare --out DIR --figures-only\n" +
  "       deno task compare --summary DIR";

/** What the command line asks for. */
export type CompareCommand =
  | "help"
  | { mode: "run" | "plan"; options: CompareOptions }
  | { mode: "aggregate"; dirs: string[]; outDir?: string }
  | { mode: "figures"; outDir: string }
  | { mode: "summary"; dir: string };

function parseSeeds(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    throw new ArgsError(
      `--seeds must be comma-separated non-negative integers but found "${text}"`,
    );
  }
  return parts.map(Number);
}

function parseMethods(text: string): CompareMethod[] {
  const parts = text.split(",").map((s) => s.trim());
  for (const m of parts) {
    if (!COMPARE_METHODS.includes(m as CompareMethod)) {
      throw new ArgsError(`--methods must be among ${COMPARE_METHODS.join(",")} but found "${m}"`);
    }
  }
  return parts as CompareMethod[];
}

/**
 * Parses a `--mbrl-config` JSON object.
 *
 * @example
 * ```ts
 * parseMbrlConfig('{"model":{"hiddenSizes":[8]}}'); // { model: { hiddenSizes: [8] } }
 * ```
 * @throws {ArgsError} when it is not a JSON object.
 */
export function parseMbrlConfig(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArgsError(`--mbrl-config must be a JSON object but ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ArgsError(`--mbrl-config must be a JSON object but found ${text}`);
  }
  return value as Record<string, unknown>;
}

/** Splits `--aggregate DIR DIR ...` (everything up to the next `--flag`) off the arguments. */
function splitAggregate(argv: readonly string[]): { rest: string[]; dirs: string[] | null } {
  const rest: string[] = [];
  let dirs: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--aggregate" || arg.startsWith("--aggregate=")) {
      if (dirs !== null) throw new ArgsError("--aggregate was given more than once");
      dirs = arg.includes("=") ? [arg.slice(arg.indexOf("=") + 1)] : [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) dirs.push(argv[++i]!);
      if (dirs.length === 0 || dirs.some((d) => d === "")) {
        throw new ArgsError("--aggregate needs one or more folders of run folders");
      }
    } else rest.push(arg);
  }
  return { rest, dirs };
}

/**
 * Parses and validates the command line (before any work).
 *
 * @example
 * ```ts
 * parseCompareArgs(["--out", "data/cmp", "--seeds", "0,1", "--methods", "dqn"]);
 * parseCompareArgs(["--aggregate", "/scratch/a", "/scratch/b", "--out", "data/cmp"]);
 * ```
 * @throws {ArgsError|TypeError|RangeError} with a one-line message on unknown or bad flags, a
 *   method the env does not admit, or modes that do not go together.
 */
export function parseCompareArgs(argv: readonly string[]): CompareCommand {
  const { rest, dirs } = splitAggregate(argv);
  const flags = parseFlags(rest, COMPARE_FLAGS);
  if (flags.help) return "help";
  const out = flags.out as string | undefined;
  const modes = [
    dirs !== null ? "--aggregate" : null,
    flags.plan ? "--plan" : null,
    flags["figures-only"] ? "--figures-only" : null,
    flags.summary !== undefined ? "--summary" : null,
  ].filter((m) => m !== null);
  if (modes.length > 1) throw new ArgsError(`${modes.join(" and ")} do not go together`);
  const runFlags = Object.keys(flags).filter((f) => !["out", "help"].includes(f));
  if (dirs !== null || flags.summary !== undefined || flags["figures-only"]) {
    const allowed = dirs !== null ? ["out"] : [];
    const extra = runFlags.filter((f) =>
      !allowed.includes(f) && !["summary", "figures-only"].includes(f)
    );
    if (extra.length > 0) {
      throw new ArgsError(`${modes[0]} takes no run flags but found --${extra.join(", --")}`);
    }
  }
  if (dirs !== null) return { mode: "aggregate", dirs, ...(out ? { outDir: out } : {}) };
  if (flags.summary !== undefined) {
    if (out !== undefined) throw new ArgsError("--summary takes no --out");
    return { mode: "summary", dir: flags.summary as string };
  }
  if (out === undefined) {
    throw new ArgsError("--out DIR (the folder for comparison.json) is required");
  }
  if (flags["figures-only"]) return { mode: "figures", outDir: out };
  const budgets: Partial<Record<CompareMethod, number>> = {};
  for (const m of ["dqn", "ppo", "sac"] as const) {
    const b = flags[`budget-${m}`] as number | undefined;
    if (b !== undefined) budgets[m] = b;
  }
  const options: CompareOptions = {
    envId: (flags.env as string | undefined) ?? "CartPole-v1",
    ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds as string) } : {}),
    ...(flags.methods !== undefined ? { methods: parseMethods(flags.methods as string) } : {}),
    outDir: out,
    ...(flags["budget-mbrl"] !== undefined ? { budgetMbrl: flags["budget-mbrl"] as number } : {}),
    ...(flags["budget-mf"] !== undefined ? { budgetMf: flags["budget-mf"] as number } : {}),
    ...(Object.keys(budgets).length > 0 ? { budgets } : {}),
    ...(flags["eval-every"] !== undefined ? { evalEvery: flags["eval-every"] as number } : {}),
    ...(flags["eval-episodes"] !== undefined
      ? { evalEpisodes: flags["eval-episodes"] as number }
      : {}),
    ...(flags["mbrl-config"] !== undefined
      ? { mbrlConfig: parseMbrlConfig(flags["mbrl-config"] as string) }
      : {}),
    workers: (flags.workers as number | undefined) ?? 2,
    quick: flags.quick === true,
    resume: flags.resume === true,
    overwrite: flags.overwrite === true,
  };
  resolveCompareOptions(options);
  return { mode: flags.plan ? "plan" : "run", options };
}

/** The comparison in `dir`, or one clear error when there is none. */
function readComparisonIn(dir: string): Comparison {
  try {
    return readComparison(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `No comparison.json in ${dir} (make one with deno task compare --out ${dir}, or ` +
          "--aggregate run folders)",
      );
    }
    if (error instanceof SyntaxError) {
      throw new RunReadError(`${join(dir, "comparison.json")} is not valid JSON: ${error.message}`);
    }
    throw error;
  }
}

/** What {@linkcode writeComparisonFigures} did. */
export interface FiguresReport {
  /** The written `.svg` files. */
  written: string[];
  /** One line per figure not drawn, saying why (no evaluation rows, for example). */
  skipped: string[];
}

/**
 * Draws the comparison's three figures from `dir` and writes them there as `.svg` files:
 * evaluation return vs real steps (log x, median and min-max band across seeds, the solved
 * threshold marked), steps to solve per seed, and wall clock vs real steps. A figure with no
 * data (every run ended before its first evaluation) is skipped with a reason, not an error.
 *
 * @example
 * ```ts
 * await writeComparisonFigures("data/comparison/CartPole-v1");
 * ```
 * @throws {Error} with one line when `dir` holds no readable `comparison.json`.
 */
export async function writeComparisonFigures(dir: string): Promise<FiguresReport> {
  const comparison = readComparisonIn(dir);
  const { curves, steps, wall } = comparisonRows(dir, comparison);
  const gaps = Object.entries(comparison.methods)
    .flatMap(([m, b]) => b?.evaluation ? [`${m} ${b.evaluation.maxGap}`] : [])
    .join(", ");
  const every = comparison.protocol?.evalEvery;
  const written: string[] = [];
  const skipped: string[] = [];
  const curveRows = curves.filter((r) => r.envSteps > 0);
  const wallRows = wall.filter((r) => r.envSteps > 0);
  if (curveRows.length > 0) {
    written.push(
      await learningCurve(curveRows, {
        logX: true,
        threshold: comparison.threshold,
        title: `${comparison.envId}: evaluation return vs real environment steps`,
        caption: "Evaluation means; a solved seed stops and its last value is carried forward.",
      }).save(join(dir, "learning_curves.svg")),
    );
  } else skipped.push("learning_curves.svg: no evaluation rows in the run folders");
  if (steps.length > 0) {
    written.push(
      await stepsToSolveFigure(steps, {
        logX: true,
        title: `${comparison.envId}: real environment steps to solve (evaluation mean >= ` +
          `${comparison.threshold})`,
        caption: "Dots: solved seeds; tick: median of the solved seeds." +
          (every === undefined ? "" : ` Evaluations every ${every} steps`) +
          (gaps === "" ? "" : `; largest gap between evaluations (rounding bound): ${gaps}.`),
      }).save(join(dir, "steps_to_solve.svg")),
    );
  } else skipped.push("steps_to_solve.svg: no seeds");
  if (wallRows.length > 0) {
    written.push(
      await wallClockVsSamples(wallRows, {
        log: true,
        title: "Wall clock vs real environment steps",
        caption: "Elapsed seconds at each evaluation, evaluation time included.",
      }).save(join(dir, "wall_clock.svg")),
    );
  } else skipped.push("wall_clock.svg: no timed rows after step 0");
  return { written, skipped };
}

function printFigures(report: FiguresReport): void {
  for (const path of report.written) console.log(`wrote ${path}`);
  for (const line of report.skipped) console.log(`skipped ${line}`);
}

function printComparison(comparison: Comparison): void {
  for (const [method, block] of Object.entries(comparison.methods)) {
    if (block === undefined) continue;
    const median = `${block.medianCensored ? ">=" : ""}${block.medianStepsToSolve}`;
    console.log(
      `${method}: median steps-to-solve ${median} [${block.interval.join(", ")}] ` +
        `(${block.solvedCount}/${block.perSeed.length} solved, budget ${block.budget}, ` +
        `eval gap <= ${block.evaluation?.maxGap ?? "-"}), median wall ` +
        `${block.medianWallSeconds.toFixed(1)} s`,
    );
  }
  for (const [name, value] of Object.entries(comparison.ratios)) {
    const bound = comparison.ratioBounds?.[name];
    console.log(`${name}: ${value}${bound && bound !== "exact" ? ` (${bound})` : ""}`);
  }
}

/** Writes the figures after `comparison.json`; a figure failure is one line, not a trace. */
async function figuresAfter(dir: string): Promise<void> {
  try {
    printFigures(await writeComparisonFigures(dir));
  } catch (error) {
    throw new RunWriteError(`the figures of ${dir} (comparison.json was written)`, error);
  }
}

/**
 * Runs the command line; returns the exit code (0 done). Known problems are thrown as the
 * kinds `runCli` reports in one line (2: a bad flag or option, before any work; 1: a folder or
 * file problem while working).
 *
 * @example
 * ```ts
 * await compareMain(["--help"]); // 0
 * ```
 */
export async function compareMain(argv: readonly string[]): Promise<number> {
  const command = parseCompareArgs(argv);
  const createdWith = ["deno task compare", ...argv.map(shellQuote)].join(" ");
  if (command === "help") {
    console.log(formatHelp(COMPARE_USAGE, COMPARE_FLAGS));
  } else if (command.mode === "plan") {
    await checkComparison(command.options);
    for (const job of planComparison(command.options)) console.log(jobCommand(job));
    console.error(
      `then: deno task compare --aggregate ${command.options.outDir} ` +
        `(builds ${command.options.outDir}/comparison.json from the run folders)`,
    );
  } else if (command.mode === "run") {
    const { options } = command;
    const r = await checkComparison(options);
    assertWritableFolder(options.outDir, "--out");
    console.log(
      `${createdWith}\n${r.envId}: ${r.methods.join(", ")} x seeds ${r.seeds.join(",")}, ` +
        `budgets ${r.methods.map((m) => `${m} ${r.budgets[m]}`).join(" / ")}, evaluation ` +
        `every ${r.evalEvery} steps x ${r.evalEpisodes} episodes, ${r.workers} workers -> ` +
        `${r.outDir}/comparison.json`,
    );
    printComparison(await runComparison({ ...options, createdWith }));
    await figuresAfter(options.outDir);
  } else if (command.mode === "aggregate") {
    if (command.outDir !== undefined) assertWritableFolder(command.outDir, "--out");
    const comparison = aggregateRunFolders(command.dirs, { outDir: command.outDir, createdWith });
    const outDir = command.outDir ?? command.dirs[0]!;
    console.log(`wrote ${join(outDir, "comparison.json")} (${comparison.envId})`);
    printComparison(comparison);
    await figuresAfter(outDir);
  } else if (command.mode === "figures") {
    printFigures(await writeComparisonFigures(command.outDir));
  } else if (command.mode === "summary") {
    const comparisons = readComparisons(command.dir);
    console.log(crossEnvMarkdown(crossEnvTable(comparisons)));
    const path = join(command.dir, "steps_to_solve_by_env.svg");
    await stepsToSolveByEnv(stepsByEnvRows(comparisons), {
      title: "Real environment steps to solve, per env and method",
      caption: "Dots: solved seeds; open triangles: not solved within the budget (drawn at " +
        "it); tick and label: median with unsolved seeds at the budget (>=: a lower bound).",
    }).save(path);
    console.log(`\nwrote ${path}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await runCli(() => compareMain(Deno.args)));
