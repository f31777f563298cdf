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
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 4, actionDim: 1, numModels: 5, rng: new Rng(0) });
 * await model.train(buffer, { epochs: 20 });
 * const next = model.sample(states, actions, { rng: new Rng(1), propagation: "ts1" });
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
