/**
 * `deno task train`: trains the model-based agent and writes a run folder.
 *
 * ```
 * deno task train --env CartPole-v1 --seed 3 --max-steps 3000 --out DIR [--model ensemble]
 *   [--planner cem] [--horizon 15] [--samples 500] [--config overrides.json] ...
 * ```
 * The run starts from the env's preset (`MBRL_PRESETS`); `--config FILE` applies a JSON
 * object of overrides (an `MbrlConfigInput`), then each flag overrides one field. `--help`
 * lists every flag with its field's doc and the chosen env's preset value, generated from the
 * configuration itself; `--print-config` prints the resolved configuration and exits. Bad
 * flags exit with status 2 and one line naming the flag and what is allowed, before any work.
 * Progress goes to stderr (a bar on a terminal, plain lines otherwise); the last line on
 * stdout is the run's `summary.json` as one line of JSON.
 *
 * @module
 */
import {
  MBRL_FIELD_DOCS,
  MBRL_PRESETS,
  type MbrlConfigInput,
  resolveMbrlConfig,
} from "../agents/mbrl_config.ts";
import type { MbrlConfig } from "../agents/mbrl_config.ts";
import { MODEL_TYPES, MPC_TYPES } from "../agents/mbrl_agent.ts";
import { MODEL_INFERENCES } from "../models/mod.ts";
import { type MbrlRunOptions, trainModelBasedRL } from "../agents/mbrl_loop.ts";
import { ENV_IDS, makeEnv } from "../envs/registry.ts";
import { TrueDynamicsModel, TrueMeanModel } from "../planners/true_dynamics_model.ts";
import { ACTION_SELECTIONS } from "../planners/planner_settings.ts";
import type { EnvId } from "../envs/types.ts";
import { ArgsError, type FlagSpec, formatHelp, type ParsedValue, parseFlags } from "./args.ts";
import { interruptExitCode, withInterruptSignal } from "./interrupt.ts";
import { ProgressReporter } from "./progress.ts";
import { runCli } from "./run_cli.ts";

/** A flag that sets one configuration field (`path`, e.g. `"planner.horizon"`). */
interface ConfigFlag {
  /** Dotted path of the field in {@linkcode MbrlConfig}. */
  path: string;
  /** The value kind; `help` is generated. */
  spec: Omit<FlagSpec, "help"> & { kind: FlagSpec["kind"] };
  /** Maps the parsed value onto the field (default: the value itself). */
  map?: (value: ParsedValue) => unknown;
  /** Help text when it is not the field's doc (switches that invert a field). */
  help?: string;
}

