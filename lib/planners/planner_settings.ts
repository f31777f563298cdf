/**
 * The planners' hyperparameters, declared once: each knob's type, default and one-line doc.
 * The MPC classes resolve their options against {@linkcode PLANNER_DEFAULTS}, the MBRL
 * configuration embeds {@linkcode PlannerSettings} as its `planner` field, and the CLI's
 * help is generated from {@linkcode PLANNER_FIELD_DOCS}, so no default is written twice.
 *
 * @module
 */
import type { Propagation } from "../models/types.ts";
import type { ActionMode } from "./action_adapter.ts";
import type { QuadraticShaping } from "./objective.ts";
import type { RuleSource } from "./trajectory_evaluator.ts";

/** Every planner field of any variant except `type`. */
type AllPlannerFields =
  & Omit<RandomShootingSettings, "type">
  & Omit<CemSettings, "type">
  & Omit<MppiSettings, "type">;

/** The three optimisers an MPC planner can use. */
export type PlannerType = "random_shooting" | "cem" | "mppi";

/** The `type` names accepted, in a fixed order. */
export const PLANNER_TYPES: readonly PlannerType[] = Object.freeze([
  "random_shooting",
  "cem",
  "mppi",
]);

/** Settings every planner has (the design's defaults in {@linkcode PLANNER_DEFAULTS}). */
export interface PlannerCommonSettings {
  /** Planning horizon `H`, env steps. @default {10} */
  horizon: number;
  /** Sequences sampled per optimiser iteration. @default {1000} */
  numSamples: number;
  /**
   * `"continuous"` plans `u` in `actionBounds` (for CartPole its sign picks the push, the
   * design's way); `"discrete"` plans action indices directly (Discrete spaces only).
   * @default {"continuous"}
   */
  actionMode: ActionMode;
  /** Continuous search bounds of each planned component. @default {[-1, 1]} */
  actionBounds: readonly [number, number];
  /** Particles per sequence (stochastic models). @default {1} */
  particles: number;
  /** Ensemble propagation: one member per particle, per step, or the mean. @default {"ts1"} */
  propagation: Propagation;
  /** Per-step discount of the planning objective. @default {1} */
  discount: number;
  /**
   * Planning worker threads besides the main thread (0 = plan on the main thread only). Each
   * holds a copy of the model, loaded by `syncWeights()`; a planning step's rows are split
   * across the main thread and the workers, with identical results for any count.
   * @default {MBRL_WORKERS, else min(navigator.hardwareConcurrency - 1, 3)}
   */
  workers: number;
}

/**
 * How random shooting picks the action it executes from its scored sequences:
 * `"best"`: the first action of the best-scoring sequence; `"firstActionMean"` (discrete
 * search only): the first action whose sequences have the highest mean score, a Monte-Carlo
 * estimate of `Q(s, a)` under a uniformly random continuation.
 */
export type ActionSelection = "best" | "firstActionMean";

/** The `selection` names accepted, in a fixed order. */
export const ACTION_SELECTIONS: readonly ActionSelection[] = Object.freeze([
  "best",
  "firstActionMean",
]);

/** Random shooting: `numSamples` uniform sequences, the best one's first action. */
export interface RandomShootingSettings extends PlannerCommonSettings {
  /** The optimiser. */
  type: "random_shooting";
  /**
   * Which first action is executed: `"best"` takes the best sequence's; `"firstActionMean"`
   * (discrete action mode only) the one whose sequences score the highest mean. With a
   * reward of 1 per alive step (CartPole) every sequence that survives the horizon ties, and
   * `"best"` then executes an arbitrary one of their first actions; the mean prefers the
   * action from which random play survives longest. @default {"best"}
   */
  selection: ActionSelection;
}

/** Settings CEM and MPPI share for categorical (discrete-mode) search. */
export interface CategoricalSettings {
  /**
   * Discrete mode only: the smallest probability an action keeps after an update; `null` in
   * continuous mode, where it does not apply. @default {0.2 / categories}
   */
  minProbability: number | null;
  /**
   * Discrete mode only: how far the shifted warm start is pulled back towards uniform
   * (0 = keep, 1 = uniform). @default {0.5}
   */
  shiftBlend: number;
}

