/**
 * The one typed configuration of the model-based RL loop, its per-environment presets, and
 * {@linkcode resolveMbrlConfig}, which turns a preset plus overrides into the resolved
 * configuration a run uses and records (`config.json`). Every knob is declared once here (or,
 * for the planner and objective, in `lib/planners/planner_settings.ts`) with its type and a
 * one-line doc; the train CLI's `--help` is generated from these docs and the presets.
 *
 * @module
 */
import { assertEnvId, ENV_IDS, envMetadata } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { type DynamicsModelType, MODEL_INFERENCES, type ModelInference } from "../models/mod.ts";
import {
  defaultWorkerCount,
  OBJECTIVE_FIELD_DOCS,
  type ObjectiveSettings,
  PLANNER_FIELD_DOCS,
  type PlannerSettings,
  type PlannerSettingsInput,
  resolvePlannerSettings,
} from "../planners/mod.ts";
import { assertPositiveInt } from "../validate.ts";

/** The loop's schedule: budget, warm-up, refits, stopping. */
export interface LoopConfig {
  /** Budget of real environment steps, warm-up included. */
  maxSteps: number;
  /** Uniformly random steps before the first model fit (fewer than `maxSteps`). */
  warmupSteps: number;
  /** Refit the model every this many real steps after warm-up. */
  retrainEvery: number;
  /** Also refit at the end of every training episode. */
  retrainAtEpisodeEnd: boolean;
  /** Stop at the first evaluation that solves the env (see `evaluationSolves`). */
  stopWhenSolved: boolean;
  /** Replay capacity, transitions (older ones are overwritten). */
  bufferCapacity: number;
}

/** The learned dynamics model. */
export interface ModelConfig {
  /** Model family: one MSE network, one Gaussian (NLL) network, or a bootstrapped ensemble. */
  type: DynamicsModelType;
  /** Hidden layer widths of each network. */
  hiddenSizes: number[];
  /** Ensemble members (1 for the single-network types). */
  numModels: number;
  /** Adam step size of the model. */
  learningRate: number;
  /** Inference engine of the model's predictions (planning): the dense kernel or tfjs. */
  inference: ModelInference;
}

/** How each refit trains the model (early stopping on a held-out split). */
export interface FitConfig {
  /** Most epochs per refit. */
  epochs: number;
  /** Model minibatch size. */
  batchSize: number;
  /** Epochs without validation improvement before a refit stops. */
  patience: number;
  /** Fraction of the buffer held out for early stopping. */
  validationFraction: number;
}

/**
 * The learned terminal value `V(s)` (`objective.terminalValue`): TD(0) over the agent's real
 * transitions with a Polyak target network, refitted after every model refit; its discount is
 * the planner's.
 */
export interface ValueConfig {
  /** Hidden layer widths of V. */
  hiddenSizes: number[];
  /** Adam step size of V. */
  learningRate: number;
  /** Polyak rate of V's target network per gradient step. */
  targetTau: number;
  /** Passes over the buffer per refit of V. */
  epochs: number;
  /** Fewest gradient steps per refit of V (small buffers get more passes). */
  minSteps: number;
  /** Minibatch size of V. */
  batchSize: number;
  /** Weight of longer returns in V's target: 0 is TD(0), above 0 TD(lambda) over the buffer's episodes. */
  lambda: number;
  /** Where V starts: 0, or `mean(r) / (1 - discount)` of the first fit's rewards. */
  initialValue: "zero" | "meanReward";
  /** With lambda: follow the data's continuation only where it beat V' (the better of the two). */
  optimisticTrace: boolean;
  /**
   * V's targets: `"data"` from the stored transitions (TD(0) or TD(lambda) by `lambda`), or
   * `"model"`: value iteration on the learned model, each stored state backed up by its best
   * action's imagined step, `max_a (r + discount * V'(s'_a))` (Discrete action spaces only;
   * `lambda` and `optimisticTrace` are then unused).
   */
  backup: "data" | "model";
  /**
   * Networks averaged into V (each its own initial weights, target network and optimiser, all
   * on the same targets): 1 is a single network; more cost that many times its fit.
   */
  members: number;
}

/** The evaluation schedule (true env returns; no data added, not counted in `envSteps`). */
export interface EvalConfig {
  /** Evaluate every this many real steps after warm-up, and right after it. */
  every: number;
  /** Episodes per evaluation. */
  episodes: number;
  /**
   * Stop an evaluation once its mean can no longer reach the solved threshold even if every
   * remaining episode scored the env's largest possible return (exact for the solved
   * decision; the row then records fewer episodes).
   */
  earlyStop: boolean;
  /**
   * With `earlyStop`: episodes run before the others, so that a weak controller is refused
   * after these alone (the rest run together only when the first wave has not ruled out
   * solving). The fewest worst-case episodes that rule it out is the right size: 1-2 for
   * CartPole (a failed episode scores ~10 of 500), 3 for Acrobot-v1 (two -500s still allow
   * a mean of -100 if the other eight scored 0).
   */
  firstWave: number;
}

