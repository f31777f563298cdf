/**
 * A learned state value `V(s)`, the planner's terminal value: MPC scores an imagined
 * sequence by `sum_t discount^t r_t + discount^H V(s_H)`, so a short horizon still sees what
 * lies beyond it (CartPole's slow drift out of bounds, the mountain car's far-away flag).
 *
 * **The target, and why.** How the reference methods learn their terminal value:
 * TD-MPC (Hansen et al.) trains `Q(z, a)` by TD(0) over real transitions, with targets
 * `r + discount * Q_target(z', pi(z'))` from a slow (Polyak-averaged) copy of its networks;
 * LOOP (Sikchi et al.) uses an off-policy SAC critic, also TD(0) with a Polyak target, and
 * plans with `Q(s_H, pi(s_H))` as the terminal value; POLO (Lowrey et al.) fits an ensemble of
 * `V(s)` to n-step returns over the agent's real history, bootstrapped with the ensemble
 * (and aggregates it optimistically for exploration); mbrl-lib's MPC has no terminal value
 * (it sums rewards over the horizon, masked after a predicted termination). We have no actor,
 * so we learn `V` (all the planner needs at `s_H`) by **TD(0) fitted value evaluation over the
 * agent's real transitions** with a **Polyak-averaged target network** (as TD-MPC and LOOP):
 * each minibatch regresses `V(s)` on `r + discount * (1 - terminated) * V_target(s')`, then
 * `target <- targetTau * online + (1 - targetTau) * target`. Real transitions, not model
 * rollouts, so model errors do not compound into the value; one-step targets, so any batch of
 * transitions serves (no episode order needed, unlike POLO's n-step returns). Only
 * `terminated` stops bootstrapping: a time-limit truncation is not the end of the MDP.
 *
 * **What V then estimates:** the discounted value of the policy that collected the data, a mix
 * of the random warm-up play and the (exploring) MPC policy, not the optimal value. Used as a
 * terminal value it still helps: H-step lookahead over a model, ended by the value of a policy
 * that was at least as good as the data, is a policy-improvement step (the reasoning of LOOP
 * and POLO), and as the data shifts to MPC's own behaviour, V follows.
 *
 * Scale: the network learns `V / valueScale` (by default fixed at the first fit to
 * `mean|r| / (1 - discount)`, about the size of a return), so CartPole's ~100 and Pendulum's
 * ~-1000 both train at unit scale with the same learning rate. Inputs are states standardised
 * by a normaliser refitted (on states and next states) at every fit; the first layer of both
 * networks is re-expressed in the new normaliser, so a refit alone changes no prediction.
 *
 * Two options for sparse rewards (both off by default). **`lambda`** replaces the one-step
 * target by the TD(lambda) return over consecutive rows of the data (the buffer's
 * chronological order; a row continues into the next when its next state is that row's state
 * and neither flag is set), recomputed with the target network at every pass: TD(0) moves a
 * backup about one step per `1 / targetTau` gradient steps, so on Acrobot-v1 (the goal ~100
 * steps from the start) a fit of 500 steps carries the goal's value about 25 steps back; a
 * lambda-return carries it along a whole successful episode in one pass (TD-MPC2 and Dreamer
 * train their values on lambda-returns for the same reason). **`initialValue: "meanReward"`**
 * starts V at `mean(r) / (1 - discount)` (the first fit's rewards) instead of 0: with a constant
 * -1 per step (Acrobot, MountainCar) that is the exact value of every state of the data until a
 * goal is reached, so the targets agree with V everywhere but near a goal and V is flat where
 * nothing is known; started at 0, V falls towards -100 over many fits and is meanwhile uneven
 * by tens of reward units, which a planner then chases. (With lambda-returns and V started at
 * 0, states late in a time-limited episode would look near a goal, since they bootstrap on a
 * V that has not yet fallen.) **`optimisticTrace`** (with `lambda`) follows a row's
 * continuation only where it did better than the target network's value of the next state:
 * the plain lambda-return estimates the exploring policy's value, whose detours and failures
 * it averages in; in a deterministic env a return the data achieved is a lower bound on the
 * optimal value, so taking the better of the two moves V towards the best the data shows (the
 * lower bounds of Optimality Tightening, He et al. 2017; Self-Imitation Learning's
 * `max(R, V)`, Oh et al. 2018). The cost is optimism: V's own overestimates are no longer
 * pulled down by worse continuations, only by their one-step backups.
 *
 * **Value iteration on a model** (`fit`'s `successors`): all of the above estimate the value of
 * the policy that collected the data, which after a first goal is still mostly exploring.
 * Given every action's imagined successor of every stored state (from a dynamics model), the
 * target becomes the best one-step backup, `max_a (r_a + discount * (1 - terminated_a) *
 * V'(s'_a))`: fitted value iteration over the data's states (Dyna's planning on the model,
 * Sutton 1990; fitted value iteration, Munos and Szepesvari 2008), so V moves towards the
 * optimal value under the model rather than the behaviour's. Successor states are clamped into
 * the data's range like `predict`'s inputs and their values to V's bounds; the price is that
 * model errors now enter V (a one-step error per backup, on states the model was fitted near).
 *
 * Extrapolation: by default `predict` clamps each state component into the range of the last
 * fit's data. Imagined end states of a planner are often outside the data (that is where a
 * model's errors take them), and a ReLU network grows linearly there: measured on CartPole
 * after 600 random and MPC steps, `V(x = 2)` came out at 2,300-3,400 against 20-40 at the centre, and
 * the planner drove the cart out to collect it. Outputs are clamped to the bounds every
 * discounted return of the data's rewards obeys, and the output layer starts at zero (as
 * TD-MPC's value heads), so an unfitted or barely fitted V is 0, not `valueScale`-sized noise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TransitionBatch } from "../buffer/types.ts";
import { Adam } from "../nn/adam.ts";
import { type Activation, Mlp } from "../nn/mlp.ts";
import { Rng } from "../rng.ts";
import {
  assertFiniteArray,
  assertInRange,
  assertNonNegativeInt,
  assertPositive,
  assertPositiveInt,
} from "../validate.ts";
import { assertFloat32Array } from "./input_checks.ts";
import { Normalizer } from "./normalizer.ts";
import { reexpressInputLayer } from "./reexpress_input_layer.ts";
import { checkTransitionBatch } from "./training_data.ts";
import type { TransitionSource } from "./types.ts";

/** Options of {@linkcode ValueFunction}. */
export interface ValueFunctionOptions {
  /** Length of a state (observation) vector. */
  stateDim: number;
  /** Hidden layer widths. @default {[64, 64]} */
  hiddenSizes?: readonly number[];
  /** Hidden activation. @default {"relu"} */
  activation?: Activation;
  /** Per-step discount of the value, in [0, 1); use the planner's discount. @default {0.99} */
  discount?: number;
  /** Adam step size. @default {1e-3} */
  learningRate?: number;
  /**
   * Polyak rate of the target network per gradient step, in (0, 1]; 1 makes the target the
   * online network itself (no target network). TD-MPC uses 0.01 over millions of steps; here
   * a fit has hundreds, and a backup propagates about one step per `1 / targetTau` of them
   * (on 1,000 random CartPole transitions, 800 steps: mean V 2.7 at 0.01, 13.3 at 0.05, against
   * a Monte Carlo mean of 14.7). @default {0.05}
   */
  targetTau?: number;
  /**
   * The network learns `V / valueScale`. `"auto"` fixes it at the first fit to
   * `mean|r| / (1 - discount)` over that fit's rewards (1 when that is 0). @default {"auto"}
   */
  valueScale?: number | "auto";
  /** Global gradient-norm clip of each Adam step, or `null` for none. @default {null} */
  clipNorm?: number | null;
  /**
   * Clamp each state component into the range the last fit saw (its states and next
   * states) before predicting, so that V never extrapolates beyond its data (a ReLU network
   * grows linearly out there, and a planner would chase that). @default {true}
   */
  clipToData?: boolean;
  /**
   * Weight of longer returns in the target, in [0, 1]: 0 is TD(0); above 0 the target is the
   * TD(lambda) return over consecutive rows (see the module doc). @default {0}
   */
  lambda?: number;
  /**
   * Where V starts: `"zero"` (0 everywhere) or `"meanReward"` (`mean(r) / (1 - discount)` of
   * the first fit's rewards, everywhere). @default {"zero"}
   */
  initialValue?: "zero" | "meanReward";
  /**
   * With `lambda > 0`: follow a row's continuation only where it did better than the target
   * network's value of the next state (see the module doc). @default {false}
   */
  optimisticTrace?: boolean;
  /**
   * Networks whose mean is V, each with its own initial weights, minibatch order, target
   * network and optimiser, all regressed on targets from the mean of the target networks:
   * averaging members whose fitting noise differs (Deep Ensembles, Lakshminarayanan et al.
   * 2017) leaves less of it in V. (With one shared minibatch order the members' errors were
   * nearly the same, so averaging removed little: `tests/models/value_function_test.ts`.)
   * Costs `members` times one network's fit and prediction (`members^2` target passes a step
   * for TD(0), whose targets are per minibatch). @default {1}
   */
  members?: number;
  /**
   * Stream of the initial weights (`"init"`) and the minibatch order (`"fit"`); member `k > 0`
   * draws from `"init k"` and `"fit k"`. @default {new Rng(0)}
   */
  rng?: Rng;
}

