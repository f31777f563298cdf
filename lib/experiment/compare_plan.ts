/**
 * A comparison job as one shell command line (`deno task compare:job ...`), so that any
 * scheduler can fan the jobs out: GNU parallel, a Slurm job array, a Kubernetes indexed Job.
 *
 * @module
 */
import type { CompareJob } from "./compare.ts";

/**
 * `text` quoted for a POSIX shell when it needs it (single quotes; an inner `'` as `'\''`).
 *
 * @example
 * ```ts
 * shellQuote("data/cmp"); // "data/cmp"
 * shellQuote('{"a":1}'); // "'{\"a\":1}'"
 * ```
 */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:=,+@%-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that runs `job` and writes its run folder `job.outDir/job.runId`; every value is
 * explicit, so the line means the same whatever the defaults become.
 *
 * @example
 * ```ts
 * jobCommand({ method: "dqn", seed: 0, envId: "CartPole-v1", budget: 50000, outDir: "out",
 *   runId: "dqn_s0", evalEvery: 100, evalEpisodes: 10 });
 * // "deno task compare:job --env CartPole-v1 --method dqn --seed 0 --budget 50000 --eval-every 100 --eval-episodes 10 --out out"
 * ```
 */
export function jobCommand(job: CompareJob): string {
  const args = [
    "--env",
    job.envId,
    "--method",
    job.method,
    "--seed",
    String(job.seed),
    "--budget",
    String(job.budget),
    "--eval-every",
    String(job.evalEvery),
    "--eval-episodes",
    String(job.evalEpisodes),
    "--out",
    job.outDir,
  ];
  if (job.runId !== `${job.method}_s${job.seed}`) args.push("--run-id", job.runId);
  if (job.mbrlConfig !== undefined) args.push("--mbrl-config", JSON.stringify(job.mbrlConfig));
  if (job.overwrite) args.push("--overwrite");
  return ["deno task compare:job", ...args.map(shellQuote)].join(" ");
}