/** The cross-entropy method, warm-started from the previous plan shifted by one step. */
export interface CemSettings extends PlannerCommonSettings, CategoricalSettings {
  /** The optimiser. */
  type: "cem";
  /** Elites refitted to per iteration (at most `numSamples`). @default {min(100, numSamples)} */
  numElite: number;
  /** Iterations per planning step. @default {5} */
  numIterations: number;
  /** Weight of the old distribution in each update, in [0, 1). @default {0.1} */
  alpha: number;
}

/** MPPI: the mean plan moves to the softmax-weighted average of perturbed plans. */
export interface MppiSettings extends PlannerCommonSettings, CategoricalSettings {
  /** The optimiser. */
  type: "mppi";
  /** Iterations per planning step. @default {1} */
  numIterations: number;
  /** Weight of the old mean in each update, in [0, 1). @default {0.1} */
  alpha: number;
  /** Softmax temperature over the scores (objective units). @default {1} */
  temperature: number;
  /** Std of the action perturbations (planned units). @default {0.5} */
  noiseSigma: number;
  /** Time correlation of the perturbations, in [0, 1] (1 = independent). @default {0.9} */
  noiseBeta: number;
}

/** One planner's full settings: a union discriminated on `type`. */
export type PlannerSettings = RandomShootingSettings | CemSettings | MppiSettings;

/** What the planning objective scores: reward and termination sources and the shaping term. */
export interface ObjectiveSettings {
  /** Imagined rewards from the env's true reward function or the model. @default {"env"} */
  rewardSource: RuleSource;
  /** Imagined terminations from the env's true rule or the model. @default {"env"} */
  terminationSource: RuleSource;
  /**
   * A quadratic penalty `sum_i w_i * s_i^2` subtracted per imagined step (planner only; every
   * reported return is the env's), or `null` for none. @default {null}
   */
  shaping: QuadraticShaping | null;
  /**
   * Add `discount^H * alive_H * V(s_H)`, a learned value of the last imagined state (the
   * planner's `valueFunction`), to every imagined sequence's score. @default {false}
   */
  terminalValue: boolean;
  /**
   * Weight of the ensemble's epistemic disagreement added to each imagined step's reward in
   * training episodes (calls with `explore: true`; never in evaluation); 0 = off. Needs an
   * ensemble model. @default {0}
   */
  explorationBonus: number;
}

/** The objective's defaults: the env's rules, no shaping, no terminal value, no bonus. */
export const OBJECTIVE_DEFAULTS: Readonly<Required<ObjectiveSettings>> = Object.freeze({
  rewardSource: "env",
  terminationSource: "env",
  shaping: null,
  terminalValue: false,
  explorationBonus: 0,
});

/**
 * The default worker count: `MBRL_WORKERS` when set (a non-negative integer), else one
 * worker per core beyond the first, at most 3 (0 on one core).
 *
 * @example
 * ```ts
 * const workers = defaultWorkerCount(); // 1 on a two-core machine without MBRL_WORKERS
 * ```
 * @throws {TypeError} when `MBRL_WORKERS` is set to anything but a non-negative integer.
 */
export function defaultWorkerCount(): number {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("MBRL_WORKERS");
  } catch {
    raw = undefined; // no env permission: use the core count
  }
  if (raw !== undefined && raw !== "") {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(
        `Expected MBRL_WORKERS to be a non-negative integer but found "${raw}"`,
      );
    }
    return value;
  }
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
  return Math.max(0, Math.min(cores - 1, 3));
}

