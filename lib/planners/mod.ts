/** Trajectory evaluator and MPC planners. @module */
export {};
