/**
 * `deno task train`: trains the model-based agent and writes a run folder.
 *
 * ```
 * deno task train --env CartPole-v1 --seed 3 --max-steps 3000 --out DIR [--model ensemble]
 *   [--planner cem] [--horizon 15] [--samples 500] ...
 * ```
 * Bad flags exit with status 2 and one line naming the flag and what is allowed, before any
 * work. Progress goes to stderr (a bar on a terminal, plain lines otherwise); the last line on
 * stdout is the run's `summary.json` as one line of JSON.
 *
 * @module
 */
import { MODEL_TYPES, MPC_TYPES } from "../agents/mbrl_agent.ts";
import {
  type MbrlStatus,
  trainModelBasedRL,
  type TrainModelBasedRLOptions,
} from "../agents/mbrl_loop.ts";
import { ENV_IDS } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import type { MetricsRow } from "../run_folder.ts";
import type { ModelBasedRLAgentOptions } from "../agents/mbrl_agent.ts";
import { ArgsError, type FlagSpec, formatHelp, parseFlags } from "./args.ts";

/** The flags of `deno task train`. */
export const TRAIN_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  env: { kind: "enum", values: ENV_IDS, help: "environment id [CartPole-v1]" },
  seed: { kind: "int", help: "seed of everything [0]" },
  "max-steps": { kind: "int", min: 1, help: "real env steps, warm-up included [1000]" },
  out: { kind: "string", help: "folder for the run folder [data/runs]" },
  "run-id": { kind: "string", help: "run folder name [<time>_mbrl_s<seed>]" },
  model: { kind: "enum", values: MODEL_TYPES, help: "dynamics model [deterministic]" },
  planner: {
    kind: "enum",
    values: MPC_TYPES,
    aliases: { rs: "random_shooting", "random-shooting": "random_shooting" },
    help: "MPC optimiser [random_shooting]",
  },
  horizon: { kind: "int", min: 1, help: "planning horizon [15]" },
  samples: { kind: "int", min: 1, help: "sequences per optimiser iteration [500]" },
  "action-mode": {
    kind: "enum",
    values: ["discrete", "continuous"],
    help: "plan action indices, or u in [-1,1] with sign = push [discrete]",
  },
  hidden: { kind: "intList", help: "model hidden widths [64,64]" },
  lr: { kind: "number", positive: true, help: "model learning rate [0.003]" },
  epochs: { kind: "int", min: 1, help: "most model epochs per refit [300]" },
  patience: { kind: "int", min: 1, help: "early-stopping patience in epochs [30]" },
  "batch-size": { kind: "int", min: 1, help: "model minibatch size [64]" },
  "ensemble-size": { kind: "int", min: 1, help: "ensemble members [5]" },
  particles: { kind: "int", min: 1, help: "particles per sequence [1]" },
  elites: { kind: "int", min: 1, help: "CEM elites [50]" },
  iterations: { kind: "int", min: 1, help: "CEM/MPPI iterations per step [5 / 1]" },
  temperature: { kind: "number", positive: true, help: "MPPI temperature [1]" },
  "noise-sigma": { kind: "number", positive: true, help: "MPPI noise std [0.5]" },
  warmup: { kind: "int", min: 1, help: "random warm-up steps [200]" },
  "retrain-every": { kind: "int", min: 1, help: "refit the model every N real steps [100]" },
  "eval-every": { kind: "int", min: 1, help: "evaluate every N real steps [100]" },
  "eval-episodes": { kind: "int", min: 1, help: "episodes per evaluation [10]" },
  "no-shaping": { kind: "bool", help: "switch the planning objective's shaping term off" },
  "no-stop": { kind: "bool", help: "keep training after the first solved evaluation" },
  backend: { kind: "enum", values: ["wasm", "cpu"], help: "tfjs backend [wasm]" },
  quiet: { kind: "bool", help: "no progress output" },
  help: { kind: "bool", help: "show this help" },
});

const USAGE = "Usage: deno task train [--env CartPole-v1] [--seed 0] [--max-steps 1000] " +
  "[--out data/runs] [--model deterministic] [--planner random_shooting] ...";

/**
 * Turns parsed flags into {@linkcode trainModelBasedRL} options.
 *
 * @throws {ArgsError} on a bad command line.
 */
