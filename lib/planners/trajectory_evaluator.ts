/**
 * Scores batches of action sequences by rolling them out in a dynamics model.
 *
 * @module
 */
import type { EnvRules } from "../envs/types.ts";
import type { DynamicsModel, DynamicsPrediction, Propagation } from "../models/types.ts";
import type { Rng } from "../rng.ts";
import type { ActionAdapter } from "./action_adapter.ts";
import { assertInRange, assertPositiveInt } from "./validate.ts";

/** Where rewards and terminations of imagined steps come from. */
export type RuleSource = "env" | "model";

/** Options of {@linkcode TrajectoryEvaluator}. */
export interface TrajectoryEvaluatorOptions {
  /** The model rolled out (only `predict`/`sample` are used). */
  model: DynamicsModel;
  /** Planning horizon `H`. */
  horizon: number;
  /** Maps planned actions to the env encoding the model was trained on. */
  adapter: ActionAdapter;
  /**
   * The env's true reward and termination rules on observations. Required when
   * `rewardSource` or `terminationSource` is `"env"`.
   */
  rules?: EnvRules;
  /** `"env"`: the true reward of each imagined transition; `"model"`: the learned reward. @default {"env"} */
  rewardSource?: RuleSource;
  /**
   * `"env"`: the true termination rule on imagined next observations; `"model"`: the learned
   * termination probability > 0.5 (never terminates when the model has no termination head).
   * @default {"env"}
   */
  terminationSource?: RuleSource;
  /** Particles `P` per sequence; scores are averaged over them. @default {1} */
  particles?: number;
  /**
   * How particles use a stochastic model: `"ts1"`/`"tsinf"` sample (PETS), `"expectation"`
   * rolls out the predicted mean. Deterministic single models always use the mean.
   * @default {"ts1"}
   */
  propagation?: Propagation;
  /** Per-step discount of the summed objective. @default {1} */
  discount?: number;
  /** Quadratic shaping weights on next observations `[stateDim]`, or null for none. @default {null} */
  shaping?: Float32Array | null;
  /** Stream for the model's sampling noise and member choice. */
  rng: Rng;
}

/**
 * Rolls `N` sequences `[N, H, A]` out from one state with `P` particles each, batched as
 * `N * P` model rows per time step, and returns each sequence's mean objective `[N]`:
 * `sum_t discount^t * alive_t * (reward_t - shaping(nextObs_t))`, where a particle stops
 * collecting once an imagined next observation is terminal (the terminating step's own reward
 * counts, as in Gymnasium).
 *
 * @example
 * ```ts
 * const evaluator = new TrajectoryEvaluator({ model, horizon: 10, adapter, rules, rng });
 * const scores = evaluator.evaluate(obs, sequences, 1000); // Float32Array [1000]
 * ```
 */
export class TrajectoryEvaluator {
  /** Planning horizon `H`. */
  readonly horizon: number;
  /** Particles per sequence. */
  readonly particles: number;
  #model: DynamicsModel;
  #adapter: ActionAdapter;
  #rules: EnvRules | undefined;
  #rewardSource: RuleSource;
  #terminationSource: RuleSource;
  #propagation: Propagation;
  #discount: number;
  #shaping: Float32Array | null;
  #rng: Rng;
  #modelEvaluations = 0;

  /** @throws {RangeError} on a bad horizon, particle count or discount, or missing rules. */
  constructor(options: TrajectoryEvaluatorOptions) {
    const {
      model,
      horizon,
      adapter,
      rules,
      rewardSource = "env",
      terminationSource = "env",
      particles = 1,
      propagation = "ts1",
      discount = 1,
      shaping = null,
      rng,
    } = options;
    assertPositiveInt(horizon, "horizon");
    assertPositiveInt(particles, "particles");
    assertInRange(discount, "discount", { low: 0, high: 1, closed: true });
    if ((rewardSource === "env" || terminationSource === "env") && rules === undefined) {
      throw new RangeError(`Expected rules when rewardSource or terminationSource is "env"`);
    }
    if (!["ts1", "tsinf", "expectation"].includes(propagation)) {
      throw new RangeError(
        `Expected propagation to be "ts1", "tsinf" or "expectation" but found "${propagation}"`,
      );
    }
    if (shaping !== null && shaping.length !== model.stateDim) {
      throw new RangeError(
        `Expected shaping to have ${model.stateDim} entries but found ${shaping.length}`,
      );
    }
    if (adapter.envDim !== model.actionDim) {
      throw new RangeError(
        `Expected the model's actionDim (${model.actionDim}) to match the env's (${adapter.envDim})`,
      );
    }
    this.horizon = horizon;
    this.particles = particles;
    this.#model = model;
    this.#adapter = adapter;
    this.#rules = rules;
    this.#rewardSource = rewardSource;
    this.#terminationSource = terminationSource;
    this.#propagation = propagation;
    this.#discount = discount;
    this.#shaping = shaping;
    this.#rng = rng;
  }