/** What a {@linkcode ValueFunction} is, read back from its own objects. */
export interface ValueFunctionSettings {
  stateDim: number;
  /** From the network's layers. */
  hiddenSizes: number[];
  activation: Activation;
  discount: number;
  /** From the optimiser. */
  learningRate: number;
  targetTau: number;
  /** The scale in use; `null` while `"auto"` has not been fixed by a first fit. */
  valueScale: number | null;
  /** From the optimiser. */
  clipNorm: number | null;
  clipToData: boolean;
  lambda: number;
  initialValue: "zero" | "meanReward";
  optimisticTrace: boolean;
  /** Networks averaged (from the networks held). */
  members: number;
  /** Seed of the `rng` the function was built from. */
  seed: number;
}

/** Options of {@linkcode ValueFunction.fit}. */
export interface ValueFitOptions {
  /**
   * Passes over the data, each a fresh shuffle into minibatches (more when `minSteps` asks).
   * @default {20}
   */
  epochs?: number;
  /**
   * Fewest gradient steps per fit: small buffers get more passes, since a TD backup travels
   * about one step per `1 / targetTau` gradient steps whatever the data size (on CartPole,
   * 80 steps after warm-up left V at a tenth of its Monte Carlo mean). @default {500}
   */
  minSteps?: number;
  /** Minibatch size (the last minibatch of an epoch may be smaller). @default {64} */
  batchSize?: number;
  /** Called after each epoch with its mean squared TD error (value units squared). */
  onEpoch?: (row: { epoch: number; loss: number }) => void;
  /**
   * Imagined successors of every row's state (one per action, from a dynamics model): when
   * given, each row's target is the best one-step backup over them, `max_a (r_a + discount *
   * (1 - terminated_a) * V'(s'_a))` (value iteration on the model; `lambda` and the data's own
   * next states are then unused). See the module doc.
   */
  successors?: ValueSuccessors;
}

