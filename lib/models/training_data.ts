/**
 * The data side of training: the one train/validation split rule ({@linkcode validationCount}),
 * the checks a batch must pass, and {@linkcode prepareTrainingData}, which shuffles, splits,
 * packs inputs `(state, action)` and targets `(next - state, reward)`, fits the normalisers on
 * the training rows and uploads normalised tensors.
 *
 * Internal to `lib/models/`; `BaseDynamicsModel.train` calls it before `fitMembers`
 * (`trainer.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TransitionBatch } from "../buffer/types.ts";
import type { Space } from "../envs/types.ts";
import type { Rng } from "../rng.ts";
import { assertFiniteArray } from "../validate.ts";
import { assertActionsInSpace } from "./input_checks.ts";
import { Normalizer } from "./normalizer.ts";
import { validationCount } from "../buffer/validation_split.ts";

/** The split rule, shared with `ReplayBuffer.split`. */
export { validationCount };

/**
 * Checks a batch against a model's dimensions: at least one row, arrays long enough, every
 * value finite, actions inside `actionSpace`.
 * @throws {TypeError} on a missing batch, other dimensions or arrays too short;
 *   {RangeError} on an empty batch, a non-finite value (`Expected nextStates[7] to be finite
 *   but found NaN`) or an action outside the space.
 *
 * @example
 * ```ts
 * const batch = {
 *   size: 1, stateDim: 1, actionDim: 1,
 *   states: new Float32Array([0]), actions: new Float32Array([1]), nextStates: new Float32Array([1]),
 *   rewards: new Float32Array([0]), terminated: new Uint8Array(1), truncated: new Uint8Array(1),
 * };
 * checkTransitionBatch(batch, 1, 1, undefined);
 * ```
 */
export function checkTransitionBatch(
  batch: TransitionBatch,
  stateDim: number,
  actionDim: number,
  actionSpace: Space | undefined,
): void {
  if (!batch || typeof batch.size !== "number") {
    throw new TypeError("Expected a TransitionBatch or a buffer with all()");
  }
  if (batch.size === 0) {
    throw new RangeError(
      "Expected at least one transition to train on but found 0 (empty buffer)",
    );
  }
  if (batch.stateDim !== stateDim || batch.actionDim !== actionDim) {
    throw new TypeError(
      `Expected data with stateDim ${stateDim} and actionDim ${actionDim} but found ${batch.stateDim} and ${batch.actionDim}`,
    );
  }
  const n = batch.size;
  const checks: [string, Float32Array | Uint8Array, number][] = [
    ["states", batch.states, n * stateDim],
    ["actions", batch.actions, n * actionDim],
    ["nextStates", batch.nextStates, n * stateDim],
    ["rewards", batch.rewards, n],
    ["terminated", batch.terminated, n],
  ];
  for (const [name, arr, len] of checks) {
    if (!arr || arr.length < len) {
      throw new TypeError(`Expected ${name} to hold ${len} values but found ${arr?.length}`);
    }
    assertFiniteArray(arr.subarray(0, len), name);
  }
  assertActionsInSpace(batch.actions.subarray(0, n * actionDim), actionSpace);
}

/** Normalised training and validation tensors, with the normalisers fitted on the train rows. */
export interface TrainingData {
  inputNorm: Normalizer;
  targetNorm: Normalizer;
  nTrain: number;
  /** Held-out rows (0: validation uses the training rows). */
  nVal: number;
  /** Rows in the validation tensors (`nVal`, or `nTrain` when `nVal` is 0). */
  nValRows: number;
  xTr: tf.Tensor2D;
  yTr: tf.Tensor2D;
  termTr: tf.Tensor2D;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor2D;
  termVal: tf.Tensor2D;
  /** Frees the six tensors. */
  dispose(): void;
}

/**
 * Shuffles rows with `rng`, holds out the last {@linkcode validationCount} of them, packs
 * inputs `(state, action)` and targets `(next - state, reward)`, fits both normalisers on the
 * training rows and uploads normalised tensors (the caller disposes them).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * const batch = {
 *   size: 4, stateDim: 1, actionDim: 1,
 *   states: new Float32Array([0, 1, 2, 3]), actions: new Float32Array([1, 0, 1, 0]),
 *   nextStates: new Float32Array([1, 1, 3, 3]), rewards: new Float32Array(4),
 *   terminated: new Uint8Array(4), truncated: new Uint8Array(4),
 * };
 * const data = prepareTrainingData(batch, 1, 1, 0.25, new Rng(0));
 * data.nTrain; // 3
 * data.dispose();
 * ```
 */
export function prepareTrainingData(
  batch: TransitionBatch,
  stateDim: number,
  actionDim: number,
  validationFraction: number,
  rng: Rng,
): TrainingData {
  const s = stateDim;
  const a = actionDim;
  const n = batch.size;
  const inDim = s + a;
  const tDim = s + 1;
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const nVal = validationCount(n, validationFraction);
  const nTrain = n - nVal;
  const pack = (rows: Int32Array) => {
    const x = new Float32Array(rows.length * inDim);
    const y = new Float32Array(rows.length * tDim);
    const term = new Float32Array(rows.length);
    rows.forEach((r, i) => {
      for (let j = 0; j < s; j++) {
        const st = batch.states[r * s + j]!;
        x[i * inDim + j] = st;
        y[i * tDim + j] = batch.nextStates[r * s + j]! - st;
      }
      for (let j = 0; j < a; j++) x[i * inDim + s + j] = batch.actions[r * a + j]!;
      y[i * tDim + s] = batch.rewards[r]!;
      term[i] = batch.terminated[r]!;
    });
    return { x, y, term };
  };
  const trainRaw = pack(order.subarray(0, nTrain));
  const valRaw = nVal > 0 ? pack(order.subarray(nTrain)) : trainRaw;
  const inputNorm = Normalizer.fit(trainRaw.x, inDim);
  const targetNorm = Normalizer.fit(trainRaw.y, tDim);
  const nValRows = nVal > 0 ? nVal : nTrain;
  const [xTr, yTr, termTr, xVal, yVal, termVal] = tf.tidy(() => [
    tf.tensor2d(inputNorm.normalize(trainRaw.x), [nTrain, inDim]),
    tf.tensor2d(targetNorm.normalize(trainRaw.y), [nTrain, tDim]),
    tf.tensor2d(trainRaw.term, [nTrain, 1]),
    tf.tensor2d(inputNorm.normalize(valRaw.x), [nValRows, inDim]),
    tf.tensor2d(targetNorm.normalize(valRaw.y), [nValRows, tDim]),
    tf.tensor2d(valRaw.term, [nValRows, 1]),
  ]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return {
    inputNorm,
    targetNorm,
    nTrain,
    nVal,
    nValRows,
    xTr,
    yTr,
    termTr,
    xVal,
    yVal,
    termVal,
    dispose: () => tf.dispose([xTr, yTr, termTr, xVal, yVal, termVal]),
  };
}

/** How {@linkcode fitMembers} treats the members. */
