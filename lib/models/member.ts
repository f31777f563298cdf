/**
 * One network of a dynamics model: an {@linkcode Mlp} on normalised inputs with a mean head
 * (normalised state delta and reward), an optional log-std head with PETS-style learned soft
 * bounds, an optional termination logit, and its own {@linkcode Adam}.
 *
 * Internal to `lib/models/`; the public classes wrap it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Adam, type AdamOptions } from "../nn/adam.ts";
import { type Activation, Mlp } from "../nn/mlp.ts";
import type { Rng } from "../rng.ts";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Configuration of a {@linkcode MemberNetwork}. */
export interface MemberConfig {
  inputDim: number;
  /** Target columns `T` (state delta + reward). */
  targetDim: number;
  hiddenSizes: readonly number[];
  activation: Activation;
  probabilistic: boolean;
  learnTermination: boolean;
  /** Initial soft upper bound of the normalised log-std. */
  maxLogStdInit: number;
  /** Initial soft lower bound of the normalised log-std. */
  minLogStdInit: number;
  /** Weight of `sum(maxLogStd) - sum(minLogStd)` in the loss. */
  boundsWeight: number;
  adam: AdamOptions;
}

/** `log(1 + exp(x))` without overflow. */
export function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

/** PETS soft clamp of a raw log-std between learned bounds (JS version for predictions). */
export function boundLogStd(raw: number, max: number, min: number): number {
  const upper = max - softplus(max - raw);
  return min + softplus(upper - min);
}

/** See the module doc. Owns its variables and optimiser state. */
export class MemberNetwork {
  readonly config: MemberConfig;
  readonly mlp: Mlp;
  readonly outputDim: number;
  #maxLogStd: tf.Variable | undefined;
  #minLogStd: tf.Variable | undefined;
  #adam: Adam;
  #boundsCache: { max: Float32Array; min: Float32Array } | undefined;

  constructor(config: MemberConfig, rng: Rng) {
    this.config = config;
    const t = config.targetDim;
    this.outputDim = t * (config.probabilistic ? 2 : 1) + (config.learnTermination ? 1 : 0);
    this.mlp = new Mlp({
      layerSizes: [config.inputDim, ...config.hiddenSizes, this.outputDim],
      activation: config.activation,
      rng,
    });
    const vars = [...this.mlp.variables];
    const decayMask = vars.map((v) => v.rank === 2);
    if (config.probabilistic) {
      this.#maxLogStd = tf.tidy(() => tf.variable(tf.fill([1, t], config.maxLogStdInit), true));
      this.#minLogStd = tf.tidy(() => tf.variable(tf.fill([1, t], config.minLogStdInit), true));
      vars.push(this.#maxLogStd, this.#minLogStd);
      decayMask.push(false, false);
    }
    this.#adam = new Adam(vars, { ...config.adam, decayMask });
  }

  /** The optimiser of this network's parameters (its settings are the model's read-back). */
  get optimizer(): Adam {
    return this.#adam;
  }

  /** Whether the network has a log-std head (its learned bounds exist). */
  get hasLogStdHead(): boolean {
    return this.#maxLogStd !== undefined;
  }

  /** Whether the network's last output is a termination logit (read from the layer sizes). */
  get hasTerminationHead(): boolean {
    const t = this.config.targetDim;
    return this.mlp.outputSize === t * (this.hasLogStdHead ? 2 : 1) + 1;
  }

  /** Raw outputs `[n, outputDim]`: mean, raw log-std (unbounded), termination logit. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.mlp.forward(x);
  }

  /** Current soft bounds of the normalised log-std, `[T]` each (cached between updates). */
  bounds(): { max: Float32Array; min: Float32Array } {
    if (!this.config.probabilistic) {
      const t = this.config.targetDim;
      return { max: new Float32Array(t), min: new Float32Array(t) };
    }
    this.#boundsCache ??= {
      max: Float32Array.from(this.#maxLogStd!.dataSync() as Float32Array),
      min: Float32Array.from(this.#minLogStd!.dataSync() as Float32Array),
    };
    return this.#boundsCache;
  }

  /** The loss on one batch as a scalar tensor (all heads), from raw outputs. */
  #loss(
    out: tf.Tensor2D,
    y: tf.Tensor2D,
    term: tf.Tensor2D | undefined,
    maxL: tf.Tensor | undefined,
    minL: tf.Tensor | undefined,
  ): tf.Scalar {
    const t = this.config.targetDim;
    const mu = tf.slice(out, [0, 0], [-1, t]);
    let loss: tf.Scalar;
    if (this.config.probabilistic) {
      const logStd = this.#boundedLogStd(out, maxL!, minL!);
      const sq = tf.square(tf.sub(mu, y));
      const nll = tf.add(tf.mul(tf.mul(sq, tf.exp(tf.mul(logStd, -2))), 0.5), logStd);
      loss = tf.add(tf.mean(nll), HALF_LOG_2PI);
      const reg = tf.mul(tf.sub(tf.sum(maxL!), tf.sum(minL!)), this.config.boundsWeight);
      loss = tf.add(loss, reg);
    } else {
      loss = tf.mean(tf.square(tf.sub(mu, y)));
    }
    if (this.config.learnTermination && term !== undefined) {
      loss = tf.add(loss, this.#termLoss(out, term));
    }
    return loss;
  }

  #boundedLogStd(out: tf.Tensor2D, maxL: tf.Tensor, minL: tf.Tensor): tf.Tensor2D {
    const t = this.config.targetDim;
    const raw = tf.slice(out, [0, t], [-1, t]);
    const upper = tf.sub(maxL, tf.softplus(tf.sub(maxL, raw)));
    return tf.add(minL, tf.softplus(tf.sub(upper, minL)));
  }

  #termLoss(out: tf.Tensor2D, term: tf.Tensor2D): tf.Scalar {
    const logit = tf.slice(out, [0, this.outputDim - 1], [-1, 1]);
    return tf.losses.sigmoidCrossEntropy(term, logit) as tf.Scalar;
  }

