/**
 * The smallest learned model: next-state deltas as a linear function of (state, action),
 * fitted by ridge least squares. No tfjs, so the theory notebook fits `P-hat` in a few
 * milliseconds and plans with it through the same MPC classes as the neural models.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import { writeJsonAtomic } from "../run_folder.ts";
import { assertFiniteArray } from "../validate.ts";
import { rowCount } from "./input_checks.ts";
import { fnv1a } from "./model_file.ts";
import { checkTransitionBatch } from "./training_data.ts";
import type {
  DynamicsModel,
  DynamicsPrediction,
  SampleOptions,
  TrainHistoryRow,
  TransitionSource,
} from "./types.ts";

/** Solves `A x = b` for square `A` (`[p * p]`, row-major) by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, p: number, q: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) {
      if (Math.abs(m[r * p + col]!) > Math.abs(m[pivot * p + col]!)) pivot = r;
    }
    if (Math.abs(m[pivot * p + col]!) < 1e-12) {
      throw new RangeError("Expected a well-conditioned system but found a singular one");
    }
    for (let k = 0; k < p; k++) {
      [m[col * p + k], m[pivot * p + k]] = [m[pivot * p + k]!, m[col * p + k]!];
    }
    for (let k = 0; k < q; k++) {
      [x[col * q + k], x[pivot * q + k]] = [x[pivot * q + k]!, x[col * q + k]!];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = m[r * p + col]! / m[col * p + col]!;
      if (f === 0) continue;
      for (let k = 0; k < p; k++) m[r * p + k]! -= f * m[col * p + k]!;
      for (let k = 0; k < q; k++) x[r * q + k]! -= f * x[col * q + k]!;
    }
  }
  for (let r = 0; r < p; r++) {
    for (let k = 0; k < q; k++) x[r * q + k]! /= m[r * p + r]!;
  }
  return x;
}

/** What a {@linkcode LinearDynamicsModel} is, read back from it. */
export interface LinearModelSettings {
  type: "linear";
  stateDim: number;
  actionDim: number;
  /** The ridge penalty the fit uses. */
  ridge: number;
  numModels: 1;
}

/** Checksum of the saved fields other than `checksum`, in their order. */
function linearChecksum(json: Record<string, unknown>): number {
  const { checksum: _drop, ...body } = json;
  return fnv1a(new TextEncoder().encode(JSON.stringify(body)));
}

/** Options of {@linkcode LinearDynamicsModel}. */
export interface LinearDynamicsModelOptions {
  /** State (observation) dimension. */
  stateDim: number;
  /** Action dimension (1 for a Discrete index). */
  actionDim: number;
  /** Ridge penalty on the weights (not the bias), scaled by the number of rows. @default {1e-6} */
  ridge?: number;
}

/**
 * `s' = s + W [s; a; 1]`, with `W` (`[(stateDim + actionDim + 1) * stateDim]`) fitted by
 * ridge least squares on observed deltas `s' - s`. It learns no reward (`reward` is all
 * zeros) and no termination: plan with the env's rules (the planners' default).
 *
 * @example
 * ```ts
 * const n = 20;
 * const states = Float32Array.from({ length: n }, (_, i) => i);
 * const actions = Float32Array.from({ length: n }, (_, i) => i % 2);
 * const batch = {
 *   size: n, stateDim: 1, actionDim: 1, states, actions,
 *   nextStates: states.map((s, i) => 0.9 * s + actions[i]!), rewards: new Float32Array(n),
 *   terminated: new Uint8Array(n), truncated: new Uint8Array(n),
 * };
 * const model = new LinearDynamicsModel({ stateDim: 1, actionDim: 1 });
 * await model.train(batch);
 * const next = model.predict(new Float32Array([10]), new Float32Array([1])).mean; // ~[10]
 * ```
 */
export class LinearDynamicsModel implements DynamicsModel {
  /** State dimension. */
  readonly stateDim: number;
  /** Action dimension. */
  readonly actionDim: number;
  /** A single model. */
  readonly numMembers = 1;
  /** Deterministic. */
  readonly probabilistic = false;
  #ridge: number;
  #weights: Float64Array | null = null;

  /** What this model is (its dimensions and ridge penalty). */
  get settings(): LinearModelSettings {
    return {
      type: "linear",
      stateDim: this.stateDim,
      actionDim: this.actionDim,
      ridge: this.#ridge,
      numModels: 1,
    };
  }

