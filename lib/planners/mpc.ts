/**
 * Model-predictive controllers: each builds a {@linkcode TrajectoryEvaluator} around a
 * dynamics model and the env's rules, and re-plans from every observed state with one of the
 * model-agnostic optimisers, executing only the first planned action.
 *
 * @module
 */
import { envMetadata } from "../envs/registry.ts";
import type { EnvId, EnvRules, Space } from "../envs/types.ts";
import { BaseDynamicsModel } from "../models/mod.ts";
import type { DynamicsModel, Propagation } from "../models/types.ts";
import { Rng } from "../rng.ts";
import { type ActionMode, makeActionAdapter } from "./action_adapter.ts";
import type { ActionAdapter } from "./action_adapter.ts";
import { type QuadraticShaping, resolveShaping } from "./objective.ts";
import { CemOptimizer, MppiOptimizer, RandomShootingOptimizer } from "./optimizers.ts";
import {
  type RuleSource,
  type TerminalValueFunction,
  TrajectoryEvaluator,
} from "./trajectory_evaluator.ts";
import type { OptimizeResult, SequenceOptimizer } from "./types.ts";
import { PlanWorkerPool, type PlanWorkerPoolOptions } from "./plan_workers.ts";
import {
  type ActionSelection,
  type CemSettings,
  type MppiSettings,
  type ObjectiveSettings,
  PLANNER_FIELD_DOCS,
  type PlannerSettings,
  type PlannerSettingsInput,
  type PlannerType,
  type RandomShootingSettings,
  resolvePlannerSettings,
} from "./planner_settings.ts";
import { assertPositiveInt, describeValue } from "../validate.ts";

/** An env action: a Discrete index, or a Box action `[actionDim]`. */
export type EnvAction = number | Float32Array;

/** Statistics of one planning step. */
export interface PlanStats {
  /**
   * The optimiser's score of its chosen plan (objective units: shaping, terminal value and,
   * when exploring, the bonus included).
   */
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
  /**
   * Add `discount^H * alive_H * V(s_H)` of `valueFunction` to each plan's score; needs a
   * `valueFunction` (and a `discount` equal to its own, when it reports one). @default {false}
   */
  terminalValue?: boolean;
  /**
   * The learned value (e.g. `ValueFunction` of `lib/models/value_function.ts`, refitted by the
   * agent; the planner only calls `predict`). Given exactly when `terminalValue` is true.
   */
  valueFunction?: TerminalValueFunction;
  /**
   * Weight of the ensemble's epistemic disagreement added to each imagined step in planning
   * calls made with `{ explore: true }` (training episodes); evaluation calls never get it.
   * Needs an ensemble model. @default {0}
   */
  explorationBonus?: number;
  /** Stream of all planner noise (sampling, particles). @default {new Rng(0).stream("planner")} */
  rng?: Rng;
  /**
   * Planning worker threads besides the main thread; started by `syncWeights()`, stopped by
   * `dispose()`. @default {PLANNER_DEFAULTS.common.workers}
   */
  workers?: number;
}

