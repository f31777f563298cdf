/**
 * A bootstrapped ensemble of dynamics networks (PETS), with elites and propagation modes.
 *
 * @module
 */
import { BaseDynamicsModel } from "./base_dynamics_model.ts";
import type { DynamicsModelOptions } from "./model_config.ts";

/** Options of {@linkcode EnsembleDynamicsModel}. */
export interface EnsembleDynamicsModelOptions extends DynamicsModelOptions {
  /** Member networks. @default {5} */
  numModels?: number;
  /** Members kept for prediction, the best by validation loss (NLL or MSE). @default {numModels} */
  numElites?: number;
  /** Train each member on its own resample (with replacement) of the training split. @default {true} */
  bootstrap?: boolean;
}

/**
 * `numModels` independently initialised networks, each trained on its own bootstrap resample.
 * `predict` returns the mean over elites, the variance of their means (`epistemicVar`), the
 * mean of their own variances (`aleatoricVar`) and the total `std`. `sample` propagates rows
 * by `"ts1"`, `"tsinf"` or `"expectation"`. Members run as a loop of 2-D matMuls (a rank-3
 * batched matMul is ~15x slower on wasm).
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * import { ReplayBuffer } from "../buffer/mod.ts";
 * import { makeEnv } from "../envs/mod.ts";
 * import { Rng } from "../rng.ts";
 * await setupBackend();
 * const env = makeEnv("CartPole-v1", { seed: 0 });
 * const buffer = new ReplayBuffer(500, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * let state = env.reset().observation;
 * for (let t = 0; t < 200; t++) {
 *   const step = env.step(t % 2);
 *   buffer.add({ ...step, state, action: t % 2, nextState: step.observation });
 *   state = step.terminated || step.truncated ? env.reset().observation : step.observation;
 * }
 * const { states, actions } = buffer.all();
 * const model = new EnsembleDynamicsModel({
 *   stateDim: 4,
 *   actionDim: 1,
 *   actionSpace: { kind: "discrete", n: 2 },
 *   numModels: 3,
 *   hiddenSizes: [32, 32],
 *   rng: new Rng(0),
 * });
 * await model.train(buffer, { epochs: 5 });
 * const next = model.sample(states, actions, { rng: new Rng(1), propagation: "ts1" });
 * next.mean.length === states.length; // true: one sampled next state per row
 * model.dispose();
 * ```
 */
export class EnsembleDynamicsModel extends BaseDynamicsModel {
  /** @throws {RangeError} on bad dims, sizes, `numModels` or `numElites > numModels`. */
  constructor(options: EnsembleDynamicsModelOptions) {
    const numModels = options.numModels ?? 5;
    super(options, {
      kind: "ensemble",
      numModels,
      numElites: options.numElites ?? numModels,
      bootstrap: options.bootstrap ?? true,
    });
  }
}
