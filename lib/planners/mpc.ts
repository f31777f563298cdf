/**
 * Model-predictive controllers: each builds a {@linkcode TrajectoryEvaluator} around a
 * dynamics model and the env's rules, and re-plans from every observed state with one of the
 * model-agnostic optimisers, executing only the first planned action.
 *
 * @module
 */
import { envMetadata, isEnvId } from "../envs/registry.ts";
import type { EnvId, EnvRules, Space } from "../envs/types.ts";
import type { DynamicsModel, Propagation } from "../models/types.ts";
import { Rng } from "../rng.ts";
import { type ActionMode, makeActionAdapter } from "./action_adapter.ts";
import type { ActionAdapter } from "./action_adapter.ts";
import { type QuadraticShaping, resolveShaping } from "./objective.ts";
import { CemOptimizer, MppiOptimizer, RandomShootingOptimizer } from "./optimizers.ts";
import { type RuleSource, TrajectoryEvaluator } from "./trajectory_evaluator.ts";
import type { SequenceOptimizer } from "./types.ts";
import {
  type CemSettings,
  type MppiSettings,
  type ObjectiveSettings,
  PLANNER_FIELD_DOCS,
  type PlannerSettings,
  type PlannerSettingsInput,
  type PlannerType,
  resolvePlannerSettings,
} from "./planner_settings.ts";
import { assertPositiveInt } from "./validate.ts";

/** An env action: a Discrete index, or a Box action `[actionDim]`. */
export type EnvAction = number | Float32Array;

/** Statistics of one planning step. */
export interface PlanStats {
  /** The optimiser's score of its chosen plan (objective units, shaping included). */
  plannedReturn: number;
  /** Wall time of `getAction`, ms. */
  ms: number;
  /** Model rows evaluated (sequences x particles x horizon x iterations). */
  modelEvaluations: number;
}

/** Means of the planning steps since the last {@linkcode MpcPlanner.takeStats}. */
export interface PlanStatsSummary {
  /** Planning steps summarised. */
  steps: number;
  /** Mean wall time per step, ms (NaN when no steps). */
  msMean: number;
  /** Mean planned return (NaN when no steps). */
  plannedReturnMean: number;
  /** Total model rows evaluated. */
  modelEvaluations: number;
}

/** Options every MPC class takes. */
export interface MpcOptions {
  /** The model planned with (learned, or a {@linkcode TrueDynamicsModel}). */
  dynamicsModel: DynamicsModel;
  /**
   * The env's action space (what `getAction` returns an element of).
   * @default {the space of `envId`}
   */
  actionSpace?: Space;
  /**
   * The env's true reward and termination rules; needed unless both sources are `"model"`.
   * @default {the rules of `envId`}
   */
  rules?: EnvRules;
  /** The env id: default action space, rules and shaping. */
  envId?: EnvId | string;
  /** Planning horizon. @default {10} */
  horizon?: number;
  /** Sequences sampled per optimiser iteration. @default {1000} */
  numSamples?: number;
  /** Continuous search bounds of each planned component. @default {[-1, 1]} */
  actionBounds?: readonly [number, number];
  /**
   * `"continuous"` plans `u` in `actionBounds` (for CartPole its sign picks the push, the
   * design's way); `"discrete"` plans action indices directly (Discrete spaces only).
   * @default {"continuous"}
   */
  actionMode?: ActionMode;
  /** Particles per sequence for stochastic models. @default {1} */
  particles?: number;
  /** Ensemble propagation. @default {"ts1"} */
  propagation?: Propagation;
  /** Imagined rewards from the env's rules or the model. @default {"env"} */
  rewardSource?: RuleSource;
  /** Imagined terminations from the env's rules or the model. @default {"env"} */
  terminationSource?: RuleSource;
  /**
   * The shaping term of the objective: `undefined` uses the env's default
   * ({@linkcode DEFAULT_SHAPING}: CartPole penalises theta^2 with weight 0.05), `null` or
   * `false` switches it off. @default {undefined}
   */
  shaping?: QuadraticShaping | null | false;
  /** Per-step discount of the objective. @default {1} */
  discount?: number;
  /** Stream of all planner noise (sampling, particles). @default {new Rng(0).stream("planner")} */
  rng?: Rng;
}

