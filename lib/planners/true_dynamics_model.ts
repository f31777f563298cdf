/**
 * The environment's own physics wrapped as a {@linkcode DynamicsModel}: the control
 * experiment that separates planner bugs from model bugs (plan with the truth; if the pole
 * still falls, the planner or the objective is at fault).
 *
 * @module
 */
import type { Env } from "../envs/types.ts";
import { assertEnvId, stateFromObservation } from "../envs/registry.ts";
import type { TransitionBatch } from "../buffer/types.ts";
import type { BaseDynamicsModel } from "../models/base_dynamics_model.ts";
import type { Normalizer } from "../models/normalizer.ts";
import type {
  DynamicsModel,
  DynamicsPrediction,
  SampleOptions,
  TrainHistoryRow,
  TrainOptions,
  TransitionSource,
} from "../models/types.ts";

/** Options of {@linkcode TrueDynamicsModel}. */
export interface TrueDynamicsModelOptions {
  /**
   * A private env instance the model owns and steps (never the one being controlled). Any of
   * the five envs: CartPole-v1 and both MountainCars observe their physical state; Pendulum-v1
   * (`[cos th, sin th, thdot]`) and Acrobot-v1 (`[cos th1, sin th1, cos th2, sin th2, dth1,
   * dth2]`) observe a transform of it, which `stateFromObservation` inverts.
   */
  env: Env;
}

/**
 * Steps a private copy of the env from each row's state: `predict` returns the true next
 * observation, reward and termination (`terminationProb` 0 or 1). The state is taken from the
 * float32 observation, so rollouts carry float32 rounding (tiny next to the dynamics).
 *
 * @example
 * ```ts
 * import { CartPoleEnv } from "../envs/cart_pole.ts";
 * const model = new TrueDynamicsModel({ env: new CartPoleEnv() });
 * const next = model.predict(Float32Array.of(0, 0, 0.01, 0), Float32Array.of(1)).mean;
 * ```
 */
export class TrueDynamicsModel implements DynamicsModel {
  /** Observation dimension. */
  readonly stateDim: number;
  /** 1: the env's action (a Discrete index as a number, or a Box value). */
  readonly actionDim = 1;
  /** A single "member". */
  readonly numMembers = 1;
  /** Deterministic. */
  readonly probabilistic = false;
  #env: Env;
  #discrete: boolean;

  /** @throws {TypeError} for an env this model does not know. */
  constructor(options: TrueDynamicsModelOptions) {
    const { env } = options;
    assertEnvId(env.id, "env.id");
    this.#env = env;
    this.stateDim = env.observationSpace.shape[0]!;
    this.#discrete = env.actionSpace.kind === "discrete";
  }

  /** Nothing to learn: returns no history. */
  train(_data: TransitionBatch | TransitionSource): Promise<TrainHistoryRow[]> {
    return Promise.resolve([]);
  }

  /** The true next observations `[n * stateDim]`, rewards `[n]` and terminations `[n]`. */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    const d = this.stateDim;
    const n = actions.length;
    if (states.length !== n * d) {
      throw new RangeError(
        `Expected states to have length ${n * d} (${n} rows of ${d}) but found ${states.length}`,
      );
    }
    const mean = new Float32Array(n * d);
    const reward = new Float32Array(n);
    const terminationProb = new Float32Array(n);
    const env = this.#env;
    for (let i = 0; i < n; i++) {
      // A fresh episode each row, so neither termination nor the TimeLimit gets in the way.
      env.reset();
      env.setState(stateFromObservation(env.id, states.subarray(i * d, (i + 1) * d)));
      const a = actions[i]!;
      const step = env.step(this.#discrete ? a : [a]);
      mean.set(step.observation, i * d);
      reward[i] = step.reward;
      terminationProb[i] = step.terminated ? 1 : 0;
    }
    return { mean, reward, terminationProb };
  }

  /** Same as {@linkcode predict}: the dynamics are deterministic. */
  sample(states: Float32Array, actions: Float32Array, _options: SampleOptions): DynamicsPrediction {
    return this.predict(states, actions);
  }

  /** Nothing to free. */
  dispose(): void {}

