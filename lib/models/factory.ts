/**
 * Builds a dynamics model from a type name, or from a saved folder.
 *
 * @module
 */
import type { BaseDynamicsModel } from "./base_dynamics_model.ts";
import type { DynamicsModelOptions } from "./model_config.ts";
import { readSavedModel } from "./model_file.ts";
import { EnsembleDynamicsModel, type EnsembleDynamicsModelOptions } from "./ensemble_model.ts";
import { ProbabilisticDynamicsModel } from "./probabilistic_model.ts";
import { Rng } from "../rng.ts";

/** The model families {@linkcode createDynamicsModel} builds. */
export type DynamicsModelType = "deterministic" | "probabilistic" | "ensemble";

/** Options of {@linkcode createDynamicsModel}. */
export interface CreateDynamicsModelOptions extends EnsembleDynamicsModelOptions {
  /** `"deterministic"` (one MSE network), `"probabilistic"` (one Gaussian network) or `"ensemble"`. */
  type: DynamicsModelType;
}

/**
 * `"deterministic"` -> `ProbabilisticDynamicsModel({ probabilistic: false })`,
 * `"probabilistic"` -> `ProbabilisticDynamicsModel`, `"ensemble"` -> `EnsembleDynamicsModel`
 * (probabilistic members unless `probabilistic: false`).
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const model = createDynamicsModel({ type: "ensemble", stateDim: 4, actionDim: 1, numModels: 3 });
 * model.settings.type; // "ensemble"
 * model.dispose();
 * ```
 * @throws {TypeError} on an unknown type.
 */
export function createDynamicsModel(options: CreateDynamicsModelOptions): BaseDynamicsModel {
  const { type, numModels, numElites, bootstrap, ...rest } = options;
  switch (type) {
    case "deterministic":
      return new ProbabilisticDynamicsModel({ ...rest, probabilistic: false });
    case "probabilistic":
      return new ProbabilisticDynamicsModel({ ...rest, probabilistic: rest.probabilistic ?? true });
    case "ensemble":
      return new EnsembleDynamicsModel({ ...rest, numModels, numElites, bootstrap });
    default:
      throw new TypeError(
        `Expected type to be deterministic, probabilistic or ensemble but found ${type}`,
      );
  }
}

/**
 * Rebuilds a model saved with `model.save(path)`: architecture from `model.json`, then weights,
 * normalisers and elites.
 * @throws {Error} when the folder is missing, corrupt, or holds an unknown model kind.
 */
export async function loadDynamicsModel(path: string): Promise<BaseDynamicsModel> {
  const { json } = await readSavedModel(path);
  const c = json.config;
  const options: DynamicsModelOptions = {
    stateDim: c.stateDim,
    actionDim: c.actionDim,
    actionSpace: c.actionSpace ?? undefined,
    hiddenSizes: c.hiddenSizes,
    activation: c.activation,
    probabilistic: c.probabilistic,
    learnTermination: c.learnTermination,
    learningRate: c.learningRate,
    epsilon: c.epsilon,
    weightDecay: c.weightDecay,
    weightDecayMode: c.weightDecayMode,
    clipNorm: c.clipNorm,
    maxLogStdInit: c.maxLogStdInit,
    minLogStdInit: c.minLogStdInit,
    boundsWeight: c.boundsWeight,
    // Files written before the kernel existed were made (and planned with) on tfjs.
    inference: c.inference ?? "tfjs",
    rng: new Rng(c.seed),
  };
  let model: BaseDynamicsModel;
  try {
    if (c.kind === "probabilistic") model = new ProbabilisticDynamicsModel(options);
    else if (c.kind === "ensemble") {
      model = new EnsembleDynamicsModel({
        ...options,
        numModels: c.numModels,
        numElites: c.numElites,
        bootstrap: c.bootstrap,
      });
    } else throw new Error(`unknown model kind ${c.kind}`);
  } catch (error) {
    throw new Error(`Cannot rebuild the model in ${path}: ${(error as Error).message}`);
  }
  try {
    await model.load(path);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
