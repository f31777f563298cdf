/**
 * A small, fast multilayer perceptron for the dynamics models and the model-free agents.
 *
 * Why not `tf.layers`: on the wasm backend, tfjs's built-in dense-layer gradients use
 * `matMul` with `transposeA`/`transposeB` flags, which run ~10x slower than an explicit
 * `tf.transpose` followed by a plain `matMul`. {@linkcode Mlp.backward} arranges the same
 * gradient maths the fast way (measured ~4x more training steps per second for [256, 256]).
 *
 * Training pattern: the caller turns its loss into `dLoss/dOutput` (analytically, or with
 * `tf.grad` over just the loss head: {@linkcode Mlp.gradients} does that), then
 * {@linkcode Mlp.backward} returns parameter gradients that an {@linkcode Adam} applies.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";
import { PackedMlp } from "./dense_kernel.ts";
import { type InitScheme, initWeights } from "./init.ts";

/**
 * Hidden-layer activation. `"swish"` and `"silu"` are the same function `x * sigmoid(x)`.
 * `"relu"` and `"linear"` are fused into the matMul; the others run as one extra op because
 * `tf.fused.matMul` rejects them.
 */
export type Activation = "relu" | "swish" | "silu" | "tanh" | "linear";

const ACTIVATIONS: readonly Activation[] = ["relu", "swish", "silu", "tanh", "linear"];

/** Options of {@linkcode Mlp}. */
export interface MlpOptions {
  /** `[input, ...hidden, output]`, e.g. `[4, 256, 256, 2]`; at least two positive integers. */
  layerSizes: readonly number[];
  /** Activation after every hidden layer; the output layer is linear. @default {"relu"} */
  activation?: Activation;
  /** Stream the initial weights are drawn from. Required unless `weights` is given. */
  rng?: Rng;
  /**
   * Weight initialiser. Biases start at zero (uniform `±1/sqrt(fanIn)` for `"torch"`).
   * @default {"he" for relu/swish, "glorot" for tanh/linear}
   */
  init?: InitScheme;
  /** Multiplies the hidden layers' initial weights (e.g. `Math.SQRT2` with orthogonal). @default {1} */
  gain?: number;
  /** Multiplies the output layer's initial weights (e.g. 0.01 for a policy head). @default {1} */
  outputGain?: number;
  /** Initial weights as from {@linkcode Mlp.getWeights}; skips random initialisation. */
  weights?: readonly Float32Array[];
}

/**
 * What {@linkcode Mlp.forwardWithCache} keeps for {@linkcode Mlp.backward}. The tensors belong
 * to the caller: run both calls inside one `tf.tidy`, or dispose them with
 * {@linkcode disposeCache}.
 */
export interface MlpCache {
  /** The input of each layer (`inputs[0]` is `x`, `inputs[l]` the activation of layer l-1). */
  readonly inputs: tf.Tensor2D[];
  /** For swish: `sigmoid(z)` of each hidden layer; empty otherwise. */
  readonly sigmoids: tf.Tensor2D[];
}

/** Disposes the tensors of a cache made outside `tf.tidy`. */
export function disposeCache(cache: MlpCache): void {
  tf.dispose([...cache.inputs, ...cache.sigmoids]);
}

function checkSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new RangeError(
      `Expected layerSizes to hold at least 2 sizes but found ${JSON.stringify(sizes)}`,
    );
  }
  for (const s of sizes) {
    if (!Number.isInteger(s) || s <= 0) {
      throw new RangeError(
        `Expected layerSizes to be positive integers but found ${JSON.stringify(sizes)}`,
      );
    }
  }
}

/**
 * A dense network `x -> act(x W0 + b0) -> ... -> h W_L + b_L` whose parameters are
 * `tf.Variable`s ordered `[W0, b0, W1, b1, ...]` (`W_l` is `[in, out]`, `b_l` is `[out]`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { setupBackend } from "../backend.ts";
 * import { Rng } from "../rng.ts";
 * import { Adam } from "./adam.ts";
 * await setupBackend();
 * const x = tf.randomNormal<tf.Rank.R2>([8, 4], 0, 1, "float32", 1);
 * const target = tf.zeros<tf.Rank.R2>([8, 2]);
 * const net = new Mlp({ layerSizes: [4, 64, 64, 2], rng: new Rng(0) });
 * const opt = new Adam(net.variables, { learningRate: 1e-3 });
 * tf.tidy(() => {
 *   const { grads } = net.gradients(x, (out) => tf.losses.meanSquaredError(target, out));
 *   opt.step(grads);
 * });
 * const y = net.forward(x); // [8, 2]
 * tf.dispose([x, target, y]);
 * opt.dispose();
 * net.dispose();
 * ```
 */
