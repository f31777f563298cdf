/**
 * Adam for hand-computed gradients, with optional weight decay and global gradient-norm
 * clipping, all on-device (no `dataSync` per step).
 *
 * Epsilon: tfjs's `tf.train.adam` defaults to 1e-7, PyTorch's `torch.optim.Adam` to 1e-8.
 * The default here is PyTorch's, since the reference settings we match (mbrl-lib, CleanRL,
 * RL Baselines3 Zoo) come from PyTorch; pass `epsilon` to match something else (CleanRL's
 * PPO uses 1e-5). The update follows PyTorch's form:
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** Step size. @default {1e-3} */
  learningRate?: number;
  /** First-moment decay. @default {0.9} */
  beta1?: number;
  /** Second-moment decay. @default {0.999} */
  beta2?: number;
  /** Added to the denominator (PyTorch's 1e-8; tfjs uses 1e-7). @default {1e-8} */
  epsilon?: number;
  /** Weight-decay coefficient; 0 disables it. @default {0} */
  weightDecay?: number;
  /**
   * `"decoupled"`: AdamW (Loshchilov & Hutter), `p -= lr * weightDecay * p` apart from the
   * adaptive step, as `torch.optim.AdamW`. `"l2"`: `weightDecay * p` added to the gradient
   * before the moments, as `torch.optim.Adam(weight_decay=...)` (what mbrl-lib uses).
   * @default {"decoupled"}
   */
  weightDecayMode?: "decoupled" | "l2";
  /**
   * Which variables decay (by index into `variables`); by default all of them, as PyTorch.
   * @default {all}
   */
  decayMask?: readonly boolean[];
  /** Rescale all gradients together so their global L2 norm is at most this; off when unset. */
  clipNorm?: number;
}

function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`Expected ${name} to be a positive number but found ${value}`);
  }
}

/**
 * Adam over a fixed list of `tf.Variable`s.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { setupBackend } from "../backend.ts";
 * import { Rng } from "../rng.ts";
 * import { Mlp } from "./mlp.ts";
 * await setupBackend();
 * const net = new Mlp({ layerSizes: [2, 8, 1], rng: new Rng(0) });
 * const opt = new Adam(net.variables, { learningRate: 3e-4, clipNorm: 10 });
 * const x = tf.tensor2d([[0, 1], [1, 0]]);
 * const y = tf.tensor2d([[1], [-1]]);
 * tf.tidy(() => opt.step(net.gradients(x, (out) => tf.losses.meanSquaredError(y, out)).grads));
 * opt.iterations; // 1
 * tf.dispose([x, y]);
 * opt.dispose();
 * net.dispose();
 * ```
 */
export class Adam {
  /** Step size; may be changed between steps (schedules). */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly weightDecayMode: "decoupled" | "l2";
  readonly clipNorm: number | undefined;
  #vars: tf.Variable[];
  #m: tf.Variable[];
  #v: tf.Variable[];
  #decay: boolean[];
  #t = 0;

  /**
   * @throws {RangeError} on non-positive rates, betas outside [0, 1), or a negative decay.
   */
  constructor(variables: readonly tf.Variable[], options: AdamOptions = {}) {
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.weightDecayMode = options.weightDecayMode ?? "decoupled";
    this.clipNorm = options.clipNorm;
    checkPositive("learningRate", this.learningRate);
    checkPositive("epsilon", this.epsilon);
    for (const [name, b] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) {
        throw new RangeError(`Expected ${name} to be in [0, 1) but found ${b}`);
      }
    }
    if (!(this.weightDecay >= 0)) {
      throw new RangeError(`Expected weightDecay to be >= 0 but found ${this.weightDecay}`);
    }
    if (this.clipNorm !== undefined) checkPositive("clipNorm", this.clipNorm);
    if (this.weightDecayMode !== "decoupled" && this.weightDecayMode !== "l2") {
      throw new TypeError(
        `Expected weightDecayMode to be "decoupled" or "l2" but found ${this.weightDecayMode}`,
      );
    }
    this.#vars = [...variables];
    this.#decay = this.#vars.map((_, i) => options.decayMask?.[i] ?? true);
    this.#m = tf.tidy(() => this.#vars.map((v) => tf.variable(tf.zerosLike(v), false)));
    this.#v = tf.tidy(() => this.#vars.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  /** Steps taken so far. */
  get iterations(): number {
    return this.#t;
  }

  /**
   * One update from `grads` (aligned with the variables). Does not dispose `grads`; may be
   * called inside or outside `tf.tidy`.
   * @throws {RangeError} when the gradient count or a shape does not match.
   */
  step(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.#vars.length) {
      throw new RangeError(
        `Expected ${this.#vars.length} gradients but found ${grads.length}`,
      );
    }
    this.#t += 1;
    const t = this.#t;
    tf.tidy(() => {
      let gs: tf.Tensor[] = grads as tf.Tensor[];
      if (this.clipNorm !== undefined) {
        const sq = tf.addN(gs.map((g) => tf.sum(tf.square(g))));
        const norm = tf.sqrt(sq);
        // scale = min(1, clip / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_
        const scale = tf.minimum(1, tf.div(this.clipNorm, tf.add(norm, 1e-6)));
        gs = gs.map((g) => tf.mul(g, scale));
      }
      const b1 = this.beta1;
      const b2 = this.beta2;
      const stepSize = this.learningRate / (1 - b1 ** t);
      const sqrtBc2 = Math.sqrt(1 - b2 ** t);
      for (let i = 0; i < this.#vars.length; i++) {
        const p = this.#vars[i]!;
        let g = gs[i]!;
        if (g.size !== p.size) {
          throw new RangeError(
            `Expected gradient ${i} of shape [${p.shape}] but found [${g.shape}]`,
          );
        }
        const decays = this.weightDecay > 0 && this.#decay[i]!;
        if (decays && this.weightDecayMode === "l2") g = tf.add(g, tf.mul(p, this.weightDecay));
        const m = tf.add(tf.mul(this.#m[i]!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.#v[i]!, b2), tf.mul(tf.square(g), 1 - b2));
        this.#m[i]!.assign(m);
        this.#v[i]!.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), this.epsilon);
        let next = tf.sub(p, tf.mul(tf.div(m, denom), stepSize));
        if (decays && this.weightDecayMode === "decoupled") {
          next = tf.sub(next, tf.mul(p, this.learningRate * this.weightDecay));
        }
        p.assign(next.reshape(p.shape));
      }
    });
  }

  /** Zeroes the moments and the step count. */
  reset(): void {
    this.#t = 0;
    tf.tidy(() => {
      for (const m of [...this.#m, ...this.#v]) m.assign(tf.zerosLike(m));
    });
  }

  /** Frees the moment estimates (not the variables being optimised). */
  dispose(): void {
    tf.dispose([...this.#m, ...this.#v]);
    this.#m = [];
    this.#v = [];
  }
}