/** Options of one planning call ({@linkcode MpcPlanner.getAction}, {@linkcode MpcPlanner.getActions}). */
export interface PlanOptions {
  /**
   * Add the exploration bonus (`explorationBonus` > 0): for training episodes only. Leave it
   * off in evaluation, so evaluated returns never come from a bonus-seeking plan.
   * @default {false}
   */
  explore?: boolean;
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
  #model: DynamicsModel;
  #makeOptimizer: (rng: Rng) => SequenceOptimizer;
  #optimizer: SequenceOptimizer;
  #adapter: ActionAdapter;
  #rng: Rng;
  #slots = new Map<number, PlanSlot>();
  #workers: number;
  #workerEnv: EnvId | undefined;
  #pool: PlanWorkerPool | null = null;
  #syncedFingerprint: number | null = null;
  #disposed = false;
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
    // A given envId must be a known one: a misspelt id gets the registry's message.
    const meta = options.envId === undefined ? undefined : envMetadata(options.envId as EnvId);
    const {
      dynamicsModel,
      actionSpace = meta?.actionSpace,
      rules = meta?.rules,
      envId,
      rewardSource = "env",
      terminationSource = "env",
      shaping,
      terminalValue = false,
      valueFunction,
      explorationBonus = 0,
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
    checkTerminalValue(terminalValue, valueFunction, discount);
    if (!Number.isInteger(settings.workers) || settings.workers < 0) {
      throw new RangeError(
        `Expected workers to be a non-negative integer but found ${settings.workers}`,
      );
    }
    this.#type = type;
    this.horizon = horizon;
    this.numSamples = numSamples;
    this.#model = dynamicsModel;
    this.#rng = rng;
    this.#workers = settings.workers;
    // Workers look the rules up by env id, so they serve only an env's own rules.
    this.#workerEnv = meta !== undefined && rules === meta.rules &&
        dynamicsModel instanceof BaseDynamicsModel
      ? options.envId as EnvId
      : undefined;
    this.#adapter = makeActionAdapter(actionSpace, { mode: actionMode, actionBounds });
    const evaluatorRng = rng.stream("evaluator");
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
      valueFunction: terminalValue ? valueFunction : undefined,
      explorationBonus,
      rng: evaluatorRng,
    });
    this.#makeOptimizer = (stream: Rng) =>
      makeOptimizer({
        horizon,
        numSamples,
        actionDim: this.#adapter.planDim,
        actionBounds: this.#adapter.bounds,
        categories: this.#adapter.categories,
        rng: stream,
      }, settings);
    this.#optimizer = this.#makeOptimizer(rng.stream("optimizer"));
    this.#slots.set(0, {
      optimizer: this.#optimizer,
      evaluatorRng,
      distribution: undefined,
    });
  }

  /**
   * The planner's settings as built, read back from its evaluator, optimiser and action
   * adapter (not from the options it was given). `workers` is the configured count; see
   * {@linkcode MpcPlanner.workersInUse} for the threads running now.
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
      workers: this.#workers,
    };
    const own = this.#optimizer.settings;
    return { type: this.#type, ...common, ...own } as PlannerSettings;
  }

  /** The objective as built, read back from the evaluator (shaping weights as float32). */
  get objective(): Required<ObjectiveSettings> {
    const { rewardSource, terminationSource, shaping, terminalValue, explorationBonus } =
      this.#evaluator.settings;
    return {
      rewardSource,
      terminationSource,
      shaping: shaping === null ? null : { weights: shaping },
      terminalValue,
      explorationBonus,
    };
  }

  /**
   * The first action of the best plan from `state` `[stateDim]`, in the env's encoding
   * (planning slot 0: {@linkcode MpcPlanner.getActions} with one state). Pass
   * `{ explore: true }` in training episodes to add the exploration bonus.
   */
  getAction(state: Float32Array, options: PlanOptions = {}): EnvAction {
    return this.getActions(state, 1, [0], options)[0]!;
  }

  /**
   * Plans for `n` states at once, `states [n * stateDim]`, row `i` for planning slot
   * `slots[i]`: each slot keeps its own warm start and noise streams (see
   * {@linkcode MpcPlanner.resetSlot}), and all slots' sequences are scored in one batched
   * rollout per optimiser iteration (`n * numSamples * particles` model rows per time step).
   * Slot `k`'s action equals what `getAction` gives on a planner whose slot 0 holds slot
   * `k`'s state. Statistics count `n` planning steps taking the call's wall time together.
   * The exploration bonus applies only with `options.explore` (training, never evaluation).
   *
   * @throws {RangeError} on mis-sized states or repeated or non-integer slots.
   * @throws {Error} when the planner is disposed or a planning worker failed.
   */
  getActions(
    states: Float32Array,
    n: number,
    slots: readonly number[],
    options: PlanOptions = {},
  ): EnvAction[] {
    const evaluateOptions = { explore: options.explore === true };
    if (this.#disposed) throw new Error("This planner has been disposed");
    const d = this.#model.stateDim;
    assertPositiveInt(n, "n");
    if (!(states instanceof Float32Array)) {
      throw new TypeError(`Expected state to be a Float32Array but found ${describeValue(states)}`);
    }
    if (states.length !== n * d) {
      throw new RangeError(
        `Expected states to have ${n * d} entries (${n} x ${d}) but found ${states.length}`,
      );
    }
    if (slots.length !== n || new Set(slots).size !== n) {
      throw new RangeError(`Expected ${n} distinct slots but found [${slots.join(", ")}]`);
    }
    const start = performance.now();
    const before = this.#evaluator.modelEvaluations;
    this.#chooseRunner();
    const runs = slots.map((slot, i) => {
      const s = this.#slot(slot);
      const warmStart = s.optimizer.usesWarmStart && s.distribution !== undefined
        ? s.optimizer.shift(s.distribution)
        : undefined;
      const steps = s.optimizer.steps({ warmStart });
      return { slot: s, steps, state: states.subarray(i * d, (i + 1) * d) };
    });
    const nexts = runs.map((r) => r.steps.next(undefined as unknown as Float32Array));
    for (;;) {
      const active = nexts.flatMap((next, i) => (next.done === true ? [] : [i]));
      if (active.length === 0) break;
      const scores = this.#evaluator.evaluateMany(
        active.map((i) => ({
          state: runs[i]!.state,
          sequences: nexts[i]!.value as Float32Array,
          n: runs[i]!.slot.optimizer.numSamples,
          rng: runs[i]!.slot.evaluatorRng,
        })),
        evaluateOptions,
      );
      active.forEach((i, k) => {
        nexts[i] = runs[i]!.steps.next(scores[k]!);
      });
    }
    const adapter = this.#adapter;
    let planned = 0;
    const actions = nexts.map((next, i) => {
      const result = next.value as OptimizeResult;
      const slot = runs[i]!.slot;
      if (slot.optimizer.usesWarmStart) slot.distribution = result.distribution;
      planned += result.score;
      const first = adapter.toEnv(result.sequence.subarray(0, adapter.planDim), 1);
      return adapter.discreteEnv ? first[0]! : first;
    });
    const stats: PlanStats = {
      plannedReturn: planned / n,
      ms: performance.now() - start,
      modelEvaluations: this.#evaluator.modelEvaluations - before,
    };
    this.#lastStats = stats;
    this.#acc.steps += n;
    this.#acc.ms += stats.ms;
    this.#acc.planned += planned;
    this.#acc.evaluations += stats.modelEvaluations;
    return actions;
  }

  /** Forgets the warm start of every slot (call between episodes). */
  reset(): void {
    for (const slot of this.#slots.values()) slot.distribution = undefined;
  }

  /**
   * Forgets slot `slot`'s warm start and, with `rng`, gives it fresh streams:
   * `rng.stream("optimizer")` for its sequences and `rng.stream("evaluator")` for its model
   * noise (slot 0 starts with the planner's own; other slots, until reset with a stream, with
   * `stream("slot <k>")` of the planner's). The evaluation gives each episode its own stream
   * this way, so lockstep and one-by-one evaluation plan identically.
   *
   * @throws {RangeError} when `slot` is not a non-negative integer.
   */
  resetSlot(slot: number, rng?: Rng): void {
    assertSlot(slot);
    if (rng === undefined) {
      const s = this.#slots.get(slot);
      if (s !== undefined) s.distribution = undefined;
      return;
    }
    this.#slots.set(slot, {
      optimizer: this.#makeOptimizer(rng.stream("optimizer")),
      evaluatorRng: rng.stream("evaluator"),
      distribution: undefined,
    });
  }

  /** Drops slot `slot`'s state (not slot 0, which is reset instead). */
  releaseSlot(slot: number): void {
    assertSlot(slot);
    if (slot === 0) this.resetSlot(0);
    else this.#slots.delete(slot);
  }

  /**
   * Copies the model's current weights into the planning workers, starting them on the first
   * call (`settings.workers` threads; nothing happens with 0, or for models and rules the
   * workers cannot rebuild: a model that is not a `BaseDynamicsModel`, or rules that are not
   * the env's own). Call it after every refit: until the weights are synced again, planning
   * runs on the main thread alone (same actions, one core).
   *
   * `stallTimeoutMs` and `minRowsPerThread` (used when the pool starts): see
   * {@linkcode PlanWorkerPoolOptions}.
   *
   * @throws {Error} when a worker cannot load the model, or the planner is disposed.
   */
  async syncWeights(
    options: Pick<PlanWorkerPoolOptions, "stallTimeoutMs" | "minRowsPerThread"> = {},
  ): Promise<void> {
    if (this.#disposed) throw new Error("This planner has been disposed");
    if (this.#workers === 0 || this.#workerEnv === undefined) return;
    const model = this.#model as BaseDynamicsModel;
    this.#pool ??= new PlanWorkerPool(model, {
      workers: this.#workers,
      envId: this.#workerEnv,
      ...options,
    });
    const print = weightsFingerprint(model);
    await this.#pool.sync(print);
    this.#syncedFingerprint = print;
  }

  /** Worker threads the next planning call will use (0 until synced, or when off). */
  get workersInUse(): number {
    if (this.#pool === null || this.#syncedFingerprint === null) return 0;
    return weightsFingerprint(this.#model as BaseDynamicsModel) === this.#syncedFingerprint
      ? this.#pool.size
      : 0;
  }

  /** The worker pool once started (for tests and benchmarks), else null. */
  get workerPool(): PlanWorkerPool | null {
    return this.#pool;
  }

  /** Stops the planning workers. Later planning calls throw. Safe to call twice. */
  dispose(): void {
    this.#pool?.dispose();
    this.#disposed = true;
  }

  /** Statistics of the last `getAction`/`getActions`, or null before the first. */
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

  /** Slot `slot`, created with the planner's `stream("slot <k>")` on first use. */
  #slot(slot: number): PlanSlot {
    assertSlot(slot);
    let s = this.#slots.get(slot);
    if (s === undefined) {
      const rng = this.#rng.stream(`slot ${slot}`);
      s = {
        optimizer: this.#makeOptimizer(rng.stream("optimizer")),
        evaluatorRng: rng.stream("evaluator"),
        distribution: undefined,
      };
      this.#slots.set(slot, s);
    }
    return s;
  }

  /** Routes rollouts through the workers while they hold the model's current weights. */
  #chooseRunner(): void {
    if (this.#pool === null) return;
    this.#evaluator.useRunner(this.workersInUse > 0 ? this.#pool : null);
  }
}

