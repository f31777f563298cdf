/**
 * The batch of transitions that buffers hand out and models train on.
 *
 * @module
 */

/**
 * The part of an env's action space a buffer checks stored actions against: `Discrete(n)`
 * indices must lie in `[0, n)`; Box actions only need to be finite. An env's `actionSpace`
 * (`lib/envs/types.ts`'s `Space`) is one of these.
 */
export type BufferActionSpace =
  | { readonly kind: "discrete"; readonly n: number }
  | { readonly kind: "box" };

/**
 * `size` transitions in row-major typed arrays.
 * `states`/`nextStates` are `[size * stateDim]`, `actions` `[size * actionDim]`,
 * `rewards`/`terminated`/`truncated` `[size]` (flags are 0 or 1).
 */
export interface TransitionBatch {
  readonly size: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly nextStates: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
}

/**
 * A batch drawn from a buffer: the transitions plus the ring slots they came from.
 * `indices` is `[size]`; slots are stable until overwritten, so they can be handed back to
 * {@linkcode PrioritizedReplayBuffer.updatePriorities}.
 */
export interface SampledBatch extends TransitionBatch {
  readonly indices: Int32Array;
}

/** A prioritized batch: a {@linkcode SampledBatch} plus importance-sampling weights `[size]`. */
export interface PrioritizedBatch extends SampledBatch {
  readonly weights: Float32Array;
}

/**
 * `batchSize` contiguous windows of `length` transitions from one episode each, row-major:
 * - `states` `[batchSize, length + 1, stateDim]`: `states[b, 0]` is the window's first state,
 *   `states[b, t + 1]` the `nextState` of step `t`;
 * - `actions` `[batchSize, length, actionDim]`;
 * - `rewards`, `terminated`, `truncated` (0 or 1), `indices` (ring slots) `[batchSize, length]`.
 *
 * Only the last step of a window can be terminated or truncated.
 */
export interface SequenceBatch {
  readonly batchSize: number;
  readonly length: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly indices: Int32Array;
}
