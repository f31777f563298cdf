/**
 * Small, readable demonstrations the notebooks call: playing episodes, checks of a
 * next-state predictor, buffer filling and sampling summaries, planner and model rows, value maps and visited states. Re-exports only.
 *
 * @module
 */
export * from "./episode.ts";
export * from "./prediction_checks.ts";
export * from "./buffer_demo.ts";
export * from "./model_demo.ts";
export * from "./mbrl_demo.ts";
export * from "./compare_demo.ts";
export * from "./value_demo.ts";
export * from "./value_exploration_run.ts";
export * from "./preset_rows.ts";