/** Every flag that sets a configuration field, in help order. */
const CONFIG_FLAGS: Readonly<Record<string, ConfigFlag>> = Object.freeze({
  env: { path: "envId", spec: { kind: "enum", values: ENV_IDS } },
  seed: { path: "seed", spec: { kind: "int" } },
  "max-steps": { path: "loop.maxSteps", spec: { kind: "int", min: 1 } },
  warmup: { path: "loop.warmupSteps", spec: { kind: "int", min: 1 } },
  "retrain-every": { path: "loop.retrainEvery", spec: { kind: "int", min: 1 } },
  "retrain-at-episode-end": { path: "loop.retrainAtEpisodeEnd", spec: { kind: "bool" } },
  "no-stop": {
    path: "loop.stopWhenSolved",
    spec: { kind: "bool" },
    map: (v) => !v,
    help: "keep training after the first solved evaluation",
  },
  "buffer-capacity": { path: "loop.bufferCapacity", spec: { kind: "int", min: 1 } },
  model: { path: "model.type", spec: { kind: "enum", values: MODEL_TYPES } },
  hidden: { path: "model.hiddenSizes", spec: { kind: "intList" } },
  "ensemble-size": { path: "model.numModels", spec: { kind: "int", min: 1 } },
  lr: { path: "model.learningRate", spec: { kind: "number", positive: true } },
  inference: { path: "model.inference", spec: { kind: "enum", values: MODEL_INFERENCES } },
  epochs: { path: "fit.epochs", spec: { kind: "int", min: 1 } },
  "batch-size": { path: "fit.batchSize", spec: { kind: "int", min: 1 } },
  patience: { path: "fit.patience", spec: { kind: "int", min: 1 } },
  "val-fraction": { path: "fit.validationFraction", spec: { kind: "number", positive: true } },
  planner: {
    path: "planner.type",
    spec: {
      kind: "enum",
      values: MPC_TYPES,
      aliases: { rs: "random_shooting", "random-shooting": "random_shooting" },
    },
  },
  horizon: { path: "planner.horizon", spec: { kind: "int", min: 1 } },
  samples: { path: "planner.numSamples", spec: { kind: "int", min: 1 } },
  "action-mode": {
    path: "planner.actionMode",
    spec: { kind: "enum", values: ["discrete", "continuous"] },
  },
  particles: { path: "planner.particles", spec: { kind: "int", min: 1 } },
  propagation: {
    path: "planner.propagation",
    spec: { kind: "enum", values: ["ts1", "tsinf", "expectation"] },
  },
  discount: { path: "planner.discount", spec: { kind: "number" } },
  workers: { path: "planner.workers", spec: { kind: "int", min: 0 } },
  selection: {
    path: "planner.selection",
    spec: { kind: "enum", values: ACTION_SELECTIONS },
  },
  elites: { path: "planner.numElite", spec: { kind: "int", min: 1 } },
  iterations: { path: "planner.numIterations", spec: { kind: "int", min: 1 } },
  alpha: { path: "planner.alpha", spec: { kind: "number" } },
  temperature: { path: "planner.temperature", spec: { kind: "number", positive: true } },
  "noise-sigma": { path: "planner.noiseSigma", spec: { kind: "number", positive: true } },
  "noise-beta": { path: "planner.noiseBeta", spec: { kind: "number" } },
  "min-probability": { path: "planner.minProbability", spec: { kind: "number" } },
  "shift-blend": { path: "planner.shiftBlend", spec: { kind: "number" } },
  "reward-source": {
    path: "objective.rewardSource",
    spec: { kind: "enum", values: ["env", "model"] },
  },
  "termination-source": {
    path: "objective.terminationSource",
    spec: { kind: "enum", values: ["env", "model"] },
  },
  shaping: {
    path: "objective.shaping",
    spec: { kind: "numberList" },
    map: (v) => ({ weights: v }),
  },
  "no-shaping": {
    path: "objective.shaping",
    spec: { kind: "bool" },
    map: (v) => (v ? null : undefined),
    help: "switch the planning objective's shaping term off",
  },
  "terminal-value": { path: "objective.terminalValue", spec: { kind: "bool" } },
  "exploration-bonus": { path: "objective.explorationBonus", spec: { kind: "number" } },
  "value-hidden": { path: "value.hiddenSizes", spec: { kind: "intList" } },
  "value-lr": { path: "value.learningRate", spec: { kind: "number", positive: true } },
  "value-tau": { path: "value.targetTau", spec: { kind: "number", positive: true } },
  "value-epochs": { path: "value.epochs", spec: { kind: "int", min: 1 } },
  "eval-every": { path: "eval.every", spec: { kind: "int", min: 1 } },
  "eval-episodes": { path: "eval.episodes", spec: { kind: "int", min: 1 } },
  "no-early-stop": {
    path: "eval.earlyStop",
    spec: { kind: "bool" },
    map: (v) => !v,
    help: "always run every evaluation episode",
  },
});

/**
 * What the loop plans with: the learned model, the env's true physics (`TrueDynamicsModel`) or
 * the true physics with the learned ensemble's disagreement (`TrueMeanModel`).
 */
export const DYNAMICS = ["learned", "true", "true-mean"] as const;

/** Flags about the run itself, not its configuration. */
const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  config: { kind: "string", help: "JSON file of configuration overrides, applied before flags" },
  out: { kind: "string", help: "folder for the run folder [data/runs]" },
  "run-id": {
    kind: "string",
    help: "run folder name; an existing one is refused [<time>_mbrl_s<seed>, made unique]",
  },
  overwrite: { kind: "bool", help: "replace the --run-id folder if it exists" },
  backend: { kind: "enum", values: ["wasm", "cpu"], help: "tfjs backend [wasm]" },
  dynamics: {
    kind: "enum",
    values: DYNAMICS,
    help: "control experiment: plan on the env's true physics, alone (true; no bonus) or with " +
      "the learned ensemble's disagreement (true-mean) [learned]",
  },
  "print-config": { kind: "bool", help: "print the resolved configuration as JSON and exit" },
  quiet: { kind: "bool", help: "no progress output" },
  help: { kind: "bool", help: "show this help (with --env X: X's preset values)" },
});

