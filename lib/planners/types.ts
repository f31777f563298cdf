/**
 * Types shared by the model-agnostic optimisers, the trajectory evaluator and the MPC classes.
 *
 * A batch of `n` action sequences of horizon `H` and per-step width `A` is a row-major
 * `Float32Array` `[n * H * A]`: sequence `i`, step `t`, component `a` at `(i * H + t) * A + a`.
 *
 * @module
 */
import type { ActionSelection } from "./planner_settings.ts";

/**
 * A function the optimisers maximise: scores `n` sequences `[n * H * A]`, returning `[n]`.
 * It knows nothing of the optimiser; the optimisers know nothing of RL.
 */
export type SequenceObjective = (sequences: Float32Array, n: number) => Float32Array;

/** How an optimiser searches: continuous values within bounds, or categorical indices. */
export type ActionKind = "continuous" | "categorical";

/** What every optimiser returns from one call of `optimize`. */
export interface OptimizeResult {
  /** The best sequence found, `[H * A]`. */
  sequence: Float32Array;
  /** Its score under the objective. */
  score: number;
  /**
   * The optimiser's final search distribution, in its own layout (a mean `[H * A]` for
   * continuous optimisers, per-step probabilities `[H * numCategories]` for categorical ones),
   * for warm-starting the next call through the optimiser's `shift`.
   */
  distribution: Float32Array;
  /** Sequences scored (calls of the objective times their batch sizes). */
  evaluations: number;
}

/** Options accepted by every optimiser's `optimize`. */
export interface OptimizeOptions {
  /** A warm start in the layout of {@linkcode OptimizeResult.distribution}. */
  warmStart?: Float32Array;
}

/** The contract of the three optimisers. */
export interface SequenceOptimizer {
  /** Planning horizon `H`. */
  readonly horizon: number;
  /** Width `A` of one step of a sequence (1 for categorical search over one discrete action). */
  readonly actionDim: number;
  /** Continuous or categorical search. */
  readonly kind: ActionKind;
  /** Sequences sampled per iteration. */
  readonly numSamples: number;
  /** The optimiser's own settings, read from its state. */
  readonly settings: OptimizerSettings;
  /** Whether `optimize` uses `warmStart` (random shooting ignores it). */
  readonly usesWarmStart: boolean;
  /** Maximises `objective` over sequences `[n * H * A]`. */
  optimize(objective: SequenceObjective, options?: OptimizeOptions): OptimizeResult;
  /**
   * `optimize` as a generator, so that callers can batch the scoring of several optimisers:
   * each `yield` hands out `numSamples` sequences (the optimiser's reused buffer, valid until
   * the next step) and receives their scores; the return value is the result.
   */
  steps(options?: OptimizeOptions): Generator<Float32Array, OptimizeResult, Float32Array>;
  /**
   * The warm start for the next time step: `distribution` moved one step earlier. CEM and
   * MPPI refill the last step with the initial distribution (continuous: the bounds'
   * midpoint; categorical: uniform, then blended by `shiftBlend`); random shooting repeats
   * its last step (and ignores warm starts anyway).
   */
  shift(distribution: Float32Array): Float32Array;
}

/**
 * What an optimiser reports of its own settings (the fields its type has; none for random
 * shooting): the optimiser-specific part of `PlannerSettings`.
 */
export interface OptimizerSettings {
  /** CEM elites per iteration. */
  numElite?: number;
  /** Iterations per call. */
  numIterations?: number;
  /** Weight of the old distribution. */
  alpha?: number;
  /** MPPI temperature. */
  temperature?: number;
  /** MPPI perturbation std. */
  noiseSigma?: number;
  /** MPPI time correlation. */
  noiseBeta?: number;
  /** Categorical floor, or null in continuous search. */
  minProbability?: number | null;
  /** Categorical shift blend. */
  shiftBlend?: number;
  /** Random shooting's rule for the executed first action. */
  selection?: ActionSelection;
}
