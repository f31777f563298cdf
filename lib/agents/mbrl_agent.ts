/**
 * The model-based RL agent: a replay buffer, a learned dynamics model and an MPC planner that
 * plans with it. The loop around it lives in `mbrl_loop.ts`.
 *
 * @module
 */
import { ReplayBuffer, type Transition } from "../buffer/mod.ts";
import type { TransitionBatch } from "../buffer/types.ts";
import { envMetadata, envRules } from "../envs/registry.ts";
import type { EnvId, Space } from "../envs/types.ts";
import {
  type BaseDynamicsModel,
  createDynamicsModel,
  type DynamicsModelType,
  evaluateModel,
  type EvaluateModelOptions,
  type ModelEvaluation,
  type ValueFitReport,
  ValueFunction,
  type ValueSuccessors,
} from "../models/mod.ts";
import type { DynamicsModel, TrainHistoryRow } from "../models/types.ts";
import {
  type EnvAction,
  makeMpcPlanner,
  type MpcPlanner,
  PLANNER_TYPES,
  type PlannerType,
} from "../planners/mod.ts";
import { Rng } from "../rng.ts";
import { describeValue } from "../validate.ts";
import type { MbrlConfig, ValueConfig } from "./mbrl_config.ts";
import { modelSuccessors } from "./model_successors.ts";

/** A model's architecture and optimiser as read back from the model itself. */
export type ModelSettings = MbrlConfig["model"];

/** Reads a learned model's settings back from the model object (its own `settings`). */
function modelSettings(model: DynamicsModel): ModelSettings | null {
  const own = (model as { settings?: Partial<ModelSettings> }).settings;
  if (own === undefined) return null;
  return {
    type: own.type!,
    hiddenSizes: [...(own.hiddenSizes ?? [])],
    numModels: own.numModels!,
    learningRate: own.learningRate!,
    inference: own.inference!,
  };
}

/** The planners {@linkcode ModelBasedRLAgent} can use. */
export type MpcType = PlannerType;

/** The `planner.type` names accepted. */
export const MPC_TYPES: readonly MpcType[] = PLANNER_TYPES;
/** The `model.type` names accepted. */
export const MODEL_TYPES: readonly DynamicsModelType[] = Object.freeze([
  "deterministic",
  "probabilistic",
  "ensemble",
]);

/** What the agent is built from: the parts of an {@linkcode MbrlConfig} it uses. */
export type AgentConfig =
  & Pick<MbrlConfig, "envId" | "model" | "fit" | "planner" | "objective" | "value">
  & { loop: Pick<MbrlConfig["loop"], "bufferCapacity"> };

/** Run-time inputs of {@linkcode ModelBasedRLAgent} that are not configuration. */
export interface ModelBasedRLAgentOptions {
  /** The agent's stream (model init, buffer, planner, random actions). @default {new Rng(0)} */
  rng?: Rng;
  /**
   * A ready model to plan with instead of learning one (e.g. a `TrueDynamicsModel`); the
   * agent then does not own it and `config.model` is not used.
   */
  dynamicsModel?: DynamicsModel;
  /**
   * Wraps the learned model the agent builds from `config.model` (e.g. in a `TrueMeanModel`,
   * which plans on the true physics with the learned ensemble's disagreement); the agent
   * plans with, refits and frees the wrapper. Not with `dynamicsModel`.
   */
  wrapModel?: (learned: BaseDynamicsModel) => DynamicsModel;
}

/** What {@linkcode ModelBasedRLAgent.trainModel} reports. */
export interface ModelTrainReport {
  /** Epochs run. */
  epochs: number;
  /** Last epoch's training loss (the model's own loss: MSE or Gaussian NLL). */
  trainLoss: number;
  /** Best validation loss, in the same units as `trainLoss` (normalised target space). */
  valLoss: number;
  /** Wall time, s. */
  seconds: number;
  /** Transitions trained on. */
  size: number;
  /** The terminal value's refit after the model's, or null when `objective.terminalValue` is off. */
  value: ValueFitReport | null;
}