export class Mlp {
  /** `[input, ...hidden, output]`. */
  readonly layerSizes: readonly number[];
  /** Hidden activation. */
  readonly activation: Activation;
  #vars: tf.Variable[];
  #disposed = false;
  /** The kernel's copy of the weights, and the variables' storage it was packed from. */
  #packed: { net: PackedMlp; from: readonly object[] } | undefined;

  /**
   * @throws {RangeError} when `layerSizes` has fewer than 2 entries or a non-positive size.
   * @throws {TypeError} on an unknown activation, or when neither `rng` nor `weights` is given.
   */
  constructor(options: MlpOptions) {
    const sizes = options.layerSizes;
    checkSizes(sizes);
    const activation = options.activation ?? "relu";
    if (!ACTIVATIONS.includes(activation)) {
      throw new TypeError(
        `Expected activation to be one of ${ACTIVATIONS.join(", ")} but found ${activation}`,
      );
    }
    this.layerSizes = [...sizes];
    this.activation = activation;
    const shapes = this.#shapes();
    let values: readonly Float32Array[];
    if (options.weights !== undefined) {
      this.#checkWeights(options.weights);
      values = options.weights;
    } else {
      if (options.rng === undefined) {
        throw new TypeError("Expected rng (or weights) in Mlp options but found neither");
      }
      values = this.#initialValues(options, options.rng);
    }
    this.#vars = tf.tidy(() =>
      shapes.map((shape, i) => tf.variable(tf.tensor(values[i]!, shape), true))
    );
  }

  /** The parameters `[W0, b0, W1, b1, ...]` (live variables: do not dispose). */
  get variables(): tf.Variable[] {
    this.#assertLive();
    return this.#vars;
  }

  /** Number of hidden + output layers. */
  get numLayers(): number {
    return this.layerSizes.length - 1;
  }

  /** Total parameter count. */
  get numParams(): number {
    let n = 0;
    for (let l = 0; l < this.numLayers; l++) {
      n += (this.layerSizes[l]! + 1) * this.layerSizes[l + 1]!;
    }
    return n;
  }

  /** Input width. */
  get inputSize(): number {
    return this.layerSizes[0]!;
  }

  /** Output width. */
  get outputSize(): number {
    return this.layerSizes[this.layerSizes.length - 1]!;
  }

  /**
   * The network's output for a batch, `[n, input] -> [n, output]`. The result belongs to
   * the caller (or to the enclosing `tf.tidy`).
   * @throws {RangeError} when `x` is not `[n, inputSize]`.
   */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    this.#checkInput(x);
    return tf.tidy(() => {
      let h = x;
      const last = this.numLayers - 1;
      for (let l = 0; l <= last; l++) {
        h = this.#dense(h, l, l < last);
      }
      return h;
    });
  }

  /**
   * Inference without tensors: the output `[n, output]` for `n` rows of `x` (`[n, input]`,
   * row-major) on the generated dense kernel ({@linkcode PackedMlp}), agreeing with
   * {@linkcode Mlp.forward} to ~1e-6 relative. The weights are packed on the first call and
   * again after any change to them (every tfjs assignment gives a variable new storage,
   * which this compares by identity), so training between calls needs no bookkeeping.
   * @throws {RangeError} when `x` holds fewer than `n * inputSize` values.
   *
   * @example
   * ```ts
   * import { Rng } from "../rng.ts";
   * const net = new Mlp({ layerSizes: [3, 8, 2], rng: new Rng(0) });
   * net.predict(new Float32Array(6), 2).length; // 4
   * net.dispose();
   * ```
   */
  predict(x: Float32Array, n: number): Float32Array {
    this.#assertLive();
    const from = this.#vars.map((v) => v.dataId);
    const packed = this.#packed;
    if (packed === undefined || packed.from.some((id, i) => id !== from[i])) {
      this.#packed = {
        net: new PackedMlp({
          layerSizes: this.layerSizes,
          activation: this.activation,
          weights: this.getWeights(),
        }),
        from,
      };
    }
    return this.#packed!.net.forward(x, n);
  }

  /**
   * {@linkcode Mlp.forward} that also returns what {@linkcode Mlp.backward} needs.
   * @throws {RangeError} when `x` is not `[n, inputSize]`.
   */
  forwardWithCache(x: tf.Tensor2D): { output: tf.Tensor2D; cache: MlpCache } {
    this.#checkInput(x);
    const inputs: tf.Tensor2D[] = [x];
    const sigmoids: tf.Tensor2D[] = [];
    const last = this.numLayers - 1;
    let h: tf.Tensor2D = x;
    for (let l = 0; l <= last; l++) {
      const hidden = l < last;
      if (hidden && this.#isSwish()) {
        const z = this.#dense(h, l, false);
        const s = tf.sigmoid(z);
        sigmoids.push(s);
        h = tf.mul(z, s);
        z.dispose();
      } else {
        h = this.#dense(h, l, hidden);
      }
      if (hidden) inputs.push(h);
    }
    return { output: h, cache: { inputs, sigmoids } };
  }

  /**
   * Gradients of the loss w.r.t. `[W0, b0, W1, b1, ...]` given `dOutput = dLoss/dOutput`
   * (`[n, output]`), computed with explicit transposes and plain matMuls. The returned
   * tensors belong to the caller; the cache is not disposed.
   * @throws {RangeError} when `dOutput` does not match the cached batch.
   */
  backward(cache: MlpCache, dOutput: tf.Tensor2D): tf.Tensor[] {
    this.#assertLive();
    const n = cache.inputs[0]!.shape[0];
    if (dOutput.rank !== 2 || dOutput.shape[0] !== n || dOutput.shape[1] !== this.outputSize) {
      throw new RangeError(
        `Expected dOutput to have shape [${n}, ${this.outputSize}] but found [${dOutput.shape}]`,
      );
    }
    return tf.tidy(() => {
      const grads: tf.Tensor[] = new Array(2 * this.numLayers);
      let dz: tf.Tensor2D = dOutput;
      for (let l = this.numLayers - 1; l >= 0; l--) {
        const a = cache.inputs[l]!;
        grads[2 * l] = tf.matMul(tf.transpose(a), dz);
        grads[2 * l + 1] = tf.sum(dz, 0);
        if (l > 0) {
          const dh = tf.matMul(dz, tf.transpose(this.#vars[2 * l]!)) as tf.Tensor2D;
          dz = this.#activationGrad(dh, a, cache.sigmoids[l - 1]);
        }
      }
      return grads;
    });
  }

  /**
   * Loss and parameter gradients in one call: forward with cache, `tf.valueAndGrad` over only
   * `lossFn` (cheap elementwise ops), then {@linkcode Mlp.backward}. Results belong to the
   * caller.
   */
  gradients(
    x: tf.Tensor2D,
    lossFn: (output: tf.Tensor2D) => tf.Scalar,
  ): { loss: tf.Scalar; grads: tf.Tensor[] } {
    return tf.tidy(() => {
      const { output, cache } = this.forwardWithCache(x);
      const { value, grad } = tf.valueAndGrad(lossFn)(output);
      return { loss: value, grads: this.backward(cache, grad as tf.Tensor2D) };
    });
  }

  /** Copies of the parameters `[W0, b0, ...]` as `Float32Array`s (row-major `[in, out]`). */
  getWeights(): Float32Array[] {
    this.#assertLive();
    return this.#vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  /**
   * Overwrites the parameters with copies of `weights` (as from {@linkcode Mlp.getWeights}).
   * @throws {RangeError} on a wrong count or length, or non-finite values.
   */
  setWeights(weights: readonly Float32Array[]): void {
    this.#assertLive();
    this.#checkWeights(weights);
    const shapes = this.#shapes();
    tf.tidy(() => {
      this.#vars.forEach((v, i) => v.assign(tf.tensor(weights[i]!, shapes[i]!)));
    });
  }

  /** Copies another network's parameters into this one (e.g. a DQN target network). */
  copyFrom(other: Mlp): void {
    this.#assertLive();
    if (other.layerSizes.join() !== this.layerSizes.join()) {
      throw new RangeError(
        `Expected layerSizes [${this.layerSizes}] but found [${other.layerSizes}]`,
      );
    }
    tf.tidy(() => {
      this.#vars.forEach((v, i) => v.assign(tf.clone(other.variables[i]!)));
    });
  }

  /** A new network with the same configuration and a copy of these weights. */
  clone(): Mlp {
    return new Mlp({
      layerSizes: this.layerSizes,
      activation: this.activation,
      weights: this.getWeights(),
    });
  }

  /** Frees the parameters. Later calls throw. */
  dispose(): void {
    if (this.#disposed) return;
    tf.dispose(this.#vars);
    this.#vars = [];
    this.#packed = undefined;
    this.#disposed = true;
  }

  /** True after {@linkcode Mlp.dispose}. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  #isSwish(): boolean {
    return this.activation === "swish" || this.activation === "silu";
  }

  /** One layer: fused matMul + bias (+ relu), then any non-fusable activation. */
  #dense(h: tf.Tensor2D, l: number, hidden: boolean): tf.Tensor2D {
    const w = this.#vars[2 * l] as tf.Tensor2D;
    const b = this.#vars[2 * l + 1]!;
    const act = hidden ? this.activation : "linear";
    if (act === "relu" || act === "linear") {
      return tf.fused.matMul({ a: h, b: w, bias: b, activation: act }) as tf.Tensor2D;
    }
    const z = tf.fused.matMul({ a: h, b: w, bias: b }) as tf.Tensor2D;
    if (act === "tanh") {
      const out = tf.tanh(z);
      z.dispose();
      return out;
    }
    const out = tf.tidy(() => tf.mul(z, tf.sigmoid(z))) as tf.Tensor2D;
    z.dispose();
    return out;
  }

  /** `dh * act'(.)` for a hidden layer whose output is `h` (and sigmoid `s` for swish). */
  #activationGrad(dh: tf.Tensor2D, h: tf.Tensor2D, s: tf.Tensor2D | undefined): tf.Tensor2D {
    switch (this.activation) {
      case "relu":
        return tf.mul(dh, tf.step(h));
      case "tanh":
        return tf.mul(dh, tf.sub(1, tf.square(h)));
      case "linear":
        return dh;
      default: {
        // swish: d/dz [z s(z)] = s + z s (1 - s) = s + h (1 - s)
        const sig = s!;
        return tf.mul(dh, tf.add(sig, tf.mul(h, tf.sub(1, sig))));
      }
    }
  }

  #shapes(): number[][] {
    const shapes: number[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      shapes.push([this.layerSizes[l]!, this.layerSizes[l + 1]!], [this.layerSizes[l + 1]!]);
    }
    return shapes;
  }

  #initialValues(options: MlpOptions, rng: Rng): Float32Array[] {
    const scheme = options.init ??
      (this.activation === "tanh" || this.activation === "linear" ? "glorot" : "he");
    const values: Float32Array[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const fanIn = this.layerSizes[l]!;
      const fanOut = this.layerSizes[l + 1]!;
      const gain = l === this.numLayers - 1 ? (options.outputGain ?? 1) : (options.gain ?? 1);
      values.push(initWeights(fanIn, fanOut, { scheme, rng, gain }));
      const bias = new Float32Array(fanOut);
      if (scheme === "torch") {
        const limit = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < fanOut; i++) bias[i] = (2 * rng.uniform() - 1) * limit;
      }
      values.push(bias);
    }
    return values;
  }

  #checkWeights(weights: readonly Float32Array[]): void {
    const shapes = this.#shapes();
    if (weights.length !== shapes.length) {
      throw new RangeError(
        `Expected ${shapes.length} weight arrays for layerSizes [${this.layerSizes}] ` +
          `but found ${weights.length}`,
      );
    }
    shapes.forEach((shape, i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const w = weights[i]!;
      if (!(w instanceof Float32Array) || w.length !== size) {
        throw new RangeError(
          `Expected weight array ${i} to be a Float32Array of length ${size} (shape ` +
            `[${shape}]) but found length ${w?.length}`,
        );
      }
      for (let j = 0; j < w.length; j++) {
        if (!Number.isFinite(w[j]!)) {
          throw new RangeError(`Expected finite weights but found ${w[j]} in array ${i}`);
        }
      }
    });
  }

  #checkInput(x: tf.Tensor): void {
    this.#assertLive();
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new RangeError(
        `Expected input of shape [n, ${this.inputSize}] but found [${x.shape}]`,
      );
    }
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error("This Mlp has been disposed");
  }
}
