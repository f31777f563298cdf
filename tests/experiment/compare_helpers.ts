/**
 * Shared pieces of the comparison tests.
 *
 * @module
 */

/** A model-based configuration small enough for a test that still warms up, fits, plans and evaluates. */
export const TINY_MBRL = {
  loop: { warmupSteps: 20, retrainEvery: 20 },
  model: { hiddenSizes: [8] },
  fit: { epochs: 3 },
  planner: { horizon: 3, numSamples: 16 },
};
