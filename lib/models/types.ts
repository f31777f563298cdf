/**
 * The contract between dynamics models and everything that uses them (planners, agents,
 * evaluation). Planners only ever see a {@linkcode DynamicsModel} through the trajectory
 * evaluator; the optimisers underneath see neither.
 *
 * Arrays are row-major `Float32Array`s: `n` states are `[n * stateDim]`, `n` actions
 * `[n * actionDim]`.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import type { Rng } from "../rng.ts";

/**
 * How particles move through an ensemble during rollouts (PETS naming):
 * `"ts1"` a random member per particle per step, `"tsinf"` a fixed member per particle,
 * `"expectation"` the mean over members.
 */
export type Propagation = "ts1" | "tsinf" | "expectation";

/** What a model predicts for `n` (state, action) rows. */
export interface DynamicsPrediction {
  /** Next-state mean, `[n * stateDim]`, in state space (not normalised). */
  mean: Float32Array;
  /** Predicted std of the next state (aleatoric; for an ensemble, the total), `[n * stateDim]`. */
  std?: Float32Array;
  /** Mean over members of each member's own variance, `[n * stateDim]` (ensembles only). */
  aleatoricVar?: Float32Array;
  /** Variance of the members' means, `[n * stateDim]` (ensembles only). */
  epistemicVar?: Float32Array;
  /** Predicted reward, `[n]`. */
  reward: Float32Array;
  /** The same array as `mean` (the design's `state_mean`). */
  stateMean?: Float32Array;
  /** `log(std)`, `[n * stateDim]` (the design's `state_log_std`); from `predict` when std is. */
  stateLogStd?: Float32Array;
  /** Predicted std of the reward, `[n]`, when std is given. */
  rewardStd?: Float32Array;
  /** Probability that the next state is terminal, `[n]`, when a termination head is trained. */
  terminationProb?: Float32Array;
}

/** Options of {@linkcode DynamicsModel.sample}. */
export interface SampleOptions {
  /** Stream for member choice and Gaussian noise. */
  rng: Rng;
  /** Ensemble propagation. @default {"ts1"} */
  propagation?: Propagation;
  /** For `"tsinf"`: the member of each row, `[n]`. */
  members?: Int32Array;
}

/**
 * One row of training history, one per epoch. Neural models add `valMse` (held-out MSE),
 * `valNll` (probabilistic only), `valTermLoss` (with a termination head) and `seconds`.
 */
export interface TrainHistoryRow {
  /** 1-based epoch. */
  epoch: number;
  /** The optimised objective, averaged over the epoch's minibatches and members. */
  trainLoss: number;
  /**
   * The held-out loss that early stopping and elite selection use, in normalised target
   * space: the Gaussian NLL per element for probabilistic models and ensembles, the MSE for
   * deterministic ones (`lastTrainReport.lossKind` says which); NaN where there is no
   * validation (the linear model).
   */
  valLoss: number;
  [metric: string]: number;
}

/** Anything that can hand out all its transitions (a replay buffer). */
export interface TransitionSource {
  all(): TransitionBatch;
}

/** Options of {@linkcode DynamicsModel.train}. */
export interface TrainOptions {
  /** Maximum epochs. @default {50} */
  epochs?: number;
  /** Minibatch size. @default {256} */
  batchSize?: number;
  /**
   * Fraction held out for validation / early stopping: `floor(n * validationFraction)` rows,
   * at least 1 when positive (see `validationCount`). @default {0.1}
   */
  validationFraction?: number;
  /** Epochs without validation improvement before stopping. @default {5} */
  patience?: number;
  /** Called after each epoch. */
  onEpoch?: (row: TrainHistoryRow) => void;
}

/** A learned model of `(state, action) -> (next state, reward)`. */
export interface DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  /** 1 for single networks, the member count for ensembles. */
  readonly numMembers: number;
  /** True when the model predicts a distribution (std is returned). */
  readonly probabilistic: boolean;
  /** Fits the model (and its normaliser) to the data; returns one row per epoch. */
  train(
    data: TransitionBatch | TransitionSource,
    options?: TrainOptions,
  ): Promise<TrainHistoryRow[]>;
  /** Batched prediction of the next-state distribution and reward. */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction;
  /** One stochastic step for rollouts: `mean` holds sampled next states. */
  sample(states: Float32Array, actions: Float32Array, options: SampleOptions): DynamicsPrediction;
  /** Frees the model's tensors. */
  dispose(): void;
  /** Writes weights and normaliser to `path` (a folder). */
  save(path: string): Promise<void>;
  /** Loads what `save` wrote into this model (same architecture). */
  load?(path: string): Promise<void>;
}
