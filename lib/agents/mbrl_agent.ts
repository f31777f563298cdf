/**
 * The model-based RL agent: a replay buffer, a learned dynamics model and an MPC planner that
 * plans with it. The loop around it lives in `mbrl_loop.ts`.
 *
 * @module
 */
import { ReplayBuffer, type Transition } from "../buffer/mod.ts";
import { envMetadata, isEnvId } from "../envs/registry.ts";
import type { EnvId, EnvRules, Space } from "../envs/types.ts";
import {
  createDynamicsModel,
  type DynamicsModelType,
  evaluateModel,
  type EvaluateModelOptions,
  type ModelEvaluation,
} from "../models/mod.ts";
import type { DynamicsModel, Propagation, TrainHistoryRow } from "../models/types.ts";
import {
  type ActionMode,
  CEM_MPC,
  type EnvAction,
  type MpcOptions,
  type MpcPlanner,
  MPPIMPC,
  type QuadraticShaping,
  RandomShootingMPC,
  type RuleSource,
} from "../planners/mod.ts";
import { Rng } from "../rng.ts";

/** The planners {@linkcode ModelBasedRLAgent} can use. */
export type MpcType = "random_shooting" | "cem" | "mppi";

/** The `mpcType` names accepted. */
export const MPC_TYPES: readonly MpcType[] = Object.freeze(["random_shooting", "cem", "mppi"]);
/** The `modelType` names accepted. */
export const MODEL_TYPES: readonly DynamicsModelType[] = Object.freeze([
  "deterministic",
  "probabilistic",
  "ensemble",
]);

/** Options of {@linkcode ModelBasedRLAgent}. */
export interface ModelBasedRLAgentOptions {
  /** Observation dimension. */
  stateDim: number;
  /** Env action width (1 for a Discrete index). */
  actionDim: number;
  /** The env's action space; defaults to the env's when `envId` is given. */
  actionSpace?: Space;
  /** The env id: its rules, action space and default shaping. */
  envId?: EnvId;
  /** The env's true reward/termination rules; default the env's own when `envId` is given. */
  rules?: EnvRules;
  /** Dynamics model family. @default {"deterministic"} */
  modelType?: DynamicsModelType;
  /** Planner. @default {"random_shooting"} */
  mpcType?: MpcType;
  /** A ready model to use instead of building one (e.g. a `TrueDynamicsModel`). */
  dynamicsModel?: DynamicsModel;
  /** Hidden widths of the model's networks. @default {[64, 64]} */
  hiddenSizes?: readonly number[];
  /** Ensemble size (ensemble only). @default {5} */
  numModels?: number;
  /** Model Adam step size. @default {3e-3} */
  learningRate?: number;
  /**
   * Most epochs per `trainModel` call (early stopping on a 10% split). Fitting to convergence
   * mattered on CartPole: 50 epochs at 1e-3 left the model underfit and cost seeds 300-800 real
   * steps. @default {300}
   */
  trainEpochs?: number;
  /** Model minibatch size. @default {64} */
  batchSize?: number;
  /** Early-stopping patience in epochs. @default {30} */
  patience?: number;
  /** Planning horizon. @default {15} */
  horizon?: number;
  /** Sequences per optimiser iteration. @default {500} */
  numSamples?: number;
  /**
   * `"discrete"` samples action indices directly; `"continuous"` plans `u` in [-1, 1] with the
   * sign choosing the push (the design's way). @default {"discrete" on Discrete spaces}
   */
  actionMode?: ActionMode;
  /** Particles per sequence (stochastic models). @default {1} */
  particles?: number;
  /** Ensemble propagation. @default {"ts1"} */
  propagation?: Propagation;
  /** Imagined rewards from the env's rules or the model. @default {"env"} */
  rewardSource?: RuleSource;
  /** Imagined terminations from the env's rules or the model. @default {"env"} */
  terminationSource?: RuleSource;
  /** Shaping of the planning objective: undefined = env default, null/false = off. */
  shaping?: QuadraticShaping | null | false;
  /** CEM elites. @default {min(50, numSamples)} */
  numElite?: number;
  /** CEM/MPPI iterations per step. @default {5 for CEM, 1 for MPPI} */
  numIterations?: number;
  /** CEM/MPPI smoothing weight of the old distribution. @default {0.1} */
  alpha?: number;
  /** MPPI temperature. @default {1} */
  temperature?: number;
  /** MPPI perturbation std. @default {0.5} */
  noiseSigma?: number;
  /** Replay capacity. @default {100000} */
  bufferCapacity?: number;
  /** The agent's stream (model init, buffer, planner, random actions). @default {new Rng(0)} */
  rng?: Rng;
}

/** What {@linkcode ModelBasedRLAgent.trainModel} reports. */
export interface ModelTrainReport {
  /** Epochs run. */
  epochs: number;
  /** Last epoch's training loss. */
  trainLoss: number;
  /** Best validation loss (MSE in normalised target space). */
  valLoss: number;
  /** Wall time, s. */
  seconds: number;
  /** Transitions trained on. */
  size: number;
}

/**
 * Plans with a learned model: `act` runs MPC from a state, `observe` stores a transition,
 * `trainModel` refits the model on everything stored.
 *
 * @example
 * ```ts
 * const agent = new ModelBasedRLAgent({ envId: "CartPole-v1", stateDim: 4, actionDim: 1 });
 * agent.observe({ state, action: 1, nextState, reward: 1, terminated: false, truncated: false });
 * await agent.trainModel();
 * const action = agent.act(observation);
 * ```
 */
