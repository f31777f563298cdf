/**
 * What the ensemble-disagreement bonus explores: two `trainModelBasedRL` runs that differ only
 * in `objective.explorationBonus` (same env, seed, ensemble model and budget), and the states
 * each visited. Too slow for a notebook cell (minutes), so a command writes the result as a
 * small JSON file that notebook 05 reads:
 *
 * ```
 * deno run -A lib/demos/value_exploration_run.ts --seed 0 --max-steps 3000 --bonus 5 \
 *   --out data/value_exploration/MountainCar-v0.json
 * ```
 *
 * @module
 */
import type { MbrlConfigInput } from "../agents/mbrl_config.ts";
import { trainModelBasedRL } from "../agents/mbrl_loop.ts";
import { assertEnvId } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { dirname } from "node:path";
import { writeFileAtomic } from "../run_folder.ts";
import { coveredFraction, visitedStateRows } from "./value_demo.ts";

/** Options of {@linkcode runExplorationPair}. */
export interface ExplorationPairOptions {
  /** @default {"MountainCar-v0"} */
  envId?: EnvId;
  /** One seed for both runs. @default {0} */
  seed?: number;
  /** Real-step budget of each run. @default {3000} */
  maxSteps?: number;
  /** `objective.explorationBonus` of the run with the bonus. @default {5} */
  bonus?: number;
  /** Keep every `every`-th visited state in the file. @default {2} */
  every?: number;
  /** Run folders go here. @default {"data/tmp/value_exploration"} */
  outDir?: string;
  /** Called with one line per finished run. */
  log?: (line: string) => void;
}

/** One run of an {@linkcode ExplorationPair}. */
export interface ExplorationRun {
  /** `"without bonus"` or `"with bonus"`. */
  series: string;
  explorationBonus: number;
  /** Real steps taken. */
  envSteps: number;
  /** Visited states `[position, velocity]` (every `every`-th, 4 decimals). */
  visited: [number, number][];
  /**
   * Largest first component of the visited states (MountainCar: position; the flag is at 0.5).
   * States are where steps start, so the state a goal step ends in is not among them.
   */
  maxX: number;
  /** Real step at which a training episode first terminated (the goal), or null. */
  firstGoalStep: number | null;
  /** Training episodes that ended at the goal. */
  goalEpisodes: number;
  /** Share of a 20 x 20 grid over the observation box with a visited state. */
  coverage: number;
  /** Evaluation means (no bonus in evaluations) by real steps. */
  evaluations: { envSteps: number; mean: number }[];
  stepsToSolve: number | null;
  wallSeconds: number;
}

