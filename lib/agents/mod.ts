/** The model-based agent and loop, and the model-free baselines. @module */
export * from "./dqn.ts";
export * from "./ppo.ts";
export * from "./sac.ts";
export * from "./zoo_presets.ts";
export * from "./run_recorder.ts";
export * from "./policy_eval.ts";
export * from "./baseline_run.ts";
export * from "./mbrl_config.ts";
export * from "./mbrl_agent.ts";
export * from "./mbrl_loop.ts";