/**
 * The successors of {@linkcode ValueFitOptions.successors}: for row `i` of the fitted data
 * and its `a`-th successor (`a < perRow`), entry `i * perRow + a` of each array.
 */
export interface ValueSuccessors {
  /** Successors per row (e.g. every action of a Discrete space). */
  perRow: number;
  /** Next states `[n * perRow * stateDim]`. */
  states: Float32Array;
  /** Rewards `[n * perRow]`. */
  rewards: Float32Array;
  /** 1 where the successor is terminal (no bootstrap), `[n * perRow]`. */
  terminated: Uint8Array;
}

/** What one {@linkcode ValueFunction.fit} call did. */
export interface ValueFitReport {
  /** Epochs (passes over the data) run: `epochs`, or more to reach `minSteps`. */
  epochs: number;
  batchSize: number;
  /** Gradient steps taken (and target updates made). */
  steps: number;
  /** Transitions fitted on. */
  rows: number;
  /** Of which `terminated` (bootstrapping stops there; truncated rows still bootstrap). */
  terminatedRows: number;
  /** Mean squared TD error of the last epoch, in value units squared. */
  loss: number;
  /** The same per epoch, `[epochs]`. */
  history: number[];
  /** The scale the network's outputs are multiplied by. */
  valueScale: number;
  /**
   * What the targets were: `"td0"` and `"lambda"` from the data's own next states,
   * `"successors"` the best backup over the given successors.
   */
  targets: "td0" | "lambda" | "successors";
}

/** {@linkcode ValueSuccessors} in a fit's units: standardised states, scaled rewards. */
interface PreparedSuccessors {
  x: tf.Tensor2D;
  rewards: Float32Array;
  alive: Float32Array;
  perRow: number;
}

/** The mean of the networks' outputs on `x`, `[n, 1]` (one network: its own output). */
function meanForward(nets: readonly Mlp[], x: tf.Tensor2D): tf.Tensor2D {
  if (nets.length === 1) return nets[0]!.forward(x);
  return tf.div(tf.addN(nets.map((net) => net.forward(x))), nets.length) as tf.Tensor2D;
}