/** The whole configuration of one MBRL run, resolved: every field has its value. */
export interface MbrlConfig {
  /** The Gymnasium environment id. */
  envId: EnvId;
  /** One seed for everything (env resets, model init, buffer sampling, planner noise). */
  seed: number;
  /** Budget, warm-up, refits, stopping. */
  loop: LoopConfig;
  /** The learned dynamics model. */
  model: ModelConfig;
  /** How each refit trains the model. */
  fit: FitConfig;
  /** The MPC planner: a union discriminated on `type` with exactly that optimiser's options. */
  planner: PlannerSettings;
  /** What the planner scores: reward and termination sources, shaping, value, bonus. */
  objective: ObjectiveSettings;
  /** The learned terminal value (used when `objective.terminalValue`). */
  value: ValueConfig;
  /** The evaluation schedule. */
  eval: EvalConfig;
}

/** What {@linkcode resolveMbrlConfig} accepts: the env id, and any fields to override. */
export interface MbrlConfigInput {
  /** The environment, whose preset supplies every field not given. @default {"CartPole-v1"} */
  envId?: EnvId;
  /** @default {0} */
  seed?: number;
  /** Overrides of the loop's schedule. */
  loop?: Partial<LoopConfig>;
  /** Overrides of the model. */
  model?: Partial<ModelConfig>;
  /** Overrides of the refits. */
  fit?: Partial<FitConfig>;
  /**
   * Overrides of the planner; a different `type` keeps the preset's common fields (horizon,
   * samples, ...) and takes that optimiser's own defaults.
   */
  planner?: PlannerSettingsInput;
  /** Overrides of the objective. */
  objective?: Partial<ObjectiveSettings>;
  /** Overrides of the terminal value's learner. */
  value?: Partial<ValueConfig>;
  /** Overrides of the evaluation schedule. */
  eval?: Partial<EvalConfig>;
}

/** Each group's one-line field docs (the planner's and objective's come from the planners). */
export const MBRL_FIELD_DOCS: Readonly<{
  envId: string;
  seed: string;
  loop: Readonly<Record<keyof LoopConfig, string>>;
  model: Readonly<Record<keyof ModelConfig, string>>;
  fit: Readonly<Record<keyof FitConfig, string>>;
  planner: typeof PLANNER_FIELD_DOCS;
  objective: typeof OBJECTIVE_FIELD_DOCS;
  value: Readonly<Record<keyof ValueConfig, string>>;
  eval: Readonly<Record<keyof EvalConfig, string>>;
}> = Object.freeze({
  envId: "environment id",
  seed: "seed of everything (env resets, model init, buffer, planner noise)",
  loop: Object.freeze({
    maxSteps: "real env steps, warm-up included",
    warmupSteps: "uniformly random steps before the first model fit",
    retrainEvery: "refit the model every N real steps after warm-up",
    retrainAtEpisodeEnd: "also refit at the end of every training episode",
    stopWhenSolved: "stop at the first solved evaluation",
    bufferCapacity: "replay capacity, transitions",
  }),
  model: Object.freeze({
    type: "dynamics model family",
    hiddenSizes: "hidden layer widths",
    numModels: "ensemble members (1 unless ensemble)",
    learningRate: "model Adam step size",
    inference: "model inference engine: kernel (relaxed-SIMD wasm) or tfjs",
  }),
  fit: Object.freeze({
    epochs: "most model epochs per refit",
    batchSize: "model minibatch size",
    patience: "early-stopping patience, epochs",
    validationFraction: "fraction held out for early stopping",
  }),
  planner: PLANNER_FIELD_DOCS,
  objective: OBJECTIVE_FIELD_DOCS,
  value: Object.freeze({
    hiddenSizes: "terminal value V: hidden layer widths",
    learningRate: "terminal value V: Adam step size",
    targetTau: "terminal value V: Polyak rate of its target network",
    epochs: "terminal value V: passes over the buffer per refit",
    minSteps: "terminal value V: fewest gradient steps per refit",
    batchSize: "terminal value V: minibatch size",
    lambda: "terminal value V: TD(lambda) weight of longer returns (0 = TD(0))",
    initialValue: "terminal value V: start at zero or at mean(r) / (1 - discount)",
    optimisticTrace: "terminal value V: with lambda, follow a continuation only where it beat V'",
    backup: "terminal value V: targets from the data or by value iteration on the model",
    members: "terminal value V: networks averaged into V (1 = a single network)",
  }),
  eval: Object.freeze({
    every: "evaluate every N real steps after warm-up",
    episodes: "episodes per evaluation",
    earlyStop: "stop an evaluation once it can no longer solve the env",
    firstWave: "with the early stop: episodes run before the rest",
  }),
});

/** Ensemble size used when a preset's single model is switched to an ensemble. */
const DEFAULT_ENSEMBLE_SIZE = 5;

