/** Trajectory evaluator, model-agnostic optimisers and MPC planners. @module */
export type * from "./types.ts";
export * from "./optimizers.ts";
export * from "./action_adapter.ts";
export * from "./objective.ts";
export * from "./trajectory_evaluator.ts";
export * from "./mpc.ts";
export * from "./planner_settings.ts";
export * from "./true_dynamics_model.ts";
export * from "./rollout.ts";
export * from "./plan_workers.ts";