/**
 * The shared machinery of the three controllers: the evaluator, warm starts, statistics.
 * Subclasses choose the optimiser.
 */
export abstract class MpcPlanner {
  /** Planning horizon. */
  readonly horizon: number;
  /** Sequences per optimiser iteration. */
  readonly numSamples: number;
  #type: PlannerType;
  #evaluator: TrajectoryEvaluator;
  #optimizer: SequenceOptimizer;
  #adapter: ActionAdapter;
  #distribution: Float32Array | undefined;
  #lastStats: PlanStats | null = null;
  #acc = { steps: 0, ms: 0, planned: 0, evaluations: 0 };

  /**
   * Resolves the planner fields of `options` against {@linkcode PLANNER_DEFAULTS} and builds
   * the evaluator and the optimiser (`makeOptimizer` gets the common optimiser options and the
   * resolved settings).
   *
   * @throws {RangeError} on invalid options.
   */
  protected constructor(
    type: PlannerType,
    options: MpcOptions & PlannerSettingsInput,
    makeOptimizer: (
      common: {
        horizon: number;
        numSamples: number;
        actionDim: number;
        actionBounds: readonly [number, number];
        categories: number | undefined;
        rng: Rng;
      },
      settings: PlannerSettings,
    ) => SequenceOptimizer,
  ) {
    const meta = isEnvId(options.envId) ? envMetadata(options.envId) : undefined;
    const {
      dynamicsModel,
      actionSpace = meta?.actionSpace,
      rules = meta?.rules,
      envId,
      rewardSource = "env",
      terminationSource = "env",
      shaping,
      rng = new Rng(0).stream("planner"),
    } = options;
    if (actionSpace === undefined) {
      throw new TypeError("Expected actionSpace or a known envId but found neither");
    }
    const settings = resolvePlannerSettings(
      { ...pickPlannerFields(options), type },
      { categories: actionSpace.kind === "discrete" ? actionSpace.n : undefined },
    );
    const { horizon, numSamples, actionMode, actionBounds, particles, propagation, discount } =
      settings;
    assertPositiveInt(horizon, "horizon");
    assertPositiveInt(numSamples, "numSamples");
    this.#type = type;
    this.horizon = horizon;
    this.numSamples = numSamples;
    this.#adapter = makeActionAdapter(actionSpace, { mode: actionMode, actionBounds });
    this.#evaluator = new TrajectoryEvaluator({
      model: dynamicsModel,
      horizon,
      adapter: this.#adapter,
      rules,
      rewardSource,
      terminationSource,
      particles,
      propagation,
      discount,
      shaping: resolveShaping(shaping, { envId, stateDim: dynamicsModel.stateDim }),
      rng: rng.stream("evaluator"),
    });
    this.#optimizer = makeOptimizer({
      horizon,
      numSamples,
      actionDim: this.#adapter.planDim,
      actionBounds: this.#adapter.bounds,
      categories: this.#adapter.categories,
      rng: rng.stream("optimizer"),
    }, settings);
  }

  /**
   * The planner's settings as built, read back from its evaluator, optimiser and action
   * adapter (not from the options it was given).
   */
  get settings(): PlannerSettings {
    const evaluator = this.#evaluator;
    const { propagation, discount } = evaluator.settings;
    const common = {
      horizon: evaluator.horizon,
      numSamples: this.#optimizer.numSamples,
      actionMode: this.#adapter.mode,
      actionBounds: [this.#adapter.bounds[0], this.#adapter.bounds[1]] as [number, number],
      particles: evaluator.particles,
      propagation,
      discount,
    };
    const own = this.#optimizer.settings;
    return { type: this.#type, ...common, ...own } as PlannerSettings;
  }

  /** The objective as built, read back from the evaluator (shaping weights as float32). */
  get objective(): ObjectiveSettings {
    const { rewardSource, terminationSource, shaping } = this.#evaluator.settings;
    return {
      rewardSource,
      terminationSource,
      shaping: shaping === null ? null : { weights: shaping },
    };
  }

  /** The first action of the best plan from `state` `[stateDim]`, in the env's encoding. */
  getAction(state: Float32Array): EnvAction {
    const start = performance.now();
    const before = this.#evaluator.modelEvaluations;
    const warmStart = this.#distribution === undefined
      ? undefined
      : this.#optimizer.shift(this.#distribution);
    const result = this.#optimizer.optimize(
      (sequences, n) => this.#evaluator.evaluate(state, sequences, n),
      { warmStart },
    );
    this.#distribution = result.distribution;
    const adapter = this.#adapter;
    const first = adapter.toEnv(result.sequence.subarray(0, adapter.planDim), 1);
    const stats: PlanStats = {
      plannedReturn: result.score,
      ms: performance.now() - start,
      modelEvaluations: this.#evaluator.modelEvaluations - before,
    };
    this.#lastStats = stats;
    this.#acc.steps++;
    this.#acc.ms += stats.ms;
    this.#acc.planned += stats.plannedReturn;
    this.#acc.evaluations += stats.modelEvaluations;
    return adapter.discreteEnv ? first[0]! : first;
  }

  /** Forgets the warm start (call between episodes). */
  reset(): void {
    this.#distribution = undefined;
  }

  /** Statistics of the last `getAction`, or null before the first. */
  get lastStats(): PlanStats | null {
    return this.#lastStats;
  }

  /** Total model rows evaluated by this planner. */
  get modelEvaluations(): number {
    return this.#evaluator.modelEvaluations;
  }

  /** Means since the previous call (or construction), then starts a new window. */
  takeStats(): PlanStatsSummary {
    const { steps, ms, planned, evaluations } = this.#acc;
    this.#acc = { steps: 0, ms: 0, planned: 0, evaluations: 0 };
    return {
      steps,
      msMean: steps > 0 ? ms / steps : NaN,
      plannedReturnMean: steps > 0 ? planned / steps : NaN,
      modelEvaluations: evaluations,
    };
  }
}

