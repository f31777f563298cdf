/**
 * Scores batches of action sequences by rolling them out in a dynamics model.
 *
 * @module
 */
import type { EnvRules } from "../envs/types.ts";
import { BaseDynamicsModel } from "../models/mod.ts";
import type { DynamicsModel, Propagation } from "../models/types.ts";
import type { Rng } from "../rng.ts";
import type { ActionAdapter } from "./action_adapter.ts";
import {
  accumulateStep,
  type RolloutBatch,
  type RolloutSpec,
  rolloutStride,
  rolloutTotals,
  terminated,
} from "./rollout.ts";
import { assertFinite } from "../validate.ts";
import { assertInRange, assertPositiveInt } from "./validate.ts";

/** Where rewards and terminations of imagined steps come from. */
export type RuleSource = "env" | "model";

/** One planning slot's share of {@linkcode TrajectoryEvaluator.evaluateMany}. */
export interface EvaluationJob {
  /** Start state `[stateDim]`. */
  state: Float32Array;
  /** `n` sequences `[n * H * A]`. */
  sequences: Float32Array;
  /** Sequence count `n`. */
  n: number;
  /** The stream of this job's model noise and member choices. */
  rng: Rng;
}

/**
 * A learned value of states, the objective's terminal value (`ValueFunction` in
 * `lib/models/value_function.ts` is one; anything with this `predict` will do).
 */
export interface TerminalValueFunction {
  /** `V` of `n` states `[n * stateDim]`, `[n]`, in reward units. */
  predict(states: Float32Array, n: number): Float32Array;
}

/** Options of {@linkcode TrajectoryEvaluator.evaluateMany}. */
export interface EvaluateOptions {
  /**
   * Add the exploration bonus (`explorationBonus` times the ensemble's disagreement) to each
   * imagined step: for training episodes, never for evaluation. @default {false}
   */
  explore?: boolean;
}

/** Runs prepared rollouts somewhere else (the planning workers); see `plan_workers.ts`. */
export interface RolloutRunner {
  /** Whether this runner takes a batch of `rows` rows now (else the caller's thread runs it). */
  accepts(rows: number): boolean;
  /**
   * Fills `out [rows * rolloutStride(spec)]` with each row's objective (and terminal weight and
   * state), as {@linkcode rolloutTotals} would.
   */
  run(spec: RolloutSpec, batch: RolloutBatch, out: Float64Array): void;
}

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
  /**
   * The terminal value: each particle still alive after `H` steps adds
   * `discount^H * V(s_H)`; none when absent. @default {undefined}
   */
  valueFunction?: TerminalValueFunction;
  /**
   * Weight of the ensemble's epistemic disagreement (`epistemicDisagreement`) added to each
   * imagined step's reward when an evaluation asks to `explore`; 0 = off. Needs an ensemble
   * (several members and a `targetNormalizer`: a neural ensemble, or a wrapper such as
   * `TrueMeanModel` with `"expectation"` propagation). @default {0}
   */
  explorationBonus?: number;
  /** Stream for the model's sampling noise and member choice. */
  rng: Rng;
}