/**
 * `terminalValue` needs a `valueFunction` and a given one needs `terminalValue`; a value
 * function that reports its discount (`settings.discount`, as `ValueFunction` does) must
 * share the planner's, since `V(s_H)` is weighted by `discount^H`.
 */
function checkTerminalValue(
  terminalValue: boolean,
  valueFunction: TerminalValueFunction | undefined,
  discount: number,
): void {
  if (typeof terminalValue !== "boolean") {
    throw new TypeError(`Expected terminalValue to be a boolean but found ${terminalValue}`);
  }
  if (terminalValue && valueFunction === undefined) {
    throw new RangeError("Expected a valueFunction when terminalValue is true but found none");
  }
  if (!terminalValue && valueFunction !== undefined) {
    throw new RangeError(
      "Expected terminalValue: true with a valueFunction (or no valueFunction) but found false",
    );
  }
  const own = (valueFunction as { settings?: { discount?: unknown } } | undefined)?.settings
    ?.discount;
  if (terminalValue && typeof own === "number" && own !== discount) {
    throw new RangeError(
      `Expected the planner's discount (${discount}) to equal the value function's (${own}): ` +
        `the objective weights V(s_H) by discount^H`,
    );
  }
}

/** One planning slot: its optimiser (own sequence stream), model-noise stream and warm start. */
interface PlanSlot {
  optimizer: SequenceOptimizer;
  evaluatorRng: Rng;
  distribution: Float32Array | undefined;
}

function assertSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0) {
    throw new RangeError(`Expected slot to be a non-negative integer but found ${slot}`);
  }
}

/**
 * A 32-bit fingerprint of a model's weights, normalisers and elites (every 61st weight of
 * each array, which any refit changes), telling whether the workers' copy is current.
 */
function weightsFingerprint(model: BaseDynamicsModel): number {
  let hash = 0x811c9dc5;
  const mix = (value: number) => {
    hash ^= Math.round(value * 1e6) | 0;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const member of model.getWeights()) {
    for (const array of member) {
      mix(array.length);
      for (let i = 0; i < array.length; i += 61) mix(array[i]!);
    }
  }
  for (const norm of [model.inputNormalizer, model.targetNormalizer]) {
    for (const v of norm.mean) mix(v);
    for (const v of norm.std) mix(v);
  }
  for (const e of model.elites) mix(e);
  return hash >>> 0;
}

/** Options of {@linkcode RandomShootingMPC}. */
export interface RandomShootingMpcOptions extends MpcOptions {
  /**
   * The executed first action: the best sequence's (`"best"`), or, in discrete action mode,
   * that of highest mean score over the sequences beginning with it (`"firstActionMean"`).
   * @default {"best"}
   */
  selection?: ActionSelection;
}

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
    super(
      "random_shooting",
      options,
      (common, settings) =>
        new RandomShootingOptimizer({
          ...common,
          selection: (settings as RandomShootingSettings).selection,
        }),
    );
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
 * import { resolvePlannerSettings } from "./planner_settings.ts";
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