/** Options of {@linkcode RandomShootingMPC}. */
export type RandomShootingMpcOptions = MpcOptions;

/**
 * Random shooting MPC: `numSamples` uniform sequences per step, the best one's first action.
 *
 * @example
 * ```ts
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const mpc = new RandomShootingMPC({ dynamicsModel, envId: "CartPole-v1", horizon: 10,
 *   numSamples: 1000 });
 * const action = mpc.getAction(new Float32Array([0, 0, 0.01, 0]));
 * ```
 */
export class RandomShootingMPC extends MpcPlanner {
  /** @throws {RangeError} on invalid options. */
  constructor(options: RandomShootingMpcOptions) {
    super("random_shooting", options, (common) => new RandomShootingOptimizer(common));
  }
}

/** Options of {@linkcode CEM_MPC}: the common ones plus CEM's (defaults in {@linkcode PLANNER_DEFAULTS}). */
export interface CemMpcOptions extends MpcOptions {
  /** Elites per iteration (at most `numSamples`). @default {min(100, numSamples)} */
  numElite?: number;
  /** Iterations per step. @default {5} */
  numIterations?: number;
  /** Weight of the old distribution in each update. @default {0.1} */
  alpha?: number;
  /** Discrete mode only: smallest action probability. @default {0.2 / n} */
  minProbability?: number;
  /** Discrete mode only: pull of the shifted warm start towards uniform. @default {0.5} */
  shiftBlend?: number;
}