/** The design's defaults of every planner knob (what the MPC classes use when not told). */
export const PLANNER_DEFAULTS: Readonly<{
  common: Readonly<PlannerCommonSettings>;
  // deno-lint-ignore camelcase
  random_shooting: Readonly<Omit<RandomShootingSettings, keyof PlannerCommonSettings | "type">>;
  cem: Readonly<Omit<CemSettings, keyof PlannerCommonSettings | "type" | "numElite">>;
  mppi: Readonly<Omit<MppiSettings, keyof PlannerCommonSettings | "type">>;
  /** CEM's elite count when not given: 100, or `numSamples` when fewer. */
  numElite: (numSamples: number) => number;
  /** The categorical floor when not given: 0.2 spread over the categories. */
  minProbability: (categories: number) => number;
}> = Object.freeze({
  common: Object.freeze({
    horizon: 10,
    numSamples: 1000,
    actionMode: "continuous" as ActionMode,
    actionBounds: Object.freeze([-1, 1]) as readonly [number, number],
    particles: 1,
    propagation: "ts1" as Propagation,
    discount: 1,
    workers: defaultWorkerCount(),
  }),
  random_shooting: Object.freeze({ selection: "best" as ActionSelection }),
  cem: Object.freeze({ numIterations: 5, alpha: 0.1, minProbability: null, shiftBlend: 0.5 }),
  mppi: Object.freeze({
    numIterations: 1,
    alpha: 0.1,
    temperature: 1,
    noiseSigma: 0.5,
    noiseBeta: 0.9,
    minProbability: null,
    shiftBlend: 0.5,
  }),
  numElite: (numSamples: number) => Math.min(100, numSamples),
  minProbability: (categories: number) => 0.2 / categories,
});

/** Every planner field name (of any variant) with its one-line doc, for generated help. */
export const PLANNER_FIELD_DOCS: Readonly<
  Record<keyof AllPlannerFields, string> & { type: string }
> = Object.freeze({
  type: "MPC optimiser",
  horizon: "planning horizon, env steps",
  numSamples: "sequences sampled per optimiser iteration",
  actionMode: "plan action indices (discrete) or u in the bounds (continuous)",
  actionBounds: "continuous search bounds of each planned component",
  particles: "particles per sequence (stochastic models)",
  propagation: "ensemble propagation (ts1 | tsinf | expectation)",
  discount: "per-step discount of the planning objective",
  workers: "planning worker threads besides the main thread (0 = off; env MBRL_WORKERS)",
  selection:
    "random shooting's executed action: best sequence's (best), best mean (firstActionMean)",
  numElite: "CEM elites per iteration (at most numSamples)",
  numIterations: "CEM/MPPI iterations per planning step",
  alpha: "CEM/MPPI weight of the old distribution in each update",
  minProbability: "discrete CEM/MPPI: smallest action probability after an update",
  shiftBlend: "discrete CEM/MPPI: pull of the shifted warm start towards uniform",
  temperature: "MPPI softmax temperature over scores",
  noiseSigma: "MPPI perturbation std",
  noiseBeta: "MPPI time correlation of perturbations (1 = independent)",
});

/** The objective's field docs, for generated help. */
export const OBJECTIVE_FIELD_DOCS: Readonly<Record<keyof ObjectiveSettings, string>> = Object
  .freeze({
    rewardSource: "imagined rewards from the env's reward function or the model",
    terminationSource: "imagined terminations from the env's rule or the model",
    shaping: "quadratic penalty weights per observation component, or null for none",
    terminalValue: "add discount^H * V(s_H) of the learned value function to each plan's score",
    explorationBonus: "weight of the ensemble-disagreement bonus in training episodes (0 = off)",
  });

/** A planner's settings as given: any subset, with `type` choosing the variant. */
export type PlannerSettingsInput =
  & { type?: PlannerType }
  & Partial<AllPlannerFields>;

/**
 * Resolves `input` to one planner's full settings: the fields of `base` (when of the same
 * type, else only its common fields) overridden by `input`, the rest from
 * {@linkcode PLANNER_DEFAULTS}. `categories` (the Discrete action count, or `undefined` for a
 * Box space) resolves `minProbability`.
 *
 * @example
 * ```ts
 * const cem = resolvePlannerSettings({ type: "cem", numSamples: 500 }, { categories: 2 });
 * cem.type === "cem" && cem.numElite; // 100
 * ```
 * @throws {RangeError} on an unknown `type`, or a field `input` gives that the chosen
 *   optimiser does not have (e.g. `temperature` for CEM).
 */
