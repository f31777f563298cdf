/**
 * The batch of transitions that buffers hand out and models train on.
 *
 * @module
 */

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