  /**
   * One Adam step on a batch; returns the loss before the step (a scalar the caller owns).
   * `term` (`[n, 1]`, 0/1) is used only with a termination head.
   */
  trainStep(x: tf.Tensor2D, y: tf.Tensor2D, term: tf.Tensor2D | undefined): tf.Scalar {
    this.#boundsCache = undefined;
    return tf.tidy(() => {
      const { output, cache } = this.mlp.forwardWithCache(x);
      let value: tf.Scalar;
      let paramGrads: tf.Tensor[];
      if (this.config.probabilistic) {
        const head = (out: tf.Tensor, maxL: tf.Tensor, minL: tf.Tensor) =>
          this.#loss(out as tf.Tensor2D, y, term, maxL, minL);
        const res = tf.valueAndGrads(head)([output, this.#maxLogStd!, this.#minLogStd!]);
        value = res.value as tf.Scalar;
        const [dOut, dMax, dMin] = res.grads;
        paramGrads = [...this.mlp.backward(cache, dOut as tf.Tensor2D), dMax!, dMin!];
      } else {
        const head = (out: tf.Tensor) =>
          this.#loss(out as tf.Tensor2D, y, term, undefined, undefined);
        const res = tf.valueAndGrad(head)(output);
        value = res.value as tf.Scalar;
        paramGrads = this.mlp.backward(cache, res.grad as tf.Tensor2D);
      }
      this.#adam.step(paramGrads);
      return value;
    });
  }

  /**
   * Held-out figures in normalised target space: mean squared error of the mean head, Gaussian
   * NLL per element (NaN for deterministic members), termination BCE (NaN without the head).
   * Returns scalar tensors summed over rows (divide by rows x T, or rows for termLoss).
   */
  scoreSums(
    x: tf.Tensor2D,
    y: tf.Tensor2D,
    term: tf.Tensor2D | undefined,
  ): { sqSum: tf.Scalar; nllSum: tf.Scalar | undefined; termSum: tf.Scalar | undefined } {
    return tf.tidy(() => {
      const out = this.forward(x);
      const t = this.config.targetDim;
      const mu = tf.slice(out, [0, 0], [-1, t]);
      const sq = tf.square(tf.sub(mu, y));
      const sqSum = tf.sum(sq) as tf.Scalar;
      let nllSum: tf.Scalar | undefined;
      if (this.config.probabilistic) {
        const logStd = this.#boundedLogStd(out, this.#maxLogStd!, this.#minLogStd!);
        const nll = tf.add(tf.mul(tf.mul(sq, tf.exp(tf.mul(logStd, -2))), 0.5), logStd);
        nllSum = tf.add(tf.sum(nll), HALF_LOG_2PI * x.shape[0] * t) as tf.Scalar;
      }
      let termSum: tf.Scalar | undefined;
      if (this.config.learnTermination && term !== undefined) {
        const logit = tf.slice(out, [0, this.outputDim - 1], [-1, 1]);
        termSum = tf.losses.sigmoidCrossEntropy(
          term,
          logit,
          undefined,
          undefined,
          tf.Reduction.SUM,
        ) as tf.Scalar;
      }
      return { sqSum, nllSum, termSum };
    });
  }

  /** Copies of all parameters: the MLP's, then the log-std bounds when probabilistic. */
  getState(): Float32Array[] {
    const state = this.mlp.getWeights();
    if (this.config.probabilistic) {
      state.push(
        Float32Array.from(this.#maxLogStd!.dataSync() as Float32Array),
        Float32Array.from(this.#minLogStd!.dataSync() as Float32Array),
      );
    }
    return state;
  }

  /** Lengths of the arrays {@linkcode MemberNetwork.getState} returns. */
  stateLengths(): number[] {
    const lengths = this.mlp.variables.map((v) => v.size);
    if (this.config.probabilistic) lengths.push(this.config.targetDim, this.config.targetDim);
    return lengths;
  }

  /** Overwrites all parameters (optimizer moments are kept). */
  setState(state: readonly Float32Array[]): void {
    const n = this.mlp.variables.length;
    const expected = n + (this.config.probabilistic ? 2 : 0);
    if (state.length !== expected) {
      throw new RangeError(`Expected ${expected} weight arrays but found ${state.length}`);
    }
    this.mlp.setWeights(state.slice(0, n));
    if (this.config.probabilistic) {
      const t = this.config.targetDim;
      for (
        const [v, arr] of [[this.#maxLogStd!, state[n]!], [
          this.#minLogStd!,
          state[n + 1]!,
        ]] as const
      ) {
        if (arr.length !== t) {
          throw new RangeError(`Expected log-std bounds of length ${t} but found ${arr.length}`);
        }
        tf.tidy(() => v.assign(tf.tensor2d(arr, [1, t])));
      }
    }
    this.#boundsCache = undefined;
  }

  /** Frees variables and optimiser state. */
  dispose(): void {
    this.mlp.dispose();
    this.#adam.dispose();
    tf.dispose([this.#maxLogStd, this.#minLogStd].filter((v) => v !== undefined));
  }
}