  /** Nothing to save. */
  save(_path: string): Promise<void> {
    return Promise.resolve();
  }
}

/** Options of {@linkcode TrueMeanModel}. */
export interface TrueMeanModelOptions {
  /** The env's true physics (its next states and rewards are what `predict` returns). */
  truth: TrueDynamicsModel;
  /**
   * The learned ensemble whose disagreement `predict` reports and which `train` fits; the
   * caller keeps ownership (`dispose` frees it too, as it is this model's state).
   */
  ensemble: BaseDynamicsModel;
}

/**
 * The second control experiment of the loop: plan on the true physics, but explore with the
 * disagreement of a learned ensemble that the loop keeps fitting. `predict` returns the true
 * next state and reward with the ensemble's `epistemicVar` (the variance of its members'
 * means, which does not depend on where their mean lies) and `aleatoricVar`, so the
 * exploration bonus, the refits and the learned terminal value run as in a normal run while
 * every imagined step is exact. What then still separates a run from solving is exploration,
 * the value and the planner, not model error. `TrueDynamicsModel` alone cannot stand in: the
 * bonus needs an ensemble, and without it sparse-reward envs are never explored.
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * import { EnsembleDynamicsModel } from "../models/ensemble_model.ts";
 * import { MountainCarEnv } from "../envs/mountain_car.ts";
 * await setupBackend();
 * const ensemble = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * const model = new TrueMeanModel({ truth: new TrueDynamicsModel({ env: new MountainCarEnv() }), ensemble });
 * model.predict(Float32Array.of(-0.5, 0), Float32Array.of(2)).epistemicVar?.length; // 2
 * model.dispose();
 * ```
 */
export class TrueMeanModel implements DynamicsModel {
  /** Observation dimension. */
  readonly stateDim: number;
  /** The ensemble's action width. */
  readonly actionDim: number;
  /** The ensemble's members (at least 2, for the disagreement). */
  readonly numMembers: number;
  /** False: every prediction is the true, deterministic next state. */
  readonly probabilistic = false;
  #truth: TrueDynamicsModel;
  #ensemble: BaseDynamicsModel;

  /**
   * @throws {RangeError} when the ensemble has fewer than 2 members or another state or action
   *   width than the truth.
   */
  constructor(options: TrueMeanModelOptions) {
    const { truth, ensemble } = options;
    if (ensemble.numMembers < 2) {
      throw new RangeError(
        `Expected an ensemble of at least 2 members but found ${ensemble.numMembers}`,
      );
    }
    if (ensemble.stateDim !== truth.stateDim || ensemble.actionDim !== truth.actionDim) {
      throw new RangeError(
        `Expected an ensemble of stateDim ${truth.stateDim} and actionDim ${truth.actionDim} ` +
          `but found ${ensemble.stateDim} and ${ensemble.actionDim}`,
      );
    }
    this.#truth = truth;
    this.#ensemble = ensemble;
    this.stateDim = truth.stateDim;
    this.actionDim = truth.actionDim;
    this.numMembers = ensemble.numMembers;
  }

  /** The ensemble's target normaliser (the exploration bonus divides by its delta std). */
  get targetNormalizer(): Normalizer {
    return this.#ensemble.targetNormalizer;
  }

  /** Fits the ensemble. */
  train(
    data: TransitionBatch | TransitionSource,
    options?: TrainOptions,
  ): Promise<TrainHistoryRow[]> {
    return this.#ensemble.train(data, options);
  }

  /** The true next states, rewards and terminations, with the ensemble's variances. */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    const truth = this.#truth.predict(states, actions);
    const learned = this.#ensemble.predict(states, actions);
    return {
      ...truth,
      epistemicVar: learned.epistemicVar,
      aleatoricVar: learned.aleatoricVar,
    };
  }

  /** Same as {@linkcode predict}: the physics are deterministic. */
  sample(states: Float32Array, actions: Float32Array, _options: SampleOptions): DynamicsPrediction {
    return this.predict(states, actions);
  }

  /** Frees the ensemble. */
  dispose(): void {
    this.#ensemble.dispose();
  }

  /** Saves the ensemble. */
  save(path: string): Promise<void> {
    return this.#ensemble.save(path);
  }
}