  /**
   * What this evaluator scores with, read from its state: propagation, discount, reward and
   * termination sources, and the shaping weights (`null` when off).
   */
  get settings(): {
    propagation: Propagation;
    discount: number;
    rewardSource: RuleSource;
    terminationSource: RuleSource;
    shaping: number[] | null;
  } {
    return {
      propagation: this.#propagation,
      discount: this.#discount,
      rewardSource: this.#rewardSource,
      terminationSource: this.#terminationSource,
      shaping: this.#shaping === null ? null : Array.from(this.#shaping),
    };
  }

  /** Model rows evaluated so far (each row one (state, action) prediction). */
  get modelEvaluations(): number {
    return this.#modelEvaluations;
  }

  /**
   * The mean objective of each of `n` sequences `[n * H * A]` from `state` `[stateDim]`.
   * Sequences whose rollouts produce NaN score NaN (optimisers treat that as worst).
   */
  evaluate(state: Float32Array, sequences: Float32Array, n: number): Float32Array {
    const model = this.#model;
    const d = model.stateDim;
    const H = this.horizon;
    const P = this.particles;
    const planDim = this.#adapter.planDim;
    if (state.length !== d) {
      throw new RangeError(`Expected state to have ${d} entries but found ${state.length}`);
    }
    if (sequences.length !== n * H * planDim) {
      throw new RangeError(
        `Expected sequences to have length ${
          n * H * planDim
        } (${n} x ${H} x ${planDim}) but found ${sequences.length}`,
      );
    }
    const rows = n * P;
    let states: Float32Array = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) states.set(state, r * d);
    const alive = new Uint8Array(rows).fill(1);
    const total = new Float64Array(rows);
    const planned = new Float32Array(rows * planDim);
    const stochastic = (model.probabilistic || model.numMembers > 1) &&
      this.#propagation !== "expectation";
    let members: Int32Array | undefined;
    if (stochastic && this.#propagation === "tsinf") {
      members = new Int32Array(rows);
      for (let r = 0; r < rows; r++) members[r] = this.#rng.int(model.numMembers);
    }
    let weight = 1;
    for (let t = 0; t < H; t++) {
      for (let i = 0; i < n; i++) {
        const src = sequences.subarray((i * H + t) * planDim, (i * H + t + 1) * planDim);
        for (let p = 0; p < P; p++) planned.set(src, (i * P + p) * planDim);
      }
      const actions = this.#adapter.toEnv(planned, rows);
      const pred: DynamicsPrediction = stochastic
        ? model.sample(states, actions, {
          rng: this.#rng,
          propagation: this.#propagation,
          members,
        })
        : model.predict(states, actions);
      this.#modelEvaluations += rows;
      const next = pred.mean;
      const reward = this.#rewardSource === "env"
        ? this.#rules!.reward(states, actions, next, rows)
        : pred.reward;
      const done = this.#terminated(pred, rows);
      const shaping = this.#shaping;
      for (let r = 0; r < rows; r++) {
        if (alive[r] === 0) continue;
        let value = reward[r]!;
        if (shaping !== null) {
          for (let j = 0; j < d; j++) {
            const w = shaping[j]!;
            if (w !== 0) value -= w * next[r * d + j]! ** 2;
          }
        }
        total[r] = total[r]! + weight * value;
        if (done[r] === 1) alive[r] = 0;
      }
      states = next;
      weight *= this.#discount;
    }
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = 0; p < P; p++) s += total[i * P + p]!;
      scores[i] = s / P;
    }
    return scores;
  }

  #terminated(pred: DynamicsPrediction, rows: number): Uint8Array {
    if (this.#terminationSource === "env") return this.#rules!.terminated(pred.mean, rows);
    const out = new Uint8Array(rows);
    const prob = pred.terminationProb;
    if (prob !== undefined) { for (let r = 0; r < rows; r++) out[r] = prob[r]! > 0.5 ? 1 : 0; }
    return out;
  }
}
