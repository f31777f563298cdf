/**
 * The model-based RL workbook's public API: environments, replay buffers, dynamics models,
 * planners, agents, experiments and figures. Re-exports only.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./stats.ts";
export * from "./validate.ts";
export * from "./run_folder.ts";
export * from "./envs/mod.ts";
export * from "./buffer/mod.ts";
export * from "./backend.ts";
export * from "./nn/mod.ts";
export * from "./models/mod.ts";
export * from "./planners/mod.ts";
export * from "./agents/mod.ts";
export * from "./experiment/mod.ts";
export * from "./demos/mod.ts";
export * from "./plots/mod.ts";
