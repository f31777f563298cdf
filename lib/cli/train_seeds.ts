/**
 * `deno task train:seeds`: runs `deno task train` once per seed (each in its own process, so
 * every wall time is a whole run's) and prints a markdown table of stepsToSolve,
 * finalEvalMean and wallSeconds, then the summary lines.
 *
 * Usage: `deno task train:seeds [--seeds 0,1,2,3,4] [-- <train flags>]`, e.g.
 * `deno task train:seeds -- --no-shaping --out data/tmp`.
 *
 * @module
 */
import { type SeedResult, seedTable } from "../experiment/mbrl_seeds.ts";
import { ArgsError, parseFlags } from "./args.ts";

/**
 * Runs the command line; returns the exit code (2 for a bad flag, a failed seed's own code).
 *
 * @example
 * ```ts
 * await trainSeedsMain(["--seeds", "x"]); // 2
 * ```
 */
export async function trainSeedsMain(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const passThrough = split === -1 ? [] : argv.slice(split + 1);
  let seeds: number[];
  try {
    const flags = parseFlags(own, {
      // A string, not an intList: intList takes positive integers (layer sizes), seeds start at 0.
      seeds: { kind: "string", help: "comma-separated seeds [0,1,2,3,4]" },
    });
    const text = flags.seeds as string | undefined;
    if (text !== undefined && !/^\d+(,\d+)*$/.test(text)) {
      throw new ArgsError(
        `--seeds must be comma-separated non-negative integers but found "${text}"`,
      );
    }
    seeds = text === undefined ? [0, 1, 2, 3, 4] : text.split(",").map(Number);
  } catch (error) {
    if (error instanceof ArgsError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const train = new URL("./train.ts", import.meta.url).pathname;
  const results: SeedResult[] = [];
  const lines: string[] = [];
  for (const seed of seeds) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", train, "--quiet", ...passThrough, "--seed", String(seed)],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (out.code !== 0) return out.code;
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
    lines.push(line);
    const s = JSON.parse(line);
    results.push({
      seed,
      stepsToSolve: s.stepsToSolve,
      finalEvalMean: s.finalEvalMean,
      wallSeconds: s.wallSeconds,
      envSteps: s.envSteps,
      planMsMean: s.planMsMean,
      evalPlanMsMean: s.evalPlanMsMean ?? null,
      evalSeconds: s.evalSeconds,
    });
    console.error(`seed ${seed}: stepsToSolve ${s.stepsToSolve} (${s.wallSeconds.toFixed(1)} s)`);
  }
  console.log(`flags: ${passThrough.join(" ") || "(defaults)"}\n`);
  console.log(seedTable(results));
  console.log("\n" + lines.join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await trainSeedsMain(Deno.args));
