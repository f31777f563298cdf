/**
 * A single dynamics network: Gaussian (mean + log-std, NLL) or deterministic (MSE).
 *
 * @module
 */
import { BaseDynamicsModel } from "./base_dynamics_model.ts";
import type { DynamicsModelOptions } from "./model_config.ts";

/** Options of {@linkcode ProbabilisticDynamicsModel}. */
export type ProbabilisticDynamicsModelOptions = DynamicsModelOptions;

/**
 * One MLP on normalised `(state, action)` predicting the normalised state change and reward;
 * `probabilistic: true` (default) adds a log-std head trained by Gaussian NLL with PETS soft
 * bounds, `false` gives a deterministic MSE model.
 *
 * @example
 * ```ts
 * await setupBackend();
 * const model = new ProbabilisticDynamicsModel({ stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * const history = await model.train(buffer, { epochs: 20 });
 * const { mean, std, reward } = model.predict(states, actions);
 * model.dispose();
 * ```
 */
export class ProbabilisticDynamicsModel extends BaseDynamicsModel {
  /** @throws {RangeError} on non-positive dims or `hiddenSizes` with a non-positive entry. */
  constructor(options: ProbabilisticDynamicsModelOptions) {
    super(options, { kind: "probabilistic", numModels: 1, numElites: 1, bootstrap: false });
  }
}