/**
 * CEM MPC, warm-started from the previous step's distribution shifted by one step.
 *
 * @example
 * ```ts
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const mpc = new CEM_MPC({ dynamicsModel, envId: "CartPole-v1", numSamples: 500,
 *   numElite: 50, numIterations: 5 });
 * ```
 */
// deno-lint-ignore camelcase
export class CEM_MPC extends MpcPlanner {
  /** @throws {RangeError} on invalid options (e.g. `numElite > numSamples`). */
  constructor(options: CemMpcOptions) {
    super("cem", options, (common, settings) => {
      const s = settings as CemSettings;
      return new CemOptimizer({
        ...common,
        numElite: s.numElite,
        numIterations: s.numIterations,
        alpha: s.alpha,
        minProbability: s.minProbability ?? undefined,
        shiftBlend: s.shiftBlend,
      });
    });
  }
}

/** Options of {@linkcode MPPIMPC}: the common ones plus MPPI's (defaults in {@linkcode PLANNER_DEFAULTS}). */
export interface MppiMpcOptions extends MpcOptions {
  /** Softmax temperature over scores. @default {1} */
  temperature?: number;
  /** Std of the action perturbations. @default {0.5} */
  noiseSigma?: number;
  /** Time correlation of the perturbations (1 = independent). @default {0.9} */
  noiseBeta?: number;
  /** Weight of the old mean in each update (smoothing). @default {0.1} */
  alpha?: number;
  /** Iterations per step. @default {1} */
  numIterations?: number;
  /** Discrete mode only: smallest action probability. @default {0.2 / n} */
  minProbability?: number;
  /** Discrete mode only: pull of the shifted warm start towards uniform. @default {0.5} */
  shiftBlend?: number;
}

/**
 * MPPI MPC: the mean plan moves to the softmax-weighted average of perturbed plans, smoothed
 * with the previous mean, warm-started shifted by one step.
 *
 * @example
 * ```ts
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
 * const mpc = new MPPIMPC({ dynamicsModel, envId: "Pendulum-v1", temperature: 1,
 *   noiseSigma: 0.5 });
 * ```
 */
export class MPPIMPC extends MpcPlanner {
  /** @throws {RangeError} on invalid options (e.g. `temperature <= 0`). */
  constructor(options: MppiMpcOptions) {
    super("mppi", options, (common, settings) => {
      const s = settings as MppiSettings;
      return new MppiOptimizer({
        ...common,
        temperature: s.temperature,
        noiseSigma: s.noiseSigma,
        noiseBeta: s.noiseBeta,
        alpha: s.alpha,
        numIterations: s.numIterations,
        minProbability: s.minProbability ?? undefined,
        shiftBlend: s.shiftBlend,
      });
    });
  }
}

/** The planner fields of an options object (the rest: model, space, rules, rng, objective). */
function pickPlannerFields(options: MpcOptions & PlannerSettingsInput): PlannerSettingsInput {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(PLANNER_FIELD_DOCS)) {
    if (key === "type") continue;
    const value = (options as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as PlannerSettingsInput;
}

/**
 * Builds the MPC class of `settings.type` from one planner's settings: the one factory the
 * agent uses, so a configuration's `planner` field maps onto the design's classes.
 *
 * @example
 * ```ts
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const settings = resolvePlannerSettings({ type: "cem", numSamples: 200 }, { categories: 2 });
 * const mpc = makeMpcPlanner(settings, { dynamicsModel, envId: "CartPole-v1" });
 * mpc.settings.type; // "cem"
 * ```
 */
export function makeMpcPlanner(
  settings: PlannerSettingsInput & { type: PlannerType },
  options: MpcOptions,
): MpcPlanner {
  const { type, ...fields } = settings;
  const merged = { ...options, ...fields };
  if (type === "cem") return new CEM_MPC(merged as CemMpcOptions);
  if (type === "mppi") return new MPPIMPC(merged as MppiMpcOptions);
  return new RandomShootingMPC(merged);
}