/** What every preset shares (each env's preset below says what it changes and why). */
const SHARED = {
  seed: 0,
  loop: {
    maxSteps: 1000,
    // Enough random data for a first model that plans better than chance on CartPole.
    warmupSteps: 200,
    retrainEvery: 100,
    retrainAtEpisodeEnd: false,
    stopWhenSolved: true,
    bufferCapacity: 100_000,
  },
  model: {
    type: "deterministic" as DynamicsModelType,
    hiddenSizes: [64, 64],
    numModels: 1,
    // 10x the model class's default: fitting small models to convergence at every refit
    // mattered more than anything but the objective (50 epochs at 1e-3 underfit, costing
    // CartPole seeds 300-800 real steps).
    learningRate: 3e-3,
    // tfjs, not the model class's default kernel: the committed results of every preset but
    // CartPole-v1's were made with tfjs inference, and the kernel's last-bit differences
    // change a seeded run's actions; `--inference kernel` plans the same way ~1.5x faster.
    inference: "tfjs" as ModelInference,
  },
  fit: { epochs: 300, batchSize: 64, patience: 30, validationFraction: 0.1 },
  objective: {
    rewardSource: "env",
    terminationSource: "env",
    shaping: null,
    terminalValue: false,
    explorationBonus: 0,
  },
  // The ValueFunction's own defaults (lib/models/value_function.ts: measured on a CartPole
  // probe); used only when objective.terminalValue is on.
  value: {
    hiddenSizes: [64, 64],
    learningRate: 1e-3,
    targetTau: 0.05,
    epochs: 20,
    minSteps: 500,
    batchSize: 64,
    lambda: 0,
    initialValue: "zero" as "zero" | "meanReward",
    optimisticTrace: false,
    backup: "data" as "data" | "model",
    members: 1,
  },
  // A first wave of 2 episodes: a weak CartPole controller is refused after it.
  eval: { every: 100, episodes: 10, earlyStop: true, firstWave: 2 },
} as const;

/**
 * The per-environment presets: what `deno task train --env X` starts from. Values that
 * differ from the planners' design defaults (H10, 1,000 sequences) carry their reason.
 * Issue 11 re-tunes the non-CartPole presets; these are the settings the measured figures in
 * the README and `../shared/FACTS.md` were taken with.
 */
const RS_500_H15 = Object.freeze(
  {
    type: "random_shooting",
    horizon: 15,
    numSamples: 500,
    workers: 0,
  } as const,
);

/**
 * The sparse-reward recipe of Acrobot-v1 and MountainCar-v0 (tuned on Acrobot-v1 seed 10; each
 * value measured there, README): MountainCarContinuous-v0's (ensemble of 5, bonus 10, learned
 * terminal value, refit every 250; fits capped at 100 epochs, patience 10, for time) with three
 * changes.
 */
const SPARSE_DISCRETE_RECIPE = Object.freeze(
  {
    loop: { retrainEvery: 250 },
    model: { type: "ensemble" },
    fit: { epochs: 100, patience: 10 },
    // (1) CEM, 5 iterations of 100 sequences (the cost of random shooting's 500): swinging up
    // needs runs of one torque, which uniform random sequences almost never contain; with
    // random shooting (500, H15) the evaluations were -186, -156, -144, -127 at 700-2,200
    // steps, with CEM -117, -118, -113 at 700-1,700.
    planner: {
      type: "cem",
      horizon: 15,
      numSamples: 100,
      numIterations: 5,
      numElite: 10,
      actionMode: "discrete",
      propagation: "expectation",
      discount: 0.99,
      workers: 0,
    },
    objective: { terminalValue: true, explorationBonus: 10 },
    // (2) V starts at mean(r) / (1 - discount) (-100 here, exact until a goal is reached, so
    // the bonus alone explores) and (3) learns lambda-returns (0.95, as Dreamer) that carry a
    // goal's value along a whole episode per pass. With TD(0) from 0 (last session) seed 10
    // was at -151 after 2,225 steps; with both, -127 after 2,200 (random shooting).
    value: { lambda: 0.95, initialValue: "meanReward" },
  } as const,
);