/** What the command writes. */
export interface ExplorationPair {
  /** The command that produced the file. */
  command: string;
  envId: EnvId;
  seed: number;
  maxSteps: number;
  /** The overrides both runs shared (the preset supplies the rest). */
  config: MbrlConfigInput;
  /** Keep-every stride of `visited`. */
  every: number;
  /** The coverage grid's box `[[xLow, xHigh], [yLow, yHigh]]`. */
  box: [[number, number], [number, number]];
  runs: ExplorationRun[];
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Runs the pair (without, then with the bonus) and returns what {@linkcode writeExplorationPair}
 * stores. Each run: the env's preset with an ensemble model, the given budget, terminal value
 * off, training episodes planned with `{ explore: true }` (evaluations never are).
 *
 * @example
 * ```ts
 * const pair = await runExplorationPair({ maxSteps: 600 }); // minutes
 * pair.runs.map((r) => r.maxX);
 * ```
 */
export async function runExplorationPair(
  options: ExplorationPairOptions = {},
): Promise<ExplorationPair> {
  const {
    envId = "MountainCar-v0",
    seed = 0,
    maxSteps = 3000,
    bonus = 5,
    every = 2,
    outDir = "data/tmp/value_exploration",
    log = () => {},
  } = options;
  assertEnvId(envId);
  const box: [[number, number], [number, number]] = [[-1.2, 0.6], [-0.07, 0.07]];
  const shared: MbrlConfigInput = {
    envId,
    seed,
    loop: { maxSteps },
    model: { type: "ensemble" },
    objective: { terminalValue: false },
  };
  const runs: ExplorationRun[] = [];
  for (const [series, weight] of [["without bonus", 0], ["with bonus", bonus]] as const) {
    const result = await trainModelBasedRL(
      { ...shared, objective: { ...shared.objective, explorationBonus: weight } },
      { outDir, runId: `${envId}-seed${seed}-bonus${weight}`, overwrite: true },
    );
    const buffer = result.agent.buffer;
    const all = buffer.all();
    let firstGoalStep: number | null = null;
    let goalEpisodes = 0;
    for (let i = 0; i < all.size; i++) {
      if (all.terminated[i]) {
        goalEpisodes++;
        if (firstGoalStep === null) firstGoalStep = i + 1;
      }
    }
    const rows = visitedStateRows(all, series);
    const kept = visitedStateRows(all, series, { every });
    const run: ExplorationRun = {
      series,
      explorationBonus: weight,
      envSteps: result.summary.envSteps,
      visited: kept.map((r) => [round4(r.x), round4(r.y)]),
      maxX: Math.max(...rows.map((r) => r.x)),
      firstGoalStep,
      goalEpisodes,
      coverage: coveredFraction(rows, { x: box[0], y: box[1], cells: 20 }),
      evaluations: result.history.flatMap((row) =>
        row.kind === "eval" ? [{ envSteps: row.envSteps, mean: row.evalReturnMean }] : []
      ),
      stepsToSolve: result.summary.stepsToSolve,
      wallSeconds: result.summary.wallSeconds,
    };
    result.agent.dispose();
    runs.push(run);
    log(
      `${series}: max x ${run.maxX.toFixed(3)}, first goal ${run.firstGoalStep}, goal episodes ` +
        `${run.goalEpisodes}, coverage ${run.coverage.toFixed(3)}, evaluations ` +
        `${run.evaluations.map((e) => e.mean).join(" ")}, ${run.wallSeconds.toFixed(0)} s`,
    );
  }
  return {
    command: `deno run -A lib/demos/value_exploration_run.ts --env ${envId} --seed ${seed} ` +
      `--max-steps ${maxSteps} --bonus ${bonus} --every ${every}`,
    envId,
    seed,
    maxSteps,
    config: shared,
    every,
    box,
    runs,
  };
}

/**
 * Reads a file {@linkcode runExplorationPair}'s command wrote, checking its shape.
 *
 * @example
 * ```ts
 * const pair = readExplorationPair("data/value_exploration/MountainCar-v0.json");
 * ```
 * @throws {Error} naming the file when it is missing or not such a file.
 */
export function readExplorationPair(path: string): ExplorationPair {
  let value: ExplorationPair;
  try {
    value = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const ok = value !== null && typeof value === "object" && Array.isArray(value.runs) &&
    value.runs.length > 0 &&
    value.runs.every((r) => typeof r.series === "string" && Array.isArray(r.visited));
  if (!ok) throw new Error(`Expected ${path} to hold an exploration pair with runs`);
  return value;
}

if (import.meta.main) {
  const args = new Map<string, string>();
  for (let i = 0; i < Deno.args.length; i += 2) {
    const flag = Deno.args[i]!;
    if (!flag.startsWith("--") || Deno.args[i + 1] === undefined) {
      console.error(`Expected --flag value pairs but found ${flag}`);
      Deno.exit(2);
    }
    args.set(flag.slice(2), Deno.args[i + 1]!);
  }
  const known = ["env", "seed", "max-steps", "bonus", "every", "out"];
  for (const key of args.keys()) {
    if (!known.includes(key)) {
      console.error(
        `Unknown flag --${key}; expected one of ${known.map((k) => `--${k}`).join(", ")}`,
      );
      Deno.exit(2);
    }
  }
  const num = (key: string, fallback: number) => (args.has(key) ? Number(args.get(key)) : fallback);
  const envId = (args.get("env") ?? "MountainCar-v0") as EnvId;
  const out = args.get("out") ?? `data/value_exploration/${envId}.json`;
  const pair = await runExplorationPair({
    envId,
    seed: num("seed", 0),
    maxSteps: num("max-steps", 3000),
    bonus: num("bonus", 5),
    every: num("every", 2),
    log: (line) => console.error(line),
  });
  Deno.mkdirSync(dirname(out), { recursive: true });
  // One line: the visited states would take a line per number pretty-printed.
  writeFileAtomic(out, JSON.stringify(pair) + "\n");
  console.error(`wrote ${out}`);
}
