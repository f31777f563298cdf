/**
 * Learned dynamics models: normaliser, single probabilistic/deterministic network, bootstrapped
 * ensemble, a linear least-squares model, factory and save/load, and model evaluation. Re-exports only.
 *
 * @module
 */
export type * from "./types.ts";
export * from "./normalizer.ts";
export {
  BaseDynamicsModel,
  type DynamicsModelConfig,
  type DynamicsModelKind,
  type DynamicsModelOptions,
  type SavedModelJson,
} from "./base_dynamics_model.ts";
export * from "./probabilistic_model.ts";
export * from "./ensemble_model.ts";
export * from "./linear_dynamics_model.ts";
export * from "./factory.ts";
export * from "./evaluate_model.ts";