const PRESET_INPUTS: Readonly<Record<EnvId, MbrlConfigInput>> = {
  "CartPole-v1": {
    // The kernel (the model classes' default): the main command's evaluations are most of its
    // wall clock, and the kernel plans them ~1.5x faster (AMD EPYC family 25 model 17, idle:
    // 11.0 and 12.9 s against 16.4-18.9 s on tfjs). Seeds 0-4 at `--max-steps 500` solve at
    // the same steps with the same final means on either engine (300, 300, 200, 200, 400),
    // and the committed CartPole-v1 comparison was re-made on the kernel.
    model: { inference: "kernel" },
    // The env's own reward, no shaping (issue 11). Reward 1 per alive step makes every
    // sequence that survives the horizon tie, and the best one's first action is then an
    // arbitrary one (with the true dynamics, 2 of 3 episodes drifted out by step 150):
    // "firstActionMean" executes the action whose sequences score the highest mean, a
    // Monte-Carlo Q under random continuation (true dynamics: 4 of 4 episodes 500, |x| < 0.5).
    // H15 (as before); action indices directly, since CartPole's two pushes are the space;
    // 500 sequences: about 250 per first action for each mean (with 200, seed 16 did not solve).
    // Planning workers on (one per spare core, `MBRL_WORKERS`; identical actions for any
    // count): since jobs reach the workers through shared memory, the 10-episode lockstep
    // evaluation's 5,000 rows split with profit, and evaluations are most of this env's wall
    // clock (main command, idle: 19.1-20.1 s with 0 workers, 13.8 s with 1).
    planner: {
      ...RS_500_H15,
      actionMode: "discrete",
      selection: "firstActionMean",
      workers: defaultWorkerCount(),
    },
    // One deterministic [64, 64] network and no exploration bonus: an ensemble of 5 with a
    // bonus of 1 (training episodes only) solved tuning seeds 10-16 at 400, 300, 300, 300,
    // 400 and missed 14, against 400, 500, 500, 300, 300 and a miss on 15 for one network,
    // so the two were not told apart there, and the ensemble costs 10x the wall clock (140-240
    // s a run against 9-19 s with the former warm-up 200 and refit every 100: the bonus
    // predicts with all members at every training step),
    // which breaks the 15 s bar of the speed issue for this env's main command. Chosen for that
    // reason; both were run once on report seeds 0-4 (README) and the single network on fresh
    // seeds 20-29. The ensemble and the bonus stay options (`--model ensemble`,
    // `--exploration-bonus 1`); the theta^2 term too (`--shaping 0,0,0.05,0`).
    objective: { shaping: null },
    // Warm-up 100 (not 200) and a refit every 50 (not 100): without shaping the evaluations
    // fail by drift (tuning seed 27: 4 greedy episodes ended at x 2.15-2.39, v ~0.9, all to the
    // same side, i.e. a biased model, where the true dynamics keep |x| < 0.5), which only
    // real MPC data from a drifting cart corrects. Random steps add none (their episodes last
    // ~20 steps, |x| < 0.25), so stepsToSolve, which counts them, buys more MPC steps with 100
    // fewer; a refit every 50 puts the newest of those into the model half an interval sooner
    // (fits are 10-20% of a run's time; evaluations dominate). Tuning seeds, `--max-steps 500`
    // (README's tuning table): seeds 10-19 and 30-39, the former preset solved 9 of
    // 20 (median > 500), this one 19 of 20 (median 400); seeds 10-39, 27 of 30 (median 400;
    // 10-19: 350). Warm-up 100 alone: 7/10 on 10-19 (median 350); refit every 50 alone: 8/10
    // (450). Not taken (10-19 on top of this): warm-up 50 alone 7/10, refit every 25 5/10,
    // H20 7/10, 1,000 samples 6/10, patience 60 10/10 but 6/10 on 20-29 (this: 8/10).
    // Evaluations stay every 100 (the comparison protocol's interval for every method), now
    // at 100, 200, ..., 500.
    loop: { warmupSteps: 100, retrainEvery: 50 },
  },
  "Pendulum-v1": {
    loop: { maxSteps: 1000 },
    planner: RS_500_H15,
    // Episodes are 200 steps: evaluating every 200 keeps evaluations to one per episode.
    eval: { every: 200 },
  },
  "MountainCar-v0": {
    // SPARSE_DISCRETE_RECIPE (Acrobot-v1's), unchanged but for the first evaluation wave. Random shooting
    // with the value learned by TD(0) from zero did not explore here (furthest x -0.30 in 2,225
    // steps: V ~ -100 everywhere and its fit error swamped the bonus); with V started at
    // mean(r) / (1 - discount) on lambda-returns, the bonus alone explores until the flag.
    // Tuning seed 10 only (4,000-step probe): the flag from step 1,790 on, every training
    // episode reaching it from step 2,151, evaluations -200, -200, -153, -118 at 200-3,200 and
    // -103 at 4,000: solved (614 s beside another job).
    ...SPARSE_DISCRETE_RECIPE,
    loop: { ...SPARSE_DISCRETE_RECIPE.loop, maxSteps: 20_000 },
    // Tried, not taken: V's optimistic trace (`value.optimisticTrace`). Tuning seeds 10 and 11,
    // `--max-steps 3200`: evaluations after the first flag -119.6, -113.7 (seed 10) and
    // -103.9, solved at 1,200 (seed 11), against the plain trace's -153.4, -123.7 and -128.1,
    // -126.7; but on four report seeds run with it (stop 19) it solved seed 0 at 3,200 and
    // seed 1 at 4,200, and seeds 2 and 3 were at -127.0 (4,200) and -121.6 (3,200), so it
    // cannot bring the median to 3,200 (the comparison's 5x bar); not taken.
    // V by value iteration on the learned model (`value.backup: "model"`: each stored state
    // backed up by its best action's imagined step), 100 passes a refit (about one backup per
    // pass). The lambda-return estimates the exploring policy's value; after the first flag
    // the greedy plan needs the best one. Tuning seeds 10-12, `--max-steps 3200`, evaluations
    // at 1,200 / 2,200 / 3,200 (stop 20): seed 10 -200, -128.7, -109.7 (solved at 3,200; the
    // plain trace: -200, -153.4, -123.7), seed 11 -144.8, -114.1, -115.5 (plain -128.1,
    // -126.7), seed 12 solved at 1,200 (-106.5). With 20 passes (the default) seed 10 was at
    // -200, -200, -179.5. Report seeds 0-4 with 100 passes (stop 20): 4,200, 4,200, 4,200,
    // 2,200, 5,200 (median 4,200), their misses one evaluation episode's extra swing each. A
    // probe (stop 22, its script not committed) with the same model and V on the true dynamics missed the same episodes, and one
    // with the exact V (grid value iteration) and the same CEM solved them all, so V's
    // accuracy, not the model or the planner's effort, was what was short.
    // 300 passes (stop 23; `{"value": {"epochs": 300}}` via `--config`). Tuning seeds 10-14,
    // `--max-steps 3200`, evaluations at 1,200 / 2,200 / 3,200: seed 10 -200, -117.5, -109.6
    // (solved at 3,200), 11 -146.3, -114.6, -111.6, 13 -200, -200, -97.8 (solved at 3,200),
    // 14 -138.1, -116.1, -104.6 (solved at 3,200), 12 -124.7, then -100.3 (solved at 2,200):
    // 4 of 5 by 3,200; with 100 passes 10 and 12 (at 1,200) solved by 3,200, 11, 13 and 14
    // did not (-115.5, -134.4, -142.5 at 3,200; 13 and 14 run in stop 23 with
    // `{"value": {"epochs": 100}}`). Tried, not taken: V [128, 128] with 100
    // passes (`{"value": {"hiddenSizes": [128, 128]}}`): seed 10 -200 at every evaluation to
    // 3,200, 11 -122.4, -110.9, -166.1, 12 -131.3, -111.2, -126.4 (100 passes: solved at 1,200).
    // Report seeds 0-4 with 300 passes (README): 3,200, 4,200, 5,200, 2,200, 9,200 (median
    // 4,200, as with 100).
    // Tried, not taken (stop 28, tuning seeds 10 and 11, `--max-steps 3200`, evaluations at
    // 1,200 / 2,200 / 3,200; against 300 passes' -200, -117.5, -109.6 and -146.3, -114.6,
    // -111.6): V [128, 128] (`{"value": {"hiddenSizes": [128, 128]}}`) -200, -113.1, -114.5
    // and -127.4 (2,200), solved at 3,200 (-103.0); an average of 5 V networks
    // (`{"value": {"members": 5}}`, 827-859 s a run against 611-621 for [128, 128], two at a time) -200, -119.4, -118.0 and
    // -121.4, -114.6, -112.6: neither ahead on both seeds.
    // Tried, not taken (stop 30, the same seeds and evaluations; its code not kept): the model
    // backups also at 1,000 states a refit drawn uniformly in the stored states' box, per
    // component (the box that stop 22's grid value iteration covered when it solved the misses):
    // -200, -200, -136.8 and -200, -166.1, -134.0. Exploration stalled: seed 10's training
    // episodes were all -200 until after step 2,200.
    value: { ...SPARSE_DISCRETE_RECIPE.value, backup: "model", epochs: 300 },
    // 200-step episodes, 20,000-step budget: an evaluation every 1,000 steps is 20 in all. A
    // first wave of 6: five -200s still allow a mean of -110, six do not.
    eval: { every: 1000, firstWave: 6 },
  },
  "MountainCarContinuous-v0": {
    // A fit of the 5-member ensemble takes 30-50 s here: a refit every 250 steps, not 100.
    loop: { maxSteps: 10_000, retrainEvery: 250 },
    // The exploration bonus is the members' disagreement, so an ensemble of 5.
    model: { type: "ensemble" },
    // "expectation": one prediction per imagined step serves the next state and the bonus
    // (ts1 cost 35-130 ms per planning step against 20-57 ms); discount 0.99 for the value.
    planner: { ...RS_500_H15, propagation: "expectation", discount: 0.99 },
    // The reward says nothing until the flag: with the true dynamics and no value, random
    // shooting at H30-H100 never reached it (furthest x -0.15 to -0.24). The bonus (weight 10,
    // training only) found the goal at steps 306 and 396 on tuning seeds 10 and 11 (seed 10
    // without it: no goal in 2,200 steps, evaluations -14 to -12); the learned terminal value
    // then carries the flag's +100 past the horizon into the greedy evaluations (both seeds
    // solved at the second evaluation, 1,200 steps).
    objective: { terminalValue: true, explorationBonus: 10 },
    // 999-step episodes: every 1,000 steps is about one evaluation per training episode.
    eval: { every: 1000 },
  },
  "Acrobot-v1": {
    // SPARSE_DISCRETE_RECIPE (above), tuned here; its reasons are given there.
    ...SPARSE_DISCRETE_RECIPE,
    loop: { ...SPARSE_DISCRETE_RECIPE.loop, maxSteps: 5000 },
    // 500-step episodes, 5,000-step budget: ten evaluations. A first wave of 3: two -500s
    // still allow a mean of -100, three do not (a failing evaluation then plans 3 episodes,
    // not 10: 56 s instead of 186 s at step 200).
    eval: { every: 500, firstWave: 3 },
    // Tried, not taken (stop 30, tuning seeds, evaluations at 700 / 1,200 real steps; this
    // preset: seed 10 -116.6, -114.4, 11 -500, -199.6, 12 -165.9, -126.5, 13 -386.0, -147.8):
    // `--horizon 30` -167.0, -173.2 and H50 -172.2, -136.9 (seed 10, then -127.8 and -119.3 at
    // 1,700: longer plans on the learned model did worse); V [128, 128] -113.3, -141.1 (seed 10);
    // the mean of 5 V networks (`{"value": {"members": 5}}`) -160.4, -107.8, -500, -161.8,
    // -500, -116.1 and -500, -129.8: ahead at 1,200 on all four seeds, behind at 700 on three,
    // and no seed solved by 1,200 (what the comparison's 5x bar needs), so not run on the
    // report seeds yet. To `--max-steps 3200` it solved seed 10 at 1,200 (-95.8: the same
    // policy as the -107.8 above, another draw of start states; README) and left seed 11 at
    // -112.0 at 3,200; the preset solved seed 10 at 3,200. Stop 31, both to `--max-steps 3200`
    // (stops when solved) on seeds 11-14: the preset solved 12 at 3,200, 13 at 2,700 and 14 at
    // 1,700 (11: -146.6 at 3,200); members 5 solved 12 at 3,200 (11, 13, 14 not: -150.3 and -102.0
    // on 13 and 14 at 3,200). Over seeds 10-14 the preset solved 4 of 5, members 5 2 of 5: not
    // taken, not run on the report seeds.
  },
};