function getPath(object: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>(
    (node, key) => (node as Record<string, unknown> | undefined)?.[key],
    object,
  );
}

function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = object;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** The planner fields every optimiser has, taken from a resolved configuration. */
function commonPlannerFields(config: MbrlConfig) {
  const { horizon, numSamples, actionMode, actionBounds, particles, propagation, discount } =
    config.planner;
  return { horizon, numSamples, actionMode, actionBounds, particles, propagation, discount };
}

function describeDefault(value: unknown): string {
  if (value === undefined) return "-";
  if (value === null) return "none";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * The flag table of `deno task train`, with each configuration flag's help made from its
 * field's doc and `preset`'s value: generated, so it cannot drift from the configuration.
 *
 * @example
 * ```ts
 * import { MBRL_PRESETS } from "../agents/mbrl_config.ts";
 * const flags = trainFlags(MBRL_PRESETS["CartPole-v1"]);
 * flags.horizon?.help; // "planning horizon, env steps [15]"
 * ```
 */
export function trainFlags(preset: MbrlConfig): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  // Fields the preset's planner lacks show the values they take with the other planners.
  const others = MPC_TYPES.filter((type) => type !== preset.planner.type).map((type) =>
    resolveMbrlConfig({ ...preset, planner: { ...commonPlannerFields(preset), type } })
  );
  for (const [name, flag] of Object.entries(CONFIG_FLAGS)) {
    const doc = flag.help ?? String(getPath(MBRL_FIELD_DOCS, flag.path));
    let shown = describeDefault(getPath(preset, flag.path));
    if (getPath(preset, flag.path) === undefined) {
      shown = others.filter((c) => getPath(c, flag.path) !== undefined)
        .map((c) => `${c.planner.type}: ${describeDefault(getPath(c, flag.path))}`).join(", ");
    }
    const help = flag.help ?? `${doc} [${shown}]`;
    flags[name] = { ...flag.spec, help } as FlagSpec;
  }
  return { ...flags, ...RUN_FLAGS };
}

/** What {@linkcode trainOptionsFromArgs} returns: the configuration input and run options. */
export interface TrainCommand {
  /** The overrides (from `--config` and flags), resolved by the loop against the preset. */
  config: MbrlConfigInput;
  /** Folder for the run folder. */
  outDir: string | undefined;
  /** Run folder name. */
  runId: string | undefined;
  /** tfjs backend. */
  backend: "wasm" | "cpu" | undefined;
  /** `--help` was given. */
  help: boolean;
  /** `--print-config` was given. */
  printConfig: boolean;
  /** `--quiet` was given. */
  quiet: boolean;
  /** `--overwrite` was given. */
  overwrite: boolean;
  /** What the loop plans with (`--dynamics`). */
  dynamics: (typeof DYNAMICS)[number];
}

/**
 * Turns the command line into a configuration input and run options, checking the resolved
 * configuration so that a contradictory one fails here, before any work.
 *
 * @example
 * ```ts
 * const command = trainOptionsFromArgs(["--env", "Pendulum-v1", "--horizon", "20"]);
 * command.config.planner?.horizon; // 20
 * ```
 * @throws {ArgsError} on a bad command line or configuration (one line).
 */