/** {@linkcode meanForward} read back, `[n]`. */
function tensorOutputs(nets: readonly Mlp[], x: tf.Tensor2D): Float32Array {
  const out = tf.tidy(() => meanForward(nets, x));
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

/** {@linkcode tensorOutputs} of `n` normalised rows `x` (`[n * d]`). */
function meanOutputs(nets: readonly Mlp[], x: Float32Array, n: number, d: number): Float32Array {
  const t = tf.tensor2d(x, [n, d]);
  try {
    return tensorOutputs(nets, t);
  } finally {
    t.dispose();
  }
}

function isSource(data: TransitionBatch | TransitionSource): data is TransitionSource {
  return typeof (data as TransitionSource).all === "function";
}

/**
 * Per row, 1 when it continues into the next row: neither flag set and the next row's state
 * equals this row's next state (a buffer's `all()` is chronological, episodes back to back).
 */
function continuations(batch: TransitionBatch): Uint8Array {
  const n = batch.size;
  const s = batch.stateDim;
  const out = new Uint8Array(n);
  for (let i = 0; i + 1 < n; i++) {
    if (batch.terminated[i] || batch.truncated[i]) continue;
    let same = true;
    for (let j = 0; j < s && same; j++) {
      same = batch.nextStates[i * s + j] === batch.states[(i + 1) * s + j];
    }
    out[i] = same ? 1 : 0;
  }
  return out;
}

/**
 * `V(s)`: a [64, 64] ReLU network on standardised states, fitted by TD(0) with a
 * Polyak-averaged target network over real transitions (see the module doc for why). Each
 * {@linkcode ValueFunction.fit} continues from the current weights (warm start). Until the
 * first fit, {@linkcode ValueFunction.predict} returns zeros, so planning with an unfitted
 * value is planning without one.
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * import { Rng } from "../rng.ts";
 * await setupBackend();
 * // One state that loops onto itself with reward 1: V = 1 / (1 - 0.5) = 2.
 * const n = 64;
 * const batch = {
 *   size: n, stateDim: 1, actionDim: 1,
 *   states: new Float32Array(n), actions: new Float32Array(n), nextStates: new Float32Array(n),
 *   rewards: new Float32Array(n).fill(1), terminated: new Uint8Array(n), truncated: new Uint8Array(n),
 * };
 * const value = new ValueFunction({
 *   stateDim: 1,
 *   discount: 0.5,
 *   targetTau: 0.2,
 *   learningRate: 1e-2,
 *   rng: new Rng(0),
 * });
 * const report = await value.fit(batch, { minSteps: 200 }); // 64 rows: one step a pass
 * report.steps; // 200
 * value.predict(new Float32Array([0]), 1)[0]; // about 2 (1.96)
 * value.dispose();
 * ```
 */
export class ValueFunction {
  /** Length of a state vector. */
  readonly stateDim: number;
  /** Member networks (V is their mean), their target networks and optimisers, `[members]`. */
  #online: Mlp[];
  #target: Mlp[];
  #adam: Adam[];
  #discount: number;
  #targetTau: number;
  #valueScale: number | null;
  #norm: Normalizer;
  #clip: boolean;
  #lambda: number;
  #initialValue: "zero" | "meanReward";
  #optimisticTrace: boolean;
  /** Per-component `[low, high]` of the last fit's states, `[2 * stateDim]`. */
  #range: Float32Array;
  /** The return bounds of the last fit's rewards: `[min(0, r_min), max(0, r_max)] / (1 - discount)`. */
  #bounds: [number, number] = [0, 0];
  /** Minibatch-order streams, one per member. */
  #fitRngs: Rng[];
  #seed: number;
  #fitted = false;
  #disposed = false;

  /**
   * @throws {RangeError} on a non-positive `stateDim` or hidden size, a `discount` outside
   *   [0, 1), a `targetTau` outside (0, 1], a non-positive `learningRate`, `valueScale` or
   *   `clipNorm`; {TypeError} on an unknown activation or a `valueScale` of another type.
   */
  constructor(options: ValueFunctionOptions) {
    const { stateDim } = options;
    assertPositiveInt(stateDim, "stateDim");
    const hidden = options.hiddenSizes ?? [64, 64];
    if (!Array.isArray(hidden)) {
      throw new TypeError(`Expected hiddenSizes to be an array but found ${String(hidden)}`);
    }
    hidden.forEach((h, i) => assertPositiveInt(h, `hiddenSizes[${i}]`));
    const discount = options.discount ?? 0.99;
    assertInRange(discount, "discount", { low: 0, high: 1 });
    const tau = options.targetTau ?? 0.05;
    assertInRange(tau, "targetTau", { low: 0, high: 1, lowOpen: true, closed: true });
    const scale = options.valueScale ?? "auto";
    if (scale !== "auto") {
      if (typeof scale !== "number") {
        throw new TypeError(
          `Expected valueScale to be a positive number or "auto" but found ${String(scale)}`,
        );
      }
      assertPositive(scale, "valueScale");
    }
    const clipNorm = options.clipNorm ?? null;
    if (clipNorm !== null) assertPositive(clipNorm, "clipNorm");
    const lambda = options.lambda ?? 0;
    assertInRange(lambda, "lambda", { low: 0, high: 1, closed: true });
    const initial = options.initialValue ?? "zero";
    if (initial !== "zero" && initial !== "meanReward") {
      throw new TypeError(
        `Expected initialValue to be "zero" or "meanReward" but found ${String(initial)}`,
      );
    }
    const optimistic = options.optimisticTrace ?? false;
    if (typeof optimistic !== "boolean") {
      throw new TypeError(
        `Expected optimisticTrace to be a boolean but found ${String(optimistic)}`,
      );
    }
    const members = options.members ?? 1;
    assertPositiveInt(members, "members");
    const rng = options.rng ?? new Rng(0);
    this.stateDim = stateDim;
    this.#discount = discount;
    this.#targetTau = tau;
    this.#valueScale = scale === "auto" ? null : scale;
    this.#seed = rng.seed;
    this.#online = Array.from({ length: members }, (_, k) =>
      new Mlp({
        layerSizes: [stateDim, ...hidden, 1],
        activation: options.activation ?? "relu",
        // A zero output layer, as TD-MPC's value heads: V starts at 0 everywhere, not at
        // +-valueScale noise that the bootstrapped targets would carry for hundreds of steps.
        // (The members still differ: their hidden layers start apart.)
        outputGain: 0,
        rng: rng.stream(k === 0 ? "init" : `init ${k}`),
      }));
    this.#target = this.#online.map((net) => net.clone());
    this.#adam = this.#online.map((net) =>
      new Adam(net.variables, {
        learningRate: options.learningRate ?? 1e-3,
        ...(clipNorm === null ? {} : { clipNorm }),
      })
    );
    this.#norm = Normalizer.identity(stateDim);
    this.#clip = options.clipToData ?? true;
    if (typeof this.#clip !== "boolean") {
      throw new TypeError(`Expected clipToData to be a boolean but found ${String(this.#clip)}`);
    }
    this.#range = new Float32Array(2 * stateDim);
    this.#fitRngs = this.#online.map((_, k) => rng.stream(k === 0 ? "fit" : `fit ${k}`));
    this.#lambda = lambda;
    this.#initialValue = initial;
    this.#optimisticTrace = optimistic;
  }

  /** What this value function is: network shape from its layers, rates from its optimiser. */
  get settings(): ValueFunctionSettings {
    this.#assertLive();
    return {
      stateDim: this.stateDim,
      hiddenSizes: this.#online[0]!.layerSizes.slice(1, -1),
      activation: this.#online[0]!.activation,
      discount: this.#discount,
      learningRate: this.#adam[0]!.learningRate,
      targetTau: this.#targetTau,
      valueScale: this.#valueScale,
      clipNorm: this.#adam[0]!.clipNorm ?? null,
      clipToData: this.#clip,
      lambda: this.#lambda,
      initialValue: this.#initialValue,
      optimisticTrace: this.#optimisticTrace,
      members: this.#online.length,
      seed: this.#seed,
    };
  }

  /** True once {@linkcode ValueFunction.fit} has run. */
  get isFitted(): boolean {
    return this.#fitted;
  }

  /** The input normaliser of the last fit (the identity before). */
  get inputNormalizer(): Normalizer {
    return this.#norm;
  }

  /**
   * Fits `V` by TD(0) to the transitions (a batch, or a buffer's `all()`): `epochs` shuffled
   * passes (at least `minSteps` steps) of minibatch Adam steps on `(V(s) - y)^2` with
   * `y = r + discount * (1 - terminated) * V_target(s')`, each step followed by the Polyak
   * update of the target network. Continues from the current weights. The normaliser is
   * refitted first (see the module doc); `"auto"` fixes `valueScale` on the first call.
   *
   * Cost: `max(epochs * ceil(rows / batchSize), minSteps)` steps (rounded up to whole passes),
   * each per member, of three [64, 64] passes of `batchSize` rows (target forward, online forward and
   * backward): 3-5 ms each here, so the defaults take 2-3 s up to 1,600 rows, then grow
   * with the data (20 passes of 10,000 rows: ~3,100 steps).
   *
   * @throws {TypeError} on a batch of another `stateDim` or with arrays too short;
   *   {RangeError} on an empty batch, a non-finite value or bad options.
   */
  async fit(
    data: TransitionBatch | TransitionSource,
    options: ValueFitOptions = {},
  ): Promise<ValueFitReport> {
    this.#assertLive();
    const batch = isSource(data) ? data.all() : data;
    if (!batch || typeof batch.actionDim !== "number") {
      throw new TypeError("Expected a TransitionBatch or a buffer with all()");
    }
    checkTransitionBatch(batch, this.stateDim, batch.actionDim, undefined);
    const batchSize = options.batchSize ?? 64;
    const minSteps = options.minSteps ?? 500;
    assertPositiveInt(options.epochs ?? 20, "epochs");
    assertPositiveInt(batchSize, "batchSize");
    assertNonNegativeInt(minSteps, "minSteps");
    const n = batch.size;
    const perEpoch = Math.ceil(n / batchSize);
    const epochs = Math.max(options.epochs ?? 20, Math.ceil(minSteps / perEpoch));
    const s = this.stateDim;
    const states = batch.states.subarray(0, n * s);
    const nextStates = batch.nextStates.subarray(0, n * s);
    const both = new Float32Array(2 * n * s);
    both.set(states);
    both.set(nextStates, n * s);
    this.#renormalize(Normalizer.fit(both, s));
    for (let j = 0; j < s; j++) {
      let low = Infinity;
      let high = -Infinity;
      for (let i = j; i < both.length; i += s) {
        const v = both[i]!;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      this.#range[2 * j] = low;
      this.#range[2 * j + 1] = high;
    }
    const rewards = batch.rewards.subarray(0, n);
    let rMin = 0;
    let rMax = 0;
    for (let i = 0; i < n; i++) {
      if (rewards[i]! < rMin) rMin = rewards[i]!;
      if (rewards[i]! > rMax) rMax = rewards[i]!;
    }
    this.#bounds = [rMin / (1 - this.#discount), rMax / (1 - this.#discount)];
    const scale = this.#valueScale ?? this.#autoScale(rewards);
    this.#valueScale = scale;
    if (!this.#fitted && this.#initialValue === "meanReward") this.#startAtMeanReward(rewards);
    const scaledRewards = new Float32Array(n);
    const alive = new Float32Array(n);
    let terminatedRows = 0;
    for (let i = 0; i < n; i++) {
      scaledRewards[i] = batch.rewards[i]! / scale;
      alive[i] = batch.terminated[i] ? 0 : 1;
      if (batch.terminated[i]) terminatedRows++;
    }
    const [x, xNext, r, a] = tf.tidy(() => [
      tf.tensor2d(this.#norm.normalize(states), [n, s]),
      tf.tensor2d(this.#norm.normalize(nextStates), [n, s]),
      tf.tensor2d(scaledRewards, [n, 1]),
      tf.tensor2d(alive, [n, 1]),
    ]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const orders = this.#online.map(() => Int32Array.from({ length: n }, (_, i) => i));
    const history: number[] = [];
    let steps = 0;
    const continues = this.#lambda > 0 && options.successors === undefined
      ? continuations(batch)
      : null;
    let y: tf.Tensor2D | null = null;
    let successors: PreparedSuccessors | null = null;
    try {
      if (options.successors !== undefined) {
        successors = this.#prepareSuccessors(options.successors, n, scale);
      }
      for (let epoch = 1; epoch <= epochs; epoch++) {
        orders.forEach((order, k) => this.#fitRngs[k]!.shuffle(order));
        if (successors !== null) {
          y?.dispose();
          y = this.#backupTargets(successors);
        } else if (continues !== null) {
          y?.dispose();
          y = this.#lambdaTargets(xNext, scaledRewards, alive, continues);
        }
        const sums: tf.Scalar[] = [];
        for (let lo = 0; lo < n; lo += batchSize) {
          const hi = Math.min(n, lo + batchSize);
          orders.forEach((order, k) => {
            const idx = order.subarray(lo, hi);
            sums.push(
              y === null ? this.#step(k, idx, x, xNext, r, a) : this.#stepTo(k, idx, x, y!),
            );
          });
          steps++;
          // Yield to the event loop now and then so timers and workers are not starved.
          if (steps % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        const sum = tf.tidy(() => tf.addN(sums).dataSync()[0]!);
        tf.dispose(sums);
        // Mean over rows and members (one member: over rows).
        const loss = (sum / (n * orders.length)) * scale * scale;
        if (!Number.isFinite(loss)) {
          throw new Error(
            `Value loss became ${loss} at epoch ${epoch} (check the reward scale, ` +
              `learningRate or clipNorm)`,
          );
        }
        history.push(loss);
        options.onEpoch?.({ epoch, loss });
      }
    } finally {
      tf.dispose([x, xNext, r, a]);
      successors?.x.dispose();
      y?.dispose();
    }
    this.#fitted = true;
    return {
      epochs,
      batchSize,
      steps,
      rows: n,
      terminatedRows,
      loss: history[history.length - 1]!,
      history,
      valueScale: scale,
      targets: successors !== null ? "successors" : continues !== null ? "lambda" : "td0",
    };
  }

  /**
   * `V` of `n` states (`[n * stateDim]`), `[n]`, in reward units; zeros before the first fit.
   * Clamped to the bounds any discounted return of the last fit's rewards obeys,
   * `[min(0, r_min), max(0, r_max)] / (1 - discount)` (0 included: an episode may end), and,
   * with `clipToData`, evaluated at the state clamped into the data's range.
   * @throws {TypeError} when `states` is not a `Float32Array` of `n * stateDim` values;
   *   {RangeError} on a negative or fractional `n` or a non-finite state.
   */
  predict(states: Float32Array, n: number): Float32Array {
    this.#assertLive();
    assertNonNegativeInt(n, "n");
    assertFloat32Array(states, "states");
    if (states.length !== n * this.stateDim) {
      throw new TypeError(
        `Expected states of length ${n * this.stateDim} (${n} rows x ${this.stateDim}) ` +
          `but found ${states.length}`,
      );
    }
    assertFiniteArray(states, "states");
    if (!this.#fitted || n === 0) return new Float32Array(n);
    const x = this.#norm.normalize(this.#clip ? this.#clamped(states) : states);
    const values = meanOutputs(this.#online, x, n, this.stateDim);
    const scale = this.#valueScale!;
    const [low, high] = this.#bounds;
    const result = new Float32Array(n);
    for (let i = 0; i < n; i++) result[i] = Math.min(high, Math.max(low, values[i]! * scale));
    return result;
  }

  /** Frees both networks and the optimiser. Later calls throw. */
  dispose(): void {
    if (this.#disposed) return;
    for (const net of [...this.#online, ...this.#target]) net.dispose();
    for (const adam of this.#adam) adam.dispose();
    this.#disposed = true;
  }

  /**
   * One Adam step of a member on a minibatch (its targets from the mean of the target
   * networks) and its target update; returns the summed squared TD error.
   */
  #step(
    member: number,
    rows: Int32Array,
    x: tf.Tensor2D,
    xNext: tf.Tensor2D,
    r: tf.Tensor2D,
    alive: tf.Tensor2D,
  ): tf.Scalar {
    return tf.tidy(() => {
      const idx = tf.tensor1d(rows, "int32");
      const xb = tf.gather(x, idx) as tf.Tensor2D;
      const vNext = meanForward(this.#target, tf.gather(xNext, idx) as tf.Tensor2D);
      const y = tf.add(
        tf.gather(r, idx),
        tf.mul(tf.mul(tf.gather(alive, idx), vNext), this.#discount),
      );
      return this.#regress(member, xb, y as tf.Tensor2D);
    });
  }

  /** One Adam step of a member towards fixed targets `y`; the summed squared error. */
  #stepTo(member: number, rows: Int32Array, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const idx = tf.tensor1d(rows, "int32");
      return this.#regress(
        member,
        tf.gather(x, idx) as tf.Tensor2D,
        tf.gather(y, idx) as tf.Tensor2D,
      );
    });
  }

  /**
   * The shared part of both steps, inside their tidy: one Adam step of a member network on
   * the squared error to targets `y` for inputs `xb` (`[n, 1]` and `[n, d]`), then the Polyak
   * update of its target network; the summed squared error.
   */
  #regress(member: number, xb: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    const tau = this.#targetTau;
    const net = this.#online[member]!;
    const { output, cache } = net.forwardWithCache(xb);
    const diff = tf.sub(output, y) as tf.Tensor2D;
    const grads = net.backward(cache, tf.mul(diff, 2 / xb.shape[0]) as tf.Tensor2D);
    this.#adam[member]!.step(grads);
    const online = net.variables;
    this.#target[member]!.variables.forEach((v, i) => {
      v.assign(
        tau === 1 ? tf.clone(online[i]!) : tf.add(tf.mul(online[i]!, tau), tf.mul(v, 1 - tau)),
      );
    });
    return tf.sum(tf.square(diff)) as tf.Scalar;
  }

  /**
   * The TD(lambda) returns of every row, in scaled units, `[n, 1]`, from the target network's
   * values of the next states: `G_i = r_i + discount * alive_i * ((1 - lambda) V'(s'_i) +
   * lambda G_{i+1})` where row i continues into row i + 1, else `r_i + discount * alive_i *
   * V'(s'_i)` (computed backwards, in float64); with `optimisticTrace`, `G_{i+1}` is replaced
   * by `max(G_{i+1}, V'(s'_i))`.
   */
  #lambdaTargets(
    xNext: tf.Tensor2D,
    rewards: Float32Array,
    alive: Float32Array,
    continues: Uint8Array,
  ): tf.Tensor2D {
    const vNext = tensorOutputs(this.#target, xNext);
    const n = rewards.length;
    const lambda = this.#lambda;
    const g = this.#discount;
    const optimistic = this.#optimisticTrace;
    const targets = new Float32Array(n);
    let next = 0;
    for (let i = n - 1; i >= 0; i--) {
      const v = vNext[i]!;
      const follow = optimistic && next < v ? v : next;
      const boot = continues[i] ? (1 - lambda) * v + lambda * follow : v;
      next = rewards[i]! + g * alive[i]! * boot;
      targets[i] = next;
    }
    return tf.tensor2d(targets, [n, 1]);
  }

  /**
   * Checks `successors` against `n` rows and moves them into the fit's units: states clamped
   * into the data's range (with `clipToData`) and standardised, rewards scaled, `alive` flags.
   */
  #prepareSuccessors(
    successors: ValueSuccessors,
    n: number,
    scale: number,
  ): PreparedSuccessors {
    const { perRow, states, rewards, terminated } = successors;
    assertPositiveInt(perRow, "successors.perRow");
    const m = n * perRow;
    const s = this.stateDim;
    assertFloat32Array(states, "successors.states");
    assertFloat32Array(rewards, "successors.rewards");
    if (!(terminated instanceof Uint8Array)) {
      throw new TypeError("Expected successors.terminated to be a Uint8Array");
    }
    if (states.length !== m * s || rewards.length !== m || terminated.length !== m) {
      throw new TypeError(
        `Expected successors of ${n} rows x ${perRow} (states ${m * s}, rewards and ` +
          `terminated ${m}) but found ${states.length}, ${rewards.length}, ${terminated.length}`,
      );
    }
    assertFiniteArray(states, "successors.states");
    assertFiniteArray(rewards, "successors.rewards");
    const x = tf.tensor2d(
      this.#norm.normalize(this.#clip ? this.#clamped(states) : states),
      [m, s],
    );
    const scaled = new Float32Array(m);
    const alive = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      scaled[i] = rewards[i]! / scale;
      alive[i] = terminated[i] ? 0 : 1;
    }
    return { x, rewards: scaled, alive, perRow };
  }

  /**
   * One value-iteration backup of every row, in scaled units, `[n, 1]`: the best successor's
   * `r + discount * alive * V'(s')` by the target network, each clamped to V's bounds (a
   * successor outside the data must not hand its row an impossible value).
   */
  #backupTargets(successors: PreparedSuccessors): tf.Tensor2D {
    const v = tensorOutputs(this.#target, successors.x);
    const { rewards, alive, perRow } = successors;
    const n = rewards.length / perRow;
    const g = this.#discount;
    const scale = this.#valueScale!;
    const low = this.#bounds[0] / scale;
    const high = this.#bounds[1] / scale;
    const targets = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let k = i * perRow; k < (i + 1) * perRow; k++) {
        const boot = Math.min(high, Math.max(low, v[k]!));
        const value = rewards[k]! + g * alive[k]! * boot;
        if (value > best) best = value;
      }
      targets[i] = best;
    }
    return tf.tensor2d(targets, [n, 1]);
  }

  /** Sets both networks' output bias to `mean(r) / (1 - discount)`, in scaled units. */
  #startAtMeanReward(rewards: Float32Array): void {
    let sum = 0;
    for (let i = 0; i < rewards.length; i++) sum += rewards[i]!;
    const start = sum / rewards.length / (1 - this.#discount) / this.#valueScale!;
    for (const net of [...this.#online, ...this.#target]) {
      const weights = net.getWeights();
      weights[weights.length - 1]!.fill(start);
      net.setWeights(weights);
    }
  }

  /** A copy of `states` with each component clamped into the last fit's range. */
  #clamped(states: Float32Array): Float32Array {
    const s = this.stateDim;
    const range = this.#range;
    const out = new Float32Array(states.length);
    for (let i = 0; i < states.length; i++) {
      const j = i % s;
      const v = states[i]!;
      const low = range[2 * j]!;
      const high = range[2 * j + 1]!;
      out[i] = v < low ? low : v > high ? high : v;
    }
    return out;
  }

  /** `mean|r| / (1 - discount)`, or 1 when that is 0. */
  #autoScale(rewards: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < rewards.length; i++) sum += Math.abs(rewards[i]!);
    const scale = sum / rewards.length / (1 - this.#discount);
    return scale > 0 && Number.isFinite(scale) ? scale : 1;
  }

  /** Switches to `next`, re-expressing both networks' first layer so their outputs stay. */
  #renormalize(next: Normalizer): void {
    const old = this.#norm;
    this.#norm = next;
    if (!this.#fitted) return;
    for (const net of [...this.#online, ...this.#target]) {
      const weights = net.getWeights();
      reexpressInputLayer(weights[0]!, weights[1]!, old, next);
      net.setWeights(weights);
    }
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error("This value function has been disposed");
  }
}