const GROUPS = ["loop", "model", "fit", "planner", "objective", "value", "eval"] as const;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function assertKnownKeys(given: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `Unknown field "${where}${key}" in the MBRL configuration; expected one of ` +
          allowed.join(", "),
      );
    }
  }
}

function assertBoolean(value: unknown, name: string): void {
  if (typeof value !== "boolean") {
    throw new TypeError(`Expected ${name} to be true or false but found ${value}`);
  }
}

/** Checks every field of a resolved configuration; throws naming the first bad one. */
function validate(config: MbrlConfig): void {
  const meta = envMetadata(config.envId);
  if (!Number.isSafeInteger(config.seed)) {
    throw new RangeError(`Expected seed to be an integer but found ${config.seed}`);
  }
  const { loop, model, fit, planner, objective } = config;
  for (const key of ["maxSteps", "warmupSteps", "retrainEvery", "bufferCapacity"] as const) {
    assertPositiveInt(loop[key], `loop.${key}`);
  }
  assertBoolean(loop.retrainAtEpisodeEnd, "loop.retrainAtEpisodeEnd");
  assertBoolean(loop.stopWhenSolved, "loop.stopWhenSolved");
  if (loop.warmupSteps >= loop.maxSteps) {
    throw new RangeError(
      `Expected loop.warmupSteps (${loop.warmupSteps}) to be less than loop.maxSteps ` +
        `(${loop.maxSteps}): the run would end before it fits a model or evaluates`,
    );
  }
  const types: readonly DynamicsModelType[] = ["deterministic", "probabilistic", "ensemble"];
  if (!types.includes(model.type)) {
    throw new RangeError(
      `Expected model.type to be one of ${types.join(", ")} but found "${model.type}"`,
    );
  }
  if (!Array.isArray(model.hiddenSizes) || model.hiddenSizes.length === 0) {
    throw new RangeError(
      `Expected model.hiddenSizes to be a non-empty list of widths but found ${model.hiddenSizes}`,
    );
  }
  model.hiddenSizes.forEach((w, i) => assertPositiveInt(w, `model.hiddenSizes[${i}]`));
  assertPositiveInt(model.numModels, "model.numModels");
  if (model.type !== "ensemble" && model.numModels !== 1) {
    throw new RangeError(
      `Expected model.numModels to be 1 for a ${model.type} model (only ensembles have ` +
        `members) but found ${model.numModels}`,
    );
  }
  if (!MODEL_INFERENCES.includes(model.inference)) {
    throw new RangeError(
      `Expected model.inference to be one of ${
        MODEL_INFERENCES.join(", ")
      } but found "${model.inference}"`,
    );
  }
  if (!Number.isFinite(model.learningRate) || model.learningRate <= 0) {
    throw new RangeError(
      `Expected model.learningRate to be a positive number but found ${model.learningRate}`,
    );
  }
  for (const key of ["epochs", "batchSize", "patience"] as const) {
    assertPositiveInt(fit[key], `fit.${key}`);
  }
  if (!(fit.validationFraction > 0 && fit.validationFraction < 1)) {
    throw new RangeError(
      `Expected fit.validationFraction to be in (0, 1) but found ${fit.validationFraction}`,
    );
  }
  for (const key of ["every", "episodes", "firstWave"] as const) {
    assertPositiveInt(config.eval[key], `eval.${key}`);
  }
  assertBoolean(config.eval.earlyStop, "eval.earlyStop");
  if (planner.actionMode === "discrete" && meta.actionSpace.kind !== "discrete") {
    throw new RangeError(
      `Expected planner.actionMode "continuous" for ${config.envId} (a Box action space) ` +
        `but found "discrete"`,
    );
  }
  if (planner.type === "cem" && planner.numElite > planner.numSamples) {
    throw new RangeError(
      `Expected planner.numElite to be at most planner.numSamples (${planner.numSamples}) ` +
        `but found ${planner.numElite}`,
    );
  }
  for (const key of ["rewardSource", "terminationSource"] as const) {
    if (objective[key] !== "env" && objective[key] !== "model") {
      throw new RangeError(
        `Expected objective.${key} to be "env" or "model" but found "${objective[key]}"`,
      );
    }
  }
  assertBoolean(objective.terminalValue, "objective.terminalValue");
  if (!Number.isFinite(objective.explorationBonus) || objective.explorationBonus < 0) {
    throw new RangeError(
      `Expected objective.explorationBonus to be a non-negative number but found ` +
        `${objective.explorationBonus}`,
    );
  }
  if (objective.explorationBonus > 0 && model.type !== "ensemble") {
    throw new RangeError(
      `Expected model.type "ensemble" with objective.explorationBonus > 0 (the bonus is the ` +
        `members' disagreement) but found "${model.type}"`,
    );
  }
  if (objective.terminalValue && !(planner.discount < 1)) {
    throw new RangeError(
      `Expected planner.discount below 1 with objective.terminalValue (V is a discounted ` +
        `value) but found ${planner.discount}`,
    );
  }
  const { value } = config;
  if (!Array.isArray(value.hiddenSizes) || value.hiddenSizes.length === 0) {
    throw new RangeError(
      `Expected value.hiddenSizes to be a non-empty list of widths but found ${value.hiddenSizes}`,
    );
  }
  value.hiddenSizes.forEach((w, i) => assertPositiveInt(w, `value.hiddenSizes[${i}]`));
  for (const key of ["epochs", "minSteps", "batchSize", "members"] as const) {
    assertPositiveInt(value[key], `value.${key}`);
  }
  if (!(value.learningRate > 0 && Number.isFinite(value.learningRate))) {
    throw new RangeError(
      `Expected value.learningRate to be a positive number but found ${value.learningRate}`,
    );
  }
  if (!(value.targetTau > 0 && value.targetTau <= 1)) {
    throw new RangeError(`Expected value.targetTau to be in (0, 1] but found ${value.targetTau}`);
  }
  if (!(value.lambda >= 0 && value.lambda <= 1)) {
    throw new RangeError(`Expected value.lambda to be in [0, 1] but found ${value.lambda}`);
  }
  if (value.initialValue !== "zero" && value.initialValue !== "meanReward") {
    throw new RangeError(
      `Expected value.initialValue to be "zero" or "meanReward" but found "${value.initialValue}"`,
    );
  }
  if (typeof value.optimisticTrace !== "boolean") {
    throw new RangeError(
      `Expected value.optimisticTrace to be true or false but found ${
        String(value.optimisticTrace)
      }`,
    );
  }
  if (value.backup !== "data" && value.backup !== "model") {
    throw new RangeError(
      `Expected value.backup to be "data" or "model" but found "${value.backup}"`,
    );
  }
  if (value.backup === "model" && meta.actionSpace.kind !== "discrete") {
    throw new RangeError(
      `Expected a Discrete action space for value.backup "model" (it backs up every action) ` +
        `but ${config.envId}'s actions are continuous`,
    );
  }
  const shaping = objective.shaping;
  if (shaping !== null) {
    if (
      typeof shaping !== "object" || !Array.isArray(shaping.weights) ||
      shaping.weights.length !== meta.observationDim
    ) {
      throw new RangeError(
        `Expected objective.shaping to be null or { weights } with ${meta.observationDim} ` +
          `numbers (one per ${config.envId} observation component) but found ` +
          JSON.stringify(shaping),
      );
    }
    shaping.weights.forEach((w, i) => {
      if (!Number.isFinite(w)) {
        throw new RangeError(
          `Expected objective.shaping.weights[${i}] to be a finite number but found ${w}`,
        );
      }
    });
  }
}