/**
 * Plans with a learned model: `act` runs MPC from a state, `observe` stores a transition,
 * `trainModel` refits the model on everything stored. Built from a resolved configuration
 * (see {@linkcode resolveMbrlConfig}).
 *
 * @example
 * ```ts
 * import { resolveMbrlConfig } from "./mbrl_config.ts";
 * const agent = new ModelBasedRLAgent(resolveMbrlConfig({ envId: "CartPole-v1" }));
 * const state = new Float32Array([0, 0, 0.01, 0]);
 * const nextState = new Float32Array([0, 0.2, 0.01, -0.3]);
 * agent.observe({ state, action: 1, nextState, reward: 1, terminated: false, truncated: false });
 * agent.observe({ state: nextState, action: 0, nextState: state, reward: 1, terminated: false,
 *   truncated: false });
 * await agent.trainModel();
 * const action = agent.act(state);
 * agent.dispose();
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
  #envId: EnvId;
  #train: { epochs: number; batchSize: number; patience: number; validationFraction: number };
  #randomRng: Rng;
  #ownsModel: boolean;
  /** The model built from `config.model` (inside `model` when wrapped); null when given one. */
  #learned: BaseDynamicsModel | null;
  /** The learned terminal value, when `objective.terminalValue` is on. */
  readonly valueFunction: ValueFunction | null;
  #valueFit: Pick<ValueConfig, "epochs" | "minSteps" | "batchSize">;
  #valueBackup: ValueConfig["backup"];
  #trainedOnce = false;

  /** @throws {RangeError|TypeError} on an invalid configuration. */
  constructor(config: AgentConfig, options: ModelBasedRLAgentOptions = {}) {
    const rng = options.rng ?? new Rng(0);
    const meta = envMetadata(config.envId);
    const { model, fit, planner, objective } = config;
    this.#envId = config.envId;
    this.actionSpace = meta.actionSpace;
    this.buffer = new ReplayBuffer(config.loop.bufferCapacity, {
      stateDim: meta.observationDim,
      actionDim: meta.actionDim,
      actionSpace: meta.actionSpace,
      rng: rng.stream("buffer"),
    });
    if (options.dynamicsModel !== undefined && options.wrapModel !== undefined) {
      throw new TypeError("Expected dynamicsModel or wrapModel, not both");
    }
    this.#ownsModel = options.dynamicsModel === undefined;
    this.#learned = options.dynamicsModel !== undefined ? null : createDynamicsModel({
      type: model.type,
      stateDim: meta.observationDim,
      actionDim: meta.actionDim,
      hiddenSizes: model.hiddenSizes,
      numModels: model.type === "ensemble" ? model.numModels : undefined,
      learningRate: model.learningRate,
      inference: model.inference,
      actionSpace: meta.actionSpace,
      rng: rng.stream("model"),
    });
    this.model = options.dynamicsModel ??
      (options.wrapModel === undefined ? this.#learned! : options.wrapModel(this.#learned!));
    this.#train = { ...fit };
    this.#randomRng = rng.stream("random-actions");
    const { epochs, minSteps, batchSize } = config.value;
    this.#valueFit = { epochs, minSteps, batchSize };
    this.#valueBackup = config.value.backup;
    this.valueFunction = null;
    try {
      this.valueFunction = objective.terminalValue
        ? new ValueFunction({
          stateDim: meta.observationDim,
          hiddenSizes: config.value.hiddenSizes,
          discount: planner.discount,
          learningRate: config.value.learningRate,
          targetTau: config.value.targetTau,
          lambda: config.value.lambda,
          initialValue: config.value.initialValue,
          optimisticTrace: config.value.optimisticTrace,
          members: config.value.members,
          rng: rng.stream("value"),
        })
        : null;
      this.planner = makeMpcPlanner(planner, {
        dynamicsModel: this.model,
        envId: config.envId,
        rewardSource: objective.rewardSource,
        terminationSource: objective.terminationSource,
        shaping: objective.shaping,
        terminalValue: objective.terminalValue,
        valueFunction: this.valueFunction ?? undefined,
        explorationBonus: objective.explorationBonus,
        rng: rng.stream("planner"),
      });
    } catch (error) {
      this.valueFunction?.dispose();
      if (this.#ownsModel) this.model.dispose();
      throw error;
    }
  }

  /**
   * What the agent was built with, read back from its parts (model, planner, buffer,
   * trainer): the configuration issue's check that a run records exactly what it ran.
   */
  get settings(): Omit<AgentConfig, "model" | "value"> & {
    model: ModelSettings | null;
    value: ValueConfig | null;
  } {
    const v = this.valueFunction?.settings;
    return {
      value: v === undefined ? null : {
        hiddenSizes: v.hiddenSizes,
        learningRate: v.learningRate,
        targetTau: v.targetTau,
        ...this.#valueFit,
        lambda: v.lambda,
        initialValue: v.initialValue,
        optimisticTrace: v.optimisticTrace,
        backup: this.#valueBackup,
        members: v.members,
      },
      envId: this.#envId,
      loop: { bufferCapacity: this.buffer.capacity },
      model: this.#learned === null ? null : modelSettings(this.#learned),
      fit: this.#fitSettings(),
      planner: this.planner.settings,
      objective: this.planner.objective,
    };
  }

  /** The fit settings as the model's trainer last applied them (before a fit: as given). */
  #fitSettings(): AgentConfig["fit"] {
    const report = this.#learned?.lastTrainReport;
    if (report === undefined || report === null) return { ...this.#train };
    const { epochs, batchSize, patience, validationFraction } = report;
    return { epochs, batchSize, patience, validationFraction };
  }

  /** True once `trainModel` has run (or a given model is used): `act` then plans. */
  get ready(): boolean {
    return this.#trainedOnce || !this.#ownsModel;
  }

  /** The MPC action from `state` `[stateDim]` (Discrete: an index; Box: `[actionDim]`). */
  act(state: Float32Array, options: { explore?: boolean } = {}): EnvAction {
    if (!(state instanceof Float32Array)) {
      throw new TypeError(`Expected state to be a Float32Array but found ${describeValue(state)}`);
    }
    if (!this.ready) {
      throw new TypeError("Cannot plan with an untrained model; call trainModel() first");
    }
    return this.planner.getAction(state, { explore: options.explore === true });
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
    let value: ValueFitReport | null = null;
    if (this.valueFunction !== null) {
      // One copy of the buffer serves both the fit and its successors (same rows, same order).
      const data = this.buffer.all();
      value = await this.valueFunction.fit(data, {
        ...this.#valueFit,
        successors: this.#valueBackup === "model" ? this.#successors(data) : undefined,
      });
    }
    const last = history.at(-1);
    return {
      epochs: history.length,
      trainLoss: last?.trainLoss ?? NaN,
      valLoss: history.reduce((best, row) => Math.min(best, row.valLoss), Infinity),
      seconds: (performance.now() - start) / 1000,
      size: this.buffer.size,
      value,
    };
  }

  /** Every action's imagined successor of every state of `data`, for V's model backups. */
  #successors(data: TransitionBatch): ValueSuccessors {
    const space = this.actionSpace;
    if (space.kind !== "discrete") {
      throw new RangeError('Expected a Discrete action space for value.backup "model"');
    }
    const { rewardSource, terminationSource } = this.planner.objective;
    const both = rewardSource === "model" && terminationSource === "model";
    return modelSuccessors(this.model, data, {
      numActions: space.n,
      rules: both ? undefined : envRules(this.#envId),
      rewardSource,
      terminationSource,
    });
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

  /** Closes the planner's workers and frees the model's tensors (when the agent built the model). */
  dispose(): void {
    this.planner.dispose();
    this.valueFunction?.dispose();
    if (this.#ownsModel) this.model.dispose();
  }
}
