/**
 * `deno task compare:job`: one (env, method, seed) job of a comparison, writing one run folder
 * `OUT/<method>_s<seed>` (or `--run-id`). `deno task compare ... --plan` prints these lines;
 * `deno task compare --aggregate OUT` builds `comparison.json` from the folders they wrote.
 *
 * ```
 * deno task compare:job --env Acrobot-v1 --method dqn --seed 0 --out /scratch/acrobot
 *   [--budget 100000] [--eval-every 500] [--eval-episodes 10] [--mbrl-config JSON] [--overwrite]
 * ```
 *
 * The protocol's budget and evaluation schedule are the defaults. It prints one JSON line with
 * the run's outcome last; every known problem is one `error: ...` line on stderr and a non-zero
 * exit (2 for bad flags and options, before any work; 1 for a folder or file problem). SIGINT or
 * SIGTERM ends the run with `status: "interrupted"` in its `summary.json` and exit 130 or 143.
 *
 * @module
 */
import { ENV_IDS } from "../envs/registry.ts";
import type { CompareJob } from "../experiment/compare.ts";
import { assertWritableFolder, readJobFolder } from "../experiment/compare.ts";
import { checkJob, runJob } from "../experiment/compare_job.ts";
import { assertMethodFor, COMPARE_METHODS, protocolFor } from "../experiment/compare_protocol.ts";
import { ArgsError, type FlagSpec, formatHelp, parseFlags } from "./args.ts";
import { parseMbrlConfig } from "./compare.ts";
import { interruptExitCode, withInterruptSignal } from "./interrupt.ts";
import { runCli } from "./run_cli.ts";

/** The flags of `deno task compare:job`. */
export const COMPARE_JOB_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  env: { kind: "enum", values: ENV_IDS, help: "environment (required)" },
  method: { kind: "enum", values: COMPARE_METHODS, help: "method (required)" },
  seed: { kind: "int", min: 0, help: "seed (required)" },
  out: { kind: "string", help: "folder the run folder is created in (required)" },
  budget: { kind: "int", min: 1, help: "real-step budget [the protocol's for env and method]" },
  "eval-every": { kind: "int", min: 1, help: "real steps between evaluations [the protocol's]" },
  "eval-episodes": { kind: "int", min: 1, help: "episodes per evaluation [10]" },
  "run-id": { kind: "string", help: "run folder name [<method>_s<seed>]" },
  "mbrl-config": { kind: "string", help: "JSON overrides of the MBRL config (mbrl only)" },
  overwrite: { kind: "bool", help: "replace an existing run folder of that name" },
  help: { kind: "bool", help: "print this help" },
});

/**
 * Parses the command line into a job (or `"help"`), checking it before any work.
 *
 * @example
 * ```ts
 * parseCompareJobArgs(["--env", "CartPole-v1", "--method", "dqn", "--seed", "0", "--out", "d"]);
 * ```
 * @throws {ArgsError|TypeError|RangeError} one line naming the flag.
 */
export function parseCompareJobArgs(argv: readonly string[]): CompareJob | "help" {
  const flags = parseFlags(argv, COMPARE_JOB_FLAGS);
  if (flags.help) return "help";
  for (const name of ["env", "method", "seed", "out"]) {
    if (flags[name] === undefined) throw new ArgsError(`--${name} is required (see --help)`);
  }
  const envId = flags.env as string;
  const method = flags.method as string;
  assertMethodFor(method, envId);
  const protocol = protocolFor(envId);
  const seed = flags.seed as number;
  const mbrlConfig = flags["mbrl-config"] === undefined
    ? undefined
    : parseMbrlConfig(flags["mbrl-config"] as string);
  if (mbrlConfig !== undefined && method !== "mbrl") {
    throw new ArgsError(`--mbrl-config applies to --method mbrl only but found ${method}`);
  }
  return {
    method,
    seed,
    envId,
    budget: (flags.budget as number | undefined) ?? protocol.budgets[method]!,
    outDir: flags.out as string,
    runId: (flags["run-id"] as string | undefined) ?? `${method}_s${seed}`,
    evalEvery: (flags["eval-every"] as number | undefined) ?? protocol.evalEvery,
    evalEpisodes: (flags["eval-episodes"] as number | undefined) ?? protocol.evalEpisodes,
    ...(mbrlConfig !== undefined ? { mbrlConfig } : {}),
    ...(flags.overwrite ? { overwrite: true } : {}),
  };
}

/**
 * Runs the command line; returns the exit code (0 done). Known problems are thrown as the
 * kinds `runCli` reports in one line.
 *
 * @example
 * ```ts
 * await compareJobMain(["--help"]); // 0
 * ```
 */
export async function compareJobMain(argv: readonly string[]): Promise<number> {
  const job = parseCompareJobArgs(argv);
  if (job === "help") {
    console.log(
      formatHelp(
        "Usage: deno task compare:job --env ID --method M --seed N --out DIR",
        COMPARE_JOB_FLAGS,
      ),
    );
    return 0;
  }
  await checkJob(job);
  assertWritableFolder(job.outDir, "--out");
  return await withInterruptSignal(async (signal) => {
    let last = 0;
    const dir = await runJob(job, (p) => {
      if (performance.now() - last < 15000) return;
      last = performance.now();
      const evalText = p.lastEvalMean === null ? "-" : p.lastEvalMean.toFixed(1);
      console.error(`${p.method} s${p.seed}: ${p.envSteps}/${p.budget} steps, eval ${evalText}`);
    }, signal);
    const interrupted = interruptExitCode(signal);
    if (interrupted !== null) {
      console.error(`interrupted: ${dir}/summary.json records status "interrupted"`);
      return interrupted;
    }
    const r = readJobFolder(dir);
    console.log(JSON.stringify({
      envId: r.envId,
      method: r.method,
      seed: r.seed,
      runDir: dir,
      solved: r.solved,
      stepsToSolve: r.stepsToSolve,
      envSteps: r.envSteps,
      wallSeconds: r.wallSeconds,
    }));
    return 0;
  }, { onInterrupt: () => console.error("stopping: the run records what it has so far...") });
}

if (import.meta.main) Deno.exit(await runCli(() => compareJobMain(Deno.args)));