/**
 * Resolves a configuration: the preset of `input.envId` (CartPole-v1 when not given)
 * overridden field by field by `input`, validated, deep-frozen. This is what a run uses and
 * writes to `config.json`. A resolved configuration is itself a valid input.
 *
 * @example
 * ```ts
 * const config = resolveMbrlConfig({ envId: "CartPole-v1", planner: { horizon: 7 } });
 * config.planner.horizon; // 7
 * config.planner.numSamples; // 500, from the CartPole-v1 preset
 * ```
 * @throws {TypeError} on an unknown field; {RangeError} on an unknown env id or a bad value
 *   (the message names the field, what is allowed and what was found).
 */
export function resolveMbrlConfig(input: MbrlConfigInput = {}): MbrlConfig {
  if (input === null || typeof input !== "object") {
    throw new TypeError(`Expected the MBRL configuration to be an object but found ${input}`);
  }
  assertKnownKeys(input, ["envId", "seed", ...GROUPS], "");
  const envId = input.envId ?? "CartPole-v1";
  assertEnvId(envId);
  return deepFreeze(merge(presetOf(envId), input));
}

/** Merges `input` over a resolved `base` (same env) and validates the result. */
function merge(base: MbrlConfig, input: MbrlConfigInput): MbrlConfig {
  const docs = MBRL_FIELD_DOCS;
  for (const group of GROUPS) {
    const given = input[group];
    if (given === undefined) continue;
    if (given === null || typeof given !== "object") {
      throw new TypeError(`Expected ${group} to be an object but found ${given}`);
    }
    assertKnownKeys(given, Object.keys(docs[group]), `${group}.`);
  }
  const meta = envMetadata(base.envId);
  const modelInput = input.model ?? {};
  const type = modelInput.type ?? base.model.type;
  const numModels = modelInput.numModels ??
    (type !== "ensemble"
      ? 1
      : base.model.type === "ensemble"
      ? base.model.numModels
      : DEFAULT_ENSEMBLE_SIZE);
  const config: MbrlConfig = {
    envId: base.envId,
    seed: input.seed ?? base.seed,
    loop: { ...base.loop, ...input.loop },
    model: {
      ...base.model,
      ...modelInput,
      type,
      numModels,
      hiddenSizes: [...(modelInput.hiddenSizes ?? base.model.hiddenSizes)],
    },
    fit: { ...base.fit, ...input.fit },
    planner: resolvePlannerSettings(input.planner ?? {}, {
      categories: meta.actionSpace.kind === "discrete" ? meta.actionSpace.n : undefined,
      base: base.planner,
    }),
    objective: { ...base.objective, ...input.objective },
    value: {
      ...base.value,
      ...input.value,
      hiddenSizes: [...(input.value?.hiddenSizes ?? base.value.hiddenSizes)],
    },
    eval: { ...base.eval, ...input.eval },
  };
  const shaping = config.objective.shaping;
  if (shaping !== null && typeof shaping === "object" && Array.isArray(shaping.weights)) {
    config.objective.shaping = { weights: [...shaping.weights] };
  }
  validate(config);
  return config;
}