export function trainOptionsFromArgs(argv: readonly string[]): TrainCommand {
  const flags = parseFlags(argv, trainFlags(MBRL_PRESETS["CartPole-v1"]));
  let config: Record<string, unknown> = {};
  if (typeof flags.config === "string") {
    let text: string;
    try {
      text = Deno.readTextFileSync(flags.config);
    } catch (error) {
      throw new ArgsError(`--config ${flags.config} cannot be read: ${(error as Error).message}`);
    }
    try {
      config = JSON.parse(text);
    } catch (error) {
      throw new ArgsError(`--config ${flags.config} is not JSON: ${(error as Error).message}`);
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      throw new ArgsError(`--config ${flags.config} must hold one JSON object of overrides`);
    }
  }
  for (const [name, flag] of Object.entries(CONFIG_FLAGS)) {
    const value = flags[name];
    if (value === undefined) continue;
    const mapped = flag.map ? flag.map(value) : value;
    if (mapped !== undefined) setPath(config, flag.path, mapped);
  }
  if (flags.shaping !== undefined && flags["no-shaping"] === true) {
    throw new ArgsError("--shaping and --no-shaping contradict each other; give one");
  }
  const input = config as MbrlConfigInput;
  let resolved: MbrlConfig;
  try {
    resolved = resolveMbrlConfig(input);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new ArgsError(error.message);
    }
    throw error;
  }
  const dynamics = (flags.dynamics ?? "learned") as TrainCommand["dynamics"];
  if (dynamics !== "learned") {
    // Both oracles step a private env on the main thread; workers load a saved learned model.
    if (resolved.planner.workers !== 0) {
      throw new ArgsError(`--dynamics ${dynamics} needs --workers 0`);
    }
    if (dynamics === "true" && resolved.objective.explorationBonus > 0) {
      throw new ArgsError(
        "--dynamics true has no ensemble for the exploration bonus: use --exploration-bonus 0 " +
          "or --dynamics true-mean",
      );
    }
    if (dynamics === "true-mean" && resolved.model.type !== "ensemble") {
      throw new ArgsError("--dynamics true-mean needs --model ensemble (its disagreement)");
    }
  }
  return {
    config: input,
    outDir: flags.out as string | undefined,
    runId: flags["run-id"] as string | undefined,
    backend: flags.backend as "wasm" | "cpu" | undefined,
    help: flags.help === true,
    printConfig: flags["print-config"] === true,
    quiet: flags.quiet === true,
    overwrite: flags.overwrite === true,
    dynamics,
  };
}

/** The run options that make the loop plan with `dynamics` on `envId` (none for "learned"). */
function dynamicsOptions(
  dynamics: TrainCommand["dynamics"],
  envId: EnvId,
): Pick<MbrlRunOptions, "dynamicsModel" | "wrapModel"> {
  const truth = () => new TrueDynamicsModel({ env: makeEnv(envId) });
  if (dynamics === "true") return { dynamicsModel: truth() };
  if (dynamics === "true-mean") {
    return { wrapModel: (ensemble) => new TrueMeanModel({ truth: truth(), ensemble }) };
  }
  return {};
}

function usage(envId: EnvId): string {
  return `Usage: deno task train [--env ${envId}] [--seed 0] [--max-steps N] [--out data/runs] ` +
    `[--config overrides.json] [flags]\n\nStarts from the env's preset (values in brackets are ` +
    `${envId}'s); each flag overrides one field.`;
}

/**
 * Runs the command line; returns the exit status.
 *
 * @example
 * ```ts
 * await main(["--env", "Pendulum-v1", "--help"]); // 0, after printing the flag table
 * await main(["--horizon", "0"]); // 2, after printing one error line
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  let command: TrainCommand;
  try {
    command = trainOptionsFromArgs(argv);
  } catch (error) {
    if (error instanceof ArgsError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const envId = command.config.envId ?? "CartPole-v1";
  if (command.help) {
    console.log(formatHelp(usage(envId), trainFlags(MBRL_PRESETS[envId])));
    return 0;
  }
  if (command.printConfig) {
    console.log(JSON.stringify(resolveMbrlConfig(command.config), null, 2));
    return 0;
  }
  return await withInterruptSignal(async (signal) => {
    const reporter = new ProgressReporter({ quiet: command.quiet });
    const { summary, agent } = await trainModelBasedRL(command.config, {
      outDir: command.outDir,
      runId: command.runId,
      overwrite: command.overwrite,
      backend: command.backend,
      ...dynamicsOptions(command.dynamics, envId),
      signal,
      onProgress: (row) => reporter.row(row),
      onStatus: (status) => reporter.status(status),
    });
    agent.dispose();
    reporter.finish(summary);
    console.log(JSON.stringify(summary));
    // An interrupted run has written its summary (status "interrupted") and exits 130/143.
    return interruptExitCode(signal) ?? 0;
  });
}

if (import.meta.main) {
  Deno.exit(await runCli(() => main(Deno.args)));
}