/**
 * Rolls `N` sequences `[N, H, A]` out from one state with `P` particles each, batched as
 * `N * P` model rows per time step, and returns each sequence's mean objective `[N]`:
 * `sum_t discount^t * alive_t * (reward_t + bonus * d_t - shaping(nextObs_t))
 * + discount^H * alive_H * V(s_H)`, where a particle stops collecting once an imagined next
 * observation is terminal (the terminating step's own reward counts, as in Gymnasium), `d_t`
 * is the ensemble's disagreement (only when asked to `explore`, with `explorationBonus`
 * > 0) and `V` the optional `valueFunction`.
 *
 * @example
 * ```ts
 * import { CartPoleEnv, cartPoleRules } from "../envs/cart_pole.ts";
 * import { Rng } from "../rng.ts";
 * import { makeActionAdapter } from "./action_adapter.ts";
 * import { TrueDynamicsModel } from "./true_dynamics_model.ts";
 * const model = new TrueDynamicsModel({ env: new CartPoleEnv() });
 * const adapter = makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" });
 * const evaluator = new TrajectoryEvaluator({
 *   model, horizon: 10, adapter, rules: cartPoleRules, rng: new Rng(0),
 * });
 * const sequences = Float32Array.from({ length: 1000 * 10 }, (_, j) => j % 2);
 * const scores = evaluator.evaluate(Float32Array.of(0, 0, 0.01, 0), sequences, 1000); // [1000]
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
  #value: TerminalValueFunction | undefined;
  #bonus: number;
  #rng: Rng;
  #runner: RolloutRunner | null = null;
  #modelEvaluations = 0;

  /**
   * @throws {RangeError} on a bad horizon, particle count, discount or bonus weight, missing
   *   rules, or a bonus without an ensemble; {TypeError} on a value function without `predict`.
   */
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
      valueFunction,
      explorationBonus = 0,
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
    assertFinite(explorationBonus, "explorationBonus");
    if (explorationBonus < 0) {
      throw new RangeError(
        `Expected explorationBonus to be a non-negative number but found ${explorationBonus}`,
      );
    }
    // What the bonus reads (rollout.ts): the members' disagreement, scaled by the target
    // normaliser's delta std; a wrapper such as TrueMeanModel passes both through.
    const hasNormalizer = (model as { targetNormalizer?: unknown }).targetNormalizer !== undefined;
    if (explorationBonus > 0 && !(model.numMembers > 1 && hasNormalizer)) {
      throw new RangeError(
        `Expected an ensemble dynamics model (several members, a target normaliser) for ` +
          `explorationBonus ${explorationBonus} but found a model with ${model.numMembers} member(s)`,
      );
    }
    if (
      explorationBonus > 0 && !(model instanceof BaseDynamicsModel) && propagation !== "expectation"
    ) {
      // Sampled rollouts of other models take a path without the bonus (#evaluateSampling).
      throw new RangeError(
        `Expected propagation "expectation" for explorationBonus with a model that is not a ` +
          `neural ensemble but found "${propagation}"`,
      );
    }
    if (valueFunction !== undefined && typeof valueFunction?.predict !== "function") {
      throw new TypeError("Expected valueFunction to have a predict(states, n) method");
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
    this.#value = valueFunction;
    this.#bonus = explorationBonus;
    this.#rng = rng;
  }

  /**
   * What this evaluator scores with, read from its state: propagation, discount, reward and
   * termination sources, the shaping weights (`null` when off), whether a terminal value is
   * added and the exploration bonus weight.
   */
  get settings(): {
    propagation: Propagation;
    discount: number;
    rewardSource: RuleSource;
    terminationSource: RuleSource;
    shaping: number[] | null;
    terminalValue: boolean;
    explorationBonus: number;
  } {
    return {
      propagation: this.#propagation,
      discount: this.#discount,
      rewardSource: this.#rewardSource,
      terminationSource: this.#terminationSource,
      shaping: this.#shaping === null ? null : Array.from(this.#shaping),
      terminalValue: this.#value !== undefined,
      explorationBonus: this.#bonus,
    };
  }

  /**
   * Imagined (state, action) steps scored so far: rows x horizon per call. Deterministic
   * rollouts predict fewer model rows than this (shared action prefixes once, terminated
   * rows not at all).
   */
  get modelEvaluations(): number {
    return this.#modelEvaluations;
  }

  /**
   * The mean objective of each of `n` sequences `[n * H * A]` from `state` `[stateDim]`, with
   * this evaluator's own stream. Sequences whose rollouts produce NaN score NaN (optimisers
   * treat that as worst).
   */
  evaluate(
    state: Float32Array,
    sequences: Float32Array,
    n: number,
    options: EvaluateOptions = {},
  ): Float32Array {
    return this.evaluateMany([{ state, sequences, n, rng: this.#rng }], options)[0]!;
  }

  /**
   * {@linkcode TrajectoryEvaluator.evaluate} for several jobs at once (one per planning slot),
   * each with its own start state and stream, rolled out together: `sum(n_k * P)` model rows
   * per time step (split into blocks and, with a {@linkcode RolloutRunner}, across threads).
   * Each job's scores equal what `evaluate` gives it alone with the same stream, for models
   * whose rows do not depend on each other (every model here).
   *
   * @throws {RangeError} when a state or a sequence batch has the wrong length.
   */
  evaluateMany(jobs: readonly EvaluationJob[], options: EvaluateOptions = {}): Float32Array[] {
    const bonusWeight = options.explore === true ? this.#bonus : 0;
    const model = this.#model;
    const d = model.stateDim;
    const H = this.horizon;
    const P = this.particles;
    const planDim = this.#adapter.planDim;
    let R = 0;
    for (const { state, sequences, n } of jobs) {
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
      R += n * P;
    }
    const stochastic = (model.probabilistic || model.numMembers > 1) &&
      this.#propagation !== "expectation";
    if (stochastic && !(model instanceof BaseDynamicsModel)) {
      // A model whose use of the stream is unknown: roll each job out with its own stream.
      // (No bonus here: the constructor refuses a bonus for such models unless "expectation".)
      return jobs.map((job) => this.#evaluateSampling(job));
    }
    // Start states and env actions of every row (job k, sequence i, particle p), step-major.
    const states = new Float32Array(R * d);
    const planned = new Float32Array(H * R * planDim);
    let row = 0;
    // Plain index loops: a subarray per (sequence, step) allocates ~100k views per call.
    for (const { state, sequences, n } of jobs) {
      for (let r = 0; r < n * P; r++) {
        for (let j = 0; j < d; j++) states[(row + r) * d + j] = state[j]!;
      }
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < H; t++) {
          const src = (i * H + t) * planDim;
          for (let p = 0; p < P; p++) {
            const dst = (t * R + row + i * P + p) * planDim;
            for (let c = 0; c < planDim; c++) planned[dst + c] = sequences[src + c]!;
          }
        }
      }
      row += n * P;
    }
    const batch: RolloutBatch = {
      rows: R,
      states,
      actions: this.#adapter.toEnv(planned, H * R),
    };
    if (stochastic) this.#drawRandomness(jobs, batch, model as BaseDynamicsModel);
    const spec: RolloutSpec = {
      stateDim: d,
      envDim: this.#adapter.envDim,
      horizon: H,
      discount: this.#discount,
      shaping: this.#shaping,
      rewardSource: this.#rewardSource,
      terminationSource: this.#terminationSource,
      call: stochastic ? "sample" : "predict",
      bonusWeight,
      terminal: this.#value !== undefined,
    };
    const stride = rolloutStride(spec);
    const raw = new Float64Array(R * stride);
    const runner = this.#runner;
    if (runner !== null && runner.accepts(R)) runner.run(spec, batch, raw);
    else rolloutTotals(model, this.#rules, spec, batch, { lo: 0, hi: R, out: raw });
    this.#modelEvaluations += R * H;
    const totals = stride === 1 ? raw : this.#withTerminalValues(raw, R, stride);
    row = 0;
    return jobs.map(({ n }) => {
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let p = 0; p < P; p++) s += totals[row + i * P + p]!;
        scores[i] = s / P;
      }
      row += n * P;
      return scores;
    });
  }

  /**
   * Runs {@linkcode TrajectoryEvaluator.evaluateMany}'s rollouts through `runner` (the
   * planning workers) from now on, or on this thread again with `null`.
   */
  useRunner(runner: RolloutRunner | null): void {
    this.#runner = runner;
  }

  /**
   * Draws from each job's stream what the rollout needs of it: for a probabilistic model first
   * one seed of the job's Gaussian noise for this call (the rows draw the noise themselves,
   * by blocks: `RolloutNoise`), then every member choice, step by step, in the order
   * `BaseDynamicsModel.sample` would draw them during the rollout.
   */
  #drawRandomness(
    jobs: readonly EvaluationJob[],
    batch: RolloutBatch,
    model: BaseDynamicsModel,
  ): void {
    const H = this.horizon;
    const P = this.particles;
    const R = batch.rows;
    const elites = model.elites.length;
    const tsinf = this.#propagation === "tsinf";
    const ensemble = elites > 1;
    const members = ensemble || tsinf ? new Int32Array(H * R) : undefined;
    const noise = model.probabilistic
      ? { seeds: new Int32Array(jobs.length), starts: new Int32Array(jobs.length + 1) }
      : undefined;
    let row = 0;
    jobs.forEach(({ n, rng }, k) => {
      const rows = n * P;
      if (noise !== undefined) {
        noise.seeds[k] = rng.nextSeed();
        noise.starts[k] = row;
        noise.starts[k + 1] = row + rows;
      }
      if (tsinf) {
        // One member per particle for the whole horizon, drawn before the rollout.
        for (let r = 0; r < rows; r++) members![row + r] = rng.int(model.numMembers);
        for (let t = 1; t < H; t++) {
          members!.copyWithin(t * R + row, row, row + rows);
        }
      } else if (ensemble) {
        for (let t = 0; t < H; t++) {
          for (let r = 0; r < rows; r++) members![t * R + row + r] = rng.int(elites);
        }
      }
      row += rows;
    });
    if (members !== undefined) batch.members = members;
    if (noise !== undefined) batch.noise = noise;
  }

  /**
   * Row objectives plus `weight * V(s_H)` from rows laid out as `rolloutStride` says: one
   * `predict` over the rows still alive; a row whose last state is not finite scores NaN.
   */
  #withTerminalValues(raw: Float64Array, rows: number, stride: number): Float64Array {
    const d = this.#model.stateDim;
    const totals = new Float64Array(rows);
    const live: number[] = [];
    for (let r = 0; r < rows; r++) {
      const o = r * stride;
      totals[r] = raw[o]!;
      if (raw[o + 1]! === 0) continue;
      let finite = true;
      for (let j = 0; j < d; j++) finite &&= Number.isFinite(raw[o + 2 + j]!);
      if (finite) live.push(r);
      else totals[r] = NaN;
    }
    if (live.length === 0) return totals;
    const states = new Float32Array(live.length * d);
    live.forEach((r, k) => {
      for (let j = 0; j < d; j++) states[k * d + j] = raw[r * stride + 2 + j]!;
    });
    const values = this.#value!.predict(states, live.length);
    live.forEach((r, k) => {
      totals[r] = totals[r]! + raw[r * stride + 1]! * values[k]!;
    });
    return totals;
  }

  /** One job rolled out with `model.sample` and the job's stream (models of unknown sampling). */
  #evaluateSampling(job: EvaluationJob): Float32Array {
    const { state, sequences, n, rng } = job;
    const model = this.#model;
    const d = model.stateDim;
    const H = this.horizon;
    const P = this.particles;
    const planDim = this.#adapter.planDim;
    const rows = n * P;
    let states: Float32Array = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) states.set(state, r * d);
    const alive = new Uint8Array(rows).fill(1);
    const total = new Float64Array(rows);
    const planned = new Float32Array(rows * planDim);
    let members: Int32Array | undefined;
    if (this.#propagation === "tsinf") {
      members = new Int32Array(rows);
      for (let r = 0; r < rows; r++) members[r] = rng.int(model.numMembers);
    }
    let weight = 1;
    for (let t = 0; t < H; t++) {
      for (let i = 0; i < n; i++) {
        const src = sequences.subarray((i * H + t) * planDim, (i * H + t + 1) * planDim);
        for (let p = 0; p < P; p++) planned.set(src, (i * P + p) * planDim);
      }
      const actions = this.#adapter.toEnv(planned, rows);
      const pred = model.sample(states, actions, {
        rng,
        propagation: this.#propagation,
        members,
      });
      this.#modelEvaluations += rows;
      const next = pred.mean;
      const reward = this.#rewardSource === "env"
        ? this.#rules!.reward(states, actions, next, rows)
        : pred.reward;
      const done = terminated(this.#terminationSource, this.#rules, pred, rows);
      accumulateStep(total, alive, {
        reward,
        next,
        done,
        weight,
        shaping: this.#shaping,
        d,
        n: rows,
      });
      states = next;
      weight *= this.#discount;
    }
    let totals: Float64Array = total;
    if (this.#value !== undefined) {
      // The rollout kernel's terminal layout: objective, terminal weight, last state.
      const stride = 2 + d;
      const raw = new Float64Array(rows * stride);
      for (let r = 0; r < rows; r++) {
        raw[r * stride] = total[r]!;
        raw[r * stride + 1] = alive[r] === 1 ? weight : 0;
        for (let j = 0; j < d; j++) raw[r * stride + 2 + j] = states[r * d + j]!;
      }
      totals = this.#withTerminalValues(raw, rows, stride);
    }
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = 0; p < P; p++) s += totals[i * P + p]!;
      scores[i] = s / P;
    }
    return scores;
  }
}