const PRESET_CACHE = new Map<EnvId, MbrlConfig>();

function presetOf(envId: EnvId): MbrlConfig {
  let preset = PRESET_CACHE.get(envId);
  if (preset === undefined) {
    const meta = envMetadata(envId);
    const root: MbrlConfig = {
      envId,
      seed: SHARED.seed,
      loop: { ...SHARED.loop },
      model: { ...SHARED.model, hiddenSizes: [...SHARED.model.hiddenSizes] },
      fit: { ...SHARED.fit },
      planner: resolvePlannerSettings({}, {
        categories: meta.actionSpace.kind === "discrete" ? meta.actionSpace.n : undefined,
      }),
      objective: { ...SHARED.objective },
      value: { ...SHARED.value, hiddenSizes: [...SHARED.value.hiddenSizes] },
      eval: { ...SHARED.eval },
    };
    preset = deepFreeze(merge(root, PRESET_INPUTS[envId]));
    PRESET_CACHE.set(envId, preset);
  }
  return preset;
}

/**
 * The resolved preset of every env id (frozen): `MBRL_PRESETS["Pendulum-v1"]` is what
 * `deno task train --env Pendulum-v1` runs with no other flags.
 *
 * @example
 * ```ts
 * MBRL_PRESETS["Acrobot-v1"].eval.every; // 500
 * ```
 */
export const MBRL_PRESETS: Readonly<Record<EnvId, MbrlConfig>> = Object.freeze(
  Object.fromEntries(ENV_IDS.map((id) => [id, presetOf(id)])) as Record<EnvId, MbrlConfig>,
);
