/**
 * Small, readable demonstrations the notebooks call: playing episodes, a least-squares
 * dynamics model, random-shooting MPC on plain numbers, buffer filling and sampling
 * summaries. Re-exports only.
 *
 * @module
 */
export * from "./episode.ts";
export * from "./least_squares_dynamics.ts";
export * from "./shooting_mpc.ts";
export * from "./buffer_demo.ts";
export * from "./model_demo.ts";
export * from "./mbrl_demo.ts";
export * from "./compare_demo.ts";