export function resolvePlannerSettings(
  input: PlannerSettingsInput,
  context: { categories: number | undefined; base?: PlannerSettings },
): PlannerSettings {
  const base = context.base;
  const type = input.type ?? base?.type ?? "random_shooting";
  if (!PLANNER_TYPES.includes(type)) {
    throw new RangeError(
      `Expected planner type to be one of ${PLANNER_TYPES.join(", ")} but found "${type}"`,
    );
  }
  const allowed = new Set<string>(["type", ...Object.keys(PLANNER_DEFAULTS.common)]);
  for (const key of Object.keys(PLANNER_DEFAULTS[type])) allowed.add(key);
  if (type === "cem") allowed.add("numElite");
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !allowed.has(key)) {
      throw new RangeError(
        `Expected planner settings of a ${type} planner but found "${key}", which ${type} ` +
          `does not have (its fields: ${[...allowed].join(", ")})`,
      );
    }
  }
  const sameType = base !== undefined && base.type === type ? base : undefined;
  const pick = <T>(key: string, fallback: T): T => {
    const given = (input as Record<string, unknown>)[key];
    if (given !== undefined) return given as T;
    const inherited = base === undefined
      ? undefined
      : (key in PLANNER_DEFAULTS.common ? base : sameType) as Record<string, unknown> | undefined;
    return (inherited?.[key] as T | undefined) ?? fallback;
  };
  const c = PLANNER_DEFAULTS.common;
  const common: PlannerCommonSettings = {
    horizon: pick("horizon", c.horizon),
    numSamples: pick("numSamples", c.numSamples),
    actionMode: pick("actionMode", c.actionMode),
    actionBounds: pick("actionBounds", c.actionBounds),
    particles: pick("particles", c.particles),
    propagation: pick("propagation", c.propagation),
    discount: pick("discount", c.discount),
    workers: pick("workers", c.workers),
  };
  if (type === "random_shooting") {
    const selection = pick("selection", PLANNER_DEFAULTS.random_shooting.selection);
    if (!ACTION_SELECTIONS.includes(selection)) {
      throw new RangeError(
        `Expected planner selection to be one of ${ACTION_SELECTIONS.join(", ")} but found ` +
          `"${selection}"`,
      );
    }
    if (selection === "firstActionMean" && common.actionMode !== "discrete") {
      throw new RangeError(
        `Expected planner actionMode "discrete" with selection "firstActionMean" (it groups ` +
          `sequences by their first action index) but found "${common.actionMode}"`,
      );
    }
    return { type, ...common, selection };
  }
  const categories = common.actionMode === "discrete" ? context.categories : undefined;
  const categorical = (defaults: CategoricalSettings): CategoricalSettings => {
    const floor = pick<number | null>("minProbability", defaults.minProbability);
    return {
      minProbability: categories === undefined
        ? null
        : floor ?? PLANNER_DEFAULTS.minProbability(categories),
      shiftBlend: pick("shiftBlend", defaults.shiftBlend),
    };
  };
  if (type === "cem") {
    const d = PLANNER_DEFAULTS.cem;
    // An inherited elite count is kept only while it fits the (possibly new) sample count.
    const inheritedElite = sameType?.type === "cem" ? sameType.numElite : undefined;
    const numElite = (input.numElite ??
      (inheritedElite !== undefined && inheritedElite <= common.numSamples
        ? inheritedElite
        : undefined)) ?? PLANNER_DEFAULTS.numElite(common.numSamples);
    return {
      type,
      ...common,
      numElite,
      numIterations: pick("numIterations", d.numIterations),
      alpha: pick("alpha", d.alpha),
      ...categorical(d),
    };
  }
  const d = PLANNER_DEFAULTS.mppi;
  return {
    type,
    ...common,
    numIterations: pick("numIterations", d.numIterations),
    alpha: pick("alpha", d.alpha),
    temperature: pick("temperature", d.temperature),
    noiseSigma: pick("noiseSigma", d.noiseSigma),
    noiseBeta: pick("noiseBeta", d.noiseBeta),
    ...categorical(d),
  };
}
