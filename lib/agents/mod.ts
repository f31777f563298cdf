/** The model-based agent and loop, and the model-free baselines. @module */
export {};
