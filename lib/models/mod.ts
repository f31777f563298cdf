/**
 * Learned dynamics models: normaliser, single probabilistic/deterministic network, bootstrapped
 * ensemble, a linear least-squares model, factory and save/load, and model evaluation. Re-exports only.
 *
 * @module
 */
export type * from "./types.ts";
export * from "./normalizer.ts";
export { BaseDynamicsModel } from "./base_dynamics_model.ts";
export type {
  DynamicsModelConfig,
  DynamicsModelKind,
  DynamicsModelOptions,
  DynamicsModelSettings,
  ModelInference,
  ValLossKind,
} from "./model_config.ts";
export { MODEL_INFERENCES } from "./model_config.ts";
export { readSavedModel, type SavedModelJson } from "./model_file.ts";
export type { TrainReport, TrainSettings } from "./trainer.ts";
export { validationCount } from "./training_data.ts";
export * from "./probabilistic_model.ts";
export * from "./ensemble_model.ts";
export * from "./linear_dynamics_model.ts";
export * from "./factory.ts";
export * from "./evaluate_model.ts";
export * from "./value_function.ts";
export * from "./disagreement.ts";
