/**
 * Replay buffers on typed arrays with seeded sampling: a uniform ring buffer with episode-aware
 * sequence windows and lossless save/load, a proportional prioritized buffer, and the sum tree
 * under it.
 *
 * @module
 */
export type * from "./types.ts";
export {
  ReplayBuffer,
  type ReplayBufferJson,
  type ReplayBufferLoadOptions,
  type ReplayBufferOptions,
  type ReplayBufferSampleOptions,
  type Transition,
  type TransitionSplit,
} from "./replay_buffer.ts";
export {
  type PrioritizationOptions,
  type PrioritizedLoadOptions,
  PrioritizedReplayBuffer,
  type PrioritizedReplayBufferOptions,
} from "./prioritized_replay_buffer.ts";
export { SumTree } from "./sum_tree.ts";
export * from "./validation_split.ts";