export function trainOptionsFromArgs(argv: readonly string[]): TrainModelBasedRLOptions & {
  help: boolean;
  quiet: boolean;
} {
  const f = parseFlags(argv, TRAIN_FLAGS);
  const agent: Partial<ModelBasedRLAgentOptions> = {};
  if (f.hidden !== undefined) agent.hiddenSizes = f.hidden as number[];
  if (f.lr !== undefined) agent.learningRate = f.lr as number;
  if (f.epochs !== undefined) agent.trainEpochs = f.epochs as number;
  if (f.patience !== undefined) agent.patience = f.patience as number;
  if (f["batch-size"] !== undefined) agent.batchSize = f["batch-size"] as number;
  if (f["ensemble-size"] !== undefined) agent.numModels = f["ensemble-size"] as number;
  if (f.particles !== undefined) agent.particles = f.particles as number;
  if (f.elites !== undefined) agent.numElite = f.elites as number;
  if (f.iterations !== undefined) agent.numIterations = f.iterations as number;
  if (f.temperature !== undefined) agent.temperature = f.temperature as number;
  if (f["noise-sigma"] !== undefined) agent.noiseSigma = f["noise-sigma"] as number;
  const samples = f.samples as number | undefined;
  if (agent.numElite !== undefined && agent.numElite > (samples ?? 500)) {
    throw new ArgsError(
      `--elites must be at most --samples (${samples ?? 500}) but found ${agent.numElite}`,
    );
  }
  return {
    help: f.help === true,
    quiet: f.quiet === true,
    envName: f.env as EnvId | undefined,
    seed: f.seed as number | undefined,
    maxSteps: f["max-steps"] as number | undefined,
    outDir: f.out as string | undefined,
    runId: f["run-id"] as string | undefined,
    modelType: f.model as TrainModelBasedRLOptions["modelType"],
    mpcType: f.planner as TrainModelBasedRLOptions["mpcType"],
    horizon: f.horizon as number | undefined,
    numSamples: samples,
    actionMode: f["action-mode"] as TrainModelBasedRLOptions["actionMode"],
    warmupSteps: f.warmup as number | undefined,
    retrainEvery: f["retrain-every"] as number | undefined,
    evalEvery: f["eval-every"] as number | undefined,
    evalEpisodes: f["eval-episodes"] as number | undefined,
    shaping: f["no-shaping"] === true ? false : undefined,
    stopWhenSolved: f["no-stop"] === true ? false : undefined,
    backend: f.backend as "wasm" | "cpu" | undefined,
    agent,
  };
}

function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);
}

/** Progress display: a redrawn bar on a terminal, plain lines otherwise. */
function makeReporter(tty: boolean, quiet: boolean) {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  let lastEval = "-";
  const bar = (s: MbrlStatus) => {
    const width = 24;
    const filled = Math.round((Math.min(s.envSteps, s.maxSteps) / s.maxSteps) * width);
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${s.phase.padEnd(6)} ` +
      `ep ${s.episode} steps ${s.envSteps}/${s.maxSteps} ret ${fmt(s.lastReturn, 0)} ` +
      `loss ${fmt(s.modelLoss, 4)} plan ${fmt(s.planMs)} ms eval ${lastEval}`;
    write(`\r\x1b[2K${line}`);
  };
  return {
    onStatus(status: MbrlStatus) {
      if (!quiet && tty) bar(status);
    },
    onProgress(row: MetricsRow) {
      if (row.kind === "eval") lastEval = fmt(row.evalReturnMean);
      if (quiet || tty) return;
      if (row.kind === "episode") {
        write(
          `episode ${row.episode} steps ${row.envSteps} return ${row.return} ` +
            `loss ${fmt(row.modelValLoss as number | null, 4)} ` +
            `plan ${fmt(row.planMsMean as number | null)} ms\n`,
        );
      } else {
        write(
          `eval at ${row.envSteps} steps: mean ${fmt(row.evalReturnMean)} over ` +
            `${row.evalEpisodes} episodes (${fmt(row.evalSeconds as number, 1)} s)\n`,
        );
      }
    },
    finish() {
      if (!quiet && tty) write("\n");
    },
  };
}

/** Runs the command line; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof trainOptionsFromArgs>;
  try {
    options = trainOptionsFromArgs(argv);
  } catch (error) {
    if (error instanceof ArgsError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    console.log(formatHelp(USAGE, TRAIN_FLAGS));
    return 0;
  }
  const { help: _help, quiet, ...train } = options;
  const reporter = makeReporter(Deno.stderr.isTerminal(), quiet);
  const { summary, agent } = await trainModelBasedRL({
    ...train,
    onProgress: reporter.onProgress,
    onStatus: reporter.onStatus,
  });
  reporter.finish();
  agent.dispose();
  console.log(JSON.stringify(summary));
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