export class ModelBasedRLAgent {
  /** The learned (or given) dynamics model. */
  readonly model: DynamicsModel;
  /** The planner. */
  readonly planner: MpcPlanner;
  /** Everything observed. */
  readonly buffer: ReplayBuffer;
  /** The env's action space. */
  readonly actionSpace: Space;
  #train: { epochs: number; batchSize: number; patience: number };
  #randomRng: Rng;
  #ownsModel: boolean;
  #trainedOnce = false;

  /** @throws {RangeError|TypeError} on invalid options. */
  constructor(options: ModelBasedRLAgentOptions) {
    const rng = options.rng ?? new Rng(0);
    const meta = options.envId !== undefined && isEnvId(options.envId)
      ? envMetadata(options.envId)
      : undefined;
    const actionSpace = options.actionSpace ?? meta?.actionSpace;
    if (actionSpace === undefined) {
      throw new TypeError("Expected actionSpace or envId to be given but found neither");
    }
    const rules = options.rules ?? meta?.rules;
    const {
      stateDim,
      actionDim,
      modelType = "deterministic",
      mpcType = "random_shooting",
      hiddenSizes = [64, 64],
      numModels = 5,
      learningRate = 3e-3,
      trainEpochs = 300,
      batchSize = 64,
      patience = 30,
      bufferCapacity = 100_000,
    } = options;
    if (!MODEL_TYPES.includes(modelType)) {
      throw new RangeError(
        `Expected modelType to be one of ${MODEL_TYPES.join(", ")} but found "${modelType}"`,
      );
    }
    if (!MPC_TYPES.includes(mpcType)) {
      throw new RangeError(
        `Expected mpcType to be one of ${MPC_TYPES.join(", ")} but found "${mpcType}"`,
      );
    }
    this.actionSpace = actionSpace;
    this.buffer = new ReplayBuffer(bufferCapacity, {
      stateDim,
      actionDim,
      rng: rng.stream("buffer"),
    });
    this.#ownsModel = options.dynamicsModel === undefined;
    this.model = options.dynamicsModel ?? createDynamicsModel({
      type: modelType,
      stateDim,
      actionDim,
      hiddenSizes,
      numModels: modelType === "ensemble" ? numModels : undefined,
      learningRate,
      rng: rng.stream("model"),
    });
    this.#train = { epochs: trainEpochs, batchSize, patience };
    this.#randomRng = rng.stream("random-actions");
    const mpc: MpcOptions = {
      dynamicsModel: this.model,
      actionSpace,
      rules,
      envId: options.envId,
      horizon: options.horizon ?? 15,
      numSamples: options.numSamples ?? 500,
      actionMode: options.actionMode ??
        (actionSpace.kind === "discrete" ? "discrete" : "continuous"),
      particles: options.particles,
      propagation: options.propagation,
      rewardSource: options.rewardSource,
      terminationSource: options.terminationSource,
      shaping: options.shaping,
      rng: rng.stream("planner"),
    };
    try {
      if (mpcType === "cem") {
        this.planner = new CEM_MPC({
          ...mpc,
          numElite: options.numElite ?? Math.min(50, mpc.numSamples!),
          numIterations: options.numIterations,
          alpha: options.alpha,
        });
      } else if (mpcType === "mppi") {
        this.planner = new MPPIMPC({
          ...mpc,
          temperature: options.temperature,
          noiseSigma: options.noiseSigma,
          numIterations: options.numIterations,
          alpha: options.alpha,
        });
      } else {
        this.planner = new RandomShootingMPC(mpc);
      }
    } catch (error) {
      if (this.#ownsModel) this.model.dispose();
      throw error;
    }
  }

  /** True once `trainModel` has run (or a given model is used): `act` then plans. */
  get ready(): boolean {
    return this.#trainedOnce || !this.#ownsModel;
  }

  /** The MPC action from `state` `[stateDim]` (Discrete: an index; Box: `[actionDim]`). */
  act(state: Float32Array): EnvAction {
    if (!this.ready) {
      throw new TypeError("Cannot plan with an untrained model; call trainModel() first");
    }
    return this.planner.getAction(state);
  }

  /** A uniformly random action (the warm-up policy), from the agent's own stream. */
  randomAction(): EnvAction {
    const space = this.actionSpace;
    if (space.kind === "discrete") return this.#randomRng.int(space.n);
    return Float32Array.from(
      space.low,
      (low, a) => this.#randomRng.uniformRange(low, space.high[a]!),
    );
  }

  /** Stores one real transition. */
  observe(transition: Transition): void {
    this.buffer.add(transition);
  }

  /** Forgets the planner's warm start (call at episode starts). */
  reset(): void {
    this.planner.reset();
  }

  /** Refits the model on every stored transition. */
  async trainModel(): Promise<ModelTrainReport> {
    const start = performance.now();
    const history: TrainHistoryRow[] = await this.model.train(this.buffer, this.#train);
    this.#trainedOnce = true;
    const last = history.at(-1);
    return {
      epochs: history.length,
      trainLoss: last?.trainLoss ?? NaN,
      valLoss: history.reduce((best, row) => Math.min(best, row.valLoss), Infinity),
      seconds: (performance.now() - start) / 1000,
      size: this.buffer.size,
    };
  }

  /**
   * Held-out quality of the model (one-step and open-loop errors, calibration), delegating to
   * the models' `evaluateModel`; by default on the agent's own buffer (which the model has
   * seen: pass held-out data for an honest figure).
   */
  evaluateModel(
    data: Parameters<typeof evaluateModel>[1] = this.buffer,
    options: EvaluateModelOptions = {},
  ): ModelEvaluation {
    return evaluateModel(this.model, data, options);
  }

  /** Frees the model's tensors (when the agent built the model). */
  dispose(): void {
    if (this.#ownsModel) this.model.dispose();
  }
}