  /** @throws {RangeError} on non-positive dimensions or a negative ridge. */
  constructor(options: LinearDynamicsModelOptions) {
    const { stateDim, actionDim, ridge = 1e-6 } = options;
    for (const [name, value] of [["stateDim", stateDim], ["actionDim", actionDim]] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
      }
    }
    if (!(ridge >= 0)) {
      throw new RangeError(`Expected ridge to be a non-negative number but found ${ridge}`);
    }
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.#ridge = ridge;
  }

  /**
   * Fits `W` to every transition of `data` in closed form (no epochs, no validation split).
   * Returns one history row whose `trainLoss` is the mean squared next-state error on `data`
   * after the fit; `valLoss` is NaN.
   *
   * @throws {TypeError} on mismatched dimensions; {RangeError} on an empty batch, a
   *   non-finite value or a singular system.
   */
  train(data: TransitionBatch | TransitionSource): Promise<TrainHistoryRow[]> {
    // Errors reject the promise (never a synchronous throw from a promise-returning method).
    try {
      return Promise.resolve(this.#fit(data));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #fit(data: TransitionBatch | TransitionSource): TrainHistoryRow[] {
    const batch = "all" in data ? data.all() : data;
    checkTransitionBatch(batch, this.stateDim, this.actionDim, undefined);
    const { size: n, stateDim: d, actionDim: ad } = batch;
    const p = d + ad + 1;
    const xtx = new Float64Array(p * p);
    const xty = new Float64Array(p * d);
    const row = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) row[k] = batch.states[i * d + k]!;
      for (let k = 0; k < ad; k++) row[d + k] = batch.actions[i * ad + k]!;
      row[p - 1] = 1;
      for (let r = 0; r < p; r++) {
        for (let c = 0; c < p; c++) xtx[r * p + c]! += row[r]! * row[c]!;
        for (let k = 0; k < d; k++) {
          xty[r * d + k]! += row[r]! * (batch.nextStates[i * d + k]! - batch.states[i * d + k]!);
        }
      }
    }
    for (let r = 0; r < p - 1; r++) xtx[r * p + r]! += this.#ridge * n;
    this.#weights = solve(xtx, xty, p, d);
    const predicted = this.predict(batch.states, batch.actions).mean;
    let sq = 0;
    for (let i = 0; i < n * d; i++) sq += (predicted[i]! - batch.nextStates[i]!) ** 2;
    return [{ epoch: 1, trainLoss: sq / (n * d), valLoss: NaN }];
  }

  /**
   * Next states `[n * stateDim]` of `states` `[n * stateDim]` under `actions`
   * `[n * actionDim]`; `reward` is zeros `[n]`.
   *
   * @throws {Error} before the first `train`; {TypeError} on inputs that are not
   *   `Float32Array`s of whole, matching rows; {RangeError} on a non-finite entry.
   */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    const w = this.#weights;
    if (w === null) throw new Error("Expected a trained model: call train() before predict()");
    const { stateDim: d, actionDim: ad } = this;
    const n = rowCount(states, actions, d, ad);
    assertFiniteArray(states, "states");
    assertFiniteArray(actions, "actions");
    const p = d + ad + 1;
    const mean = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        let delta = w[(p - 1) * d + k]!;
        for (let j = 0; j < d; j++) delta += states[i * d + j]! * w[j * d + k]!;
        for (let j = 0; j < ad; j++) delta += actions[i * ad + j]! * w[(d + j) * d + k]!;
        mean[i * d + k] = states[i * d + k]! + delta;
      }
    }
    return { mean, reward: new Float32Array(n) };
  }

  /** Same as {@linkcode predict}: the model is deterministic. */
  sample(states: Float32Array, actions: Float32Array, _options: SampleOptions): DynamicsPrediction {
    return this.predict(states, actions);
  }

  /** Nothing to free. */
  dispose(): void {}

  /**
   * Writes the weights to `path/linear_model.json` atomically, with a checksum over every
   * field.
   */
  async save(path: string): Promise<void> {
    if (this.#weights === null) throw new Error("Expected a trained model: nothing to save");
    await Deno.mkdir(path, { recursive: true });
    const body = {
      stateDim: this.stateDim,
      actionDim: this.actionDim,
      ridge: this.#ridge,
      weights: Array.from(this.#weights),
    };
    writeJsonAtomic(`${path}/linear_model.json`, { ...body, checksum: linearChecksum(body) });
  }

  /**
   * Loads what {@linkcode save} wrote (same dimensions).
   * @throws {Error} when the file is unreadable, corrupt or its checksum does not match;
   *   {RangeError} when the dimensions differ.
   */
  async load(path: string): Promise<void> {
    const file = `${path}/linear_model.json`;
    let json;
    try {
      json = JSON.parse(await Deno.readTextFile(file));
    } catch (error) {
      throw new Error(`Cannot read a saved linear model in ${file}: ${(error as Error).message}`);
    }
    if (typeof json?.checksum !== "number" || linearChecksum(json) !== json.checksum) {
      throw new Error(`Corrupt ${file}: checksum missing or mismatched`);
    }
    if (json.stateDim !== this.stateDim || json.actionDim !== this.actionDim) {
      throw new RangeError(
        `Expected a saved model of stateDim ${this.stateDim} and actionDim ${this.actionDim} but found ${json.stateDim} and ${json.actionDim}`,
      );
    }
    const p = this.stateDim + this.actionDim + 1;
    if (!Array.isArray(json.weights) || json.weights.length !== p * this.stateDim) {
      throw new Error(
        `Corrupt ${file}: expected ${p * this.stateDim} weights but found ${json.weights?.length}`,
      );
    }
    this.#weights = Float64Array.from(json.weights as number[]);
  }
}
