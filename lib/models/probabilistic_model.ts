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
 * const model = new ProbabilisticDynamicsModel({
 *   stateDim: 4,
 *   actionDim: 1,
 *   hiddenSizes: [32, 32],
 *   rng: new Rng(0),
 * });
 * const history = await model.train(buffer, { epochs: 5 });
 * history.at(-1)?.valLoss; // held-out Gaussian NLL per element (model.settings.valLossKind: "nll")
 * const { mean, std, reward } = model.predict(states, actions);
 * [mean.length, std?.length, reward.length]; // [800, 800, 200]
 * model.dispose();
 * ```
 */
export class ProbabilisticDynamicsModel extends BaseDynamicsModel {
  /** @throws {RangeError} on non-positive dims or `hiddenSizes` with a non-positive entry. */
  constructor(options: ProbabilisticDynamicsModelOptions) {
    super(options, { kind: "probabilistic", numModels: 1, numElites: 1, bootstrap: false });
  }
}
