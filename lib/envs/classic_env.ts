/**
 * The machinery the five classic-control environments share: Gymnasium's `TimeLimit` and
 * `OrderEnforcing` wrappers, action validation against the action space, seeded resets and the
 * `getState`/`setState` hooks. Each environment subclass supplies only its physics.
 *
 * @module
 */
import { assertSeed, Rng } from "../rng.ts";
import {
  assertFinite,
  assertFiniteArray,
  assertLength,
  assertNonNegativeInt,
  describeValue,
} from "../validate.ts";
import type {
  BoxSpace,
  Env,
  EnvId,
  EnvRules,
  ResetOptions,
  ResetResult,
  Space,
  StepResult,
} from "./types.ts";

/** Options accepted by every environment's constructor and by `makeEnv`. */
export interface EnvOptions {
  /**
   * Seed of the env's reset stream ({@linkcode resetStream}), used by `reset()` calls that
   * pass no seed. Ignored when `rng` is given.
   * @default 0
   */
  seed?: number;
  /**
   * The stream resets draw from (e.g. `root.stream("env")`) when `reset()` gets no seed;
   * `reset({ seed })` replaces it with `resetStream(seed)`.
   * @default resetStream(options.seed ?? 0)
   */
  rng?: Rng;
}

/**
 * Thrown by `step` before the first `reset` or after an episode has ended (terminated or
 * truncated), like Gymnasium's `ResetNeeded`. It is a `TypeError` because calling `step` in
 * that state is a misuse of the API, as a wrong argument is.
 */
export class ResetNeededError extends TypeError {
  /** @param message what was called too early or too late */
  constructor(message: string) {
    super(message);
    this.name = "ResetNeededError";
  }
}

/**
 * The reset stream of a seed: `new Rng(seed).stream("reset")`. The named stream's hashed seed
 * matters: a bare `new Rng(seed)` for small seeds starts with draws near 1 that barely differ
 * between seeds (xoroshiro128+ seeded with a small integer needs a few outputs to mix).
 */
export function resetStream(seed: number): Rng {
  assertSeed(seed);
  return new Rng(seed).stream("reset");
}

/** Draws `n` uniform values in `[low, high)` as NumPy's `uniform(low, high)` does. */
export function uniformState(rng: Rng, n: number, low: number, high: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.uniformRange(low, high));
  return out;
}

/**
 * Reads Gymnasium's `low`/`high` reset options (`utils.maybe_parse_reset_bounds`): each
 * defaults to the env's own bound; a non-number bound is a `TypeError`, a non-finite one or
 * `low > high` a `RangeError`.
 */
export function resetBounds(
  options: ResetOptions,
  defaults: { low: number; high: number },
): { low: number; high: number } {
  const low = options.low ?? defaults.low;
  const high = options.high ?? defaults.high;
  assertFinite(low, "reset option low");
  assertFinite(high, "reset option high");
  if (low > high) {
    throw new RangeError(`Expected reset option low <= high but found low ${low} > high ${high}`);
  }
  return { low, high };
}

/**
 * Throws unless `n` is a non-negative integer (`RangeError`) and `batch` holds `n` rows of `dim` values (`TypeError`), for the batched rules. Values are not scanned:
 * the rules run in planners' inner loops, whose callers check their inputs once.
 */
export function assertBatch(name: string, batch: unknown, n: number, dim: number): void {
  assertNonNegativeInt(n, "n");
  if (batch === null || typeof batch !== "object" || !("length" in batch)) {
    throw new TypeError(`Expected ${name} to be a Float32Array but found ${describeValue(batch)}`);
  }
  if ((batch as ArrayLike<number>).length !== n * dim) {
    throw new TypeError(
      `Expected ${name} to have length ${n * dim} (${n} rows of ${dim}) but found length ${
        (batch as ArrayLike<number>).length
      }`,
    );
  }
}

/**
 * An env's batched rules with the batch shapes checked once here: `reward` sees
 * `observations` and `nextObservations` of `[n * observationDim]` and actions `[n * 1]`,
 * `terminated` sees `nextObservations` of `[n * observationDim]`; a wrong length
 * (`TypeError`) or a bad `n` (`RangeError`) throws before either runs.
 *
 * @example
 * ```ts
 * const rules = defineRules(2, {
 *   reward: (_obs, _actions, _next, n) => new Float32Array(n).fill(-1),
 *   terminated: (next, n) => new Uint8Array(n),
 * });
 * ```
 */
export function defineRules(
  observationDim: number,
  checked: Pick<EnvRules, "reward" | "terminated">,
): EnvRules {
  return Object.freeze({
    observationDim,
    reward(
      observations: Float32Array,
      actions: Float32Array,
      nextObservations: Float32Array,
      n: number,
    ): Float32Array {
      assertBatch("observations", observations, n, observationDim);
      assertBatch("actions", actions, n, 1);
      assertBatch("nextObservations", nextObservations, n, observationDim);
      return checked.reward(observations, actions, nextObservations, n);
    },
    terminated(nextObservations: Float32Array, n: number): Uint8Array {
      assertBatch("nextObservations", nextObservations, n, observationDim);
      return checked.terminated(nextObservations, n);
    },
  });
}

/** A Box space of float32 bounds (the values are rounded to float32 as Gymnasium stores them). */
export function float32Box(low: readonly number[], high: readonly number[]): BoxSpace {
  return Object.freeze({
    kind: "box",
    low: Object.freeze(low.map(Math.fround)),
    high: Object.freeze(high.map(Math.fround)),
    shape: Object.freeze([low.length]),
  });
}

/**
 * Base class of the classic-control environments: `TimeLimit` (truncated once the step count
 * since `reset` reaches `maxEpisodeSteps`, whether or not the step terminated), order
 * enforcement (no `step` before `reset` or after the episode ended), action checks and the
 * seeded reset stream. Subclasses implement the protected physics hooks.
 */
export abstract class ClassicControlEnv implements Env {
  /** The Gymnasium id. */
  abstract readonly id: EnvId;
  /** Observation space (float32 bounds). */
  abstract readonly observationSpace: BoxSpace;
  /** Action space: `Discrete(n)` or a float32 `Box` of shape `[1]`. */
  abstract readonly actionSpace: Space;
  /** The TimeLimit: 500, 200, 200, 999, 500. */
  abstract readonly maxEpisodeSteps: number;
  /** Length of the physical state returned by `getState`. */
  abstract readonly stateDim: number;

  #rng: Rng;
  #elapsed = 0;
  #needsReset = true;
  #hasState = false;

  /** @param options seed or stream for resets without a seed */
  constructor(options: EnvOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Expected env options to be an object but found ${describeValue(options)}`,
      );
    }
    if (options.rng !== undefined) {
      if (!(options.rng instanceof Rng)) {
        throw new TypeError(`Expected rng to be an Rng but found ${describeValue(options.rng)}`);
      }
      this.#rng = options.rng;
    } else {
      this.#rng = resetStream(options.seed ?? 0);
    }
  }

  /** Steps taken since the last `reset` (what the TimeLimit counts). */
  get elapsedSteps(): number {
    return this.#elapsed;
  }

  /** True before the first `reset` and after a step that terminated or truncated. */
  get needsReset(): boolean {
    return this.#needsReset;
  }

  /**
   * Starts an episode. With `seed`, the reset stream is replaced by `resetStream(seed)`, so the
   * same seed always gives the same start; without it the stream continues.
   */
  reset(options: ResetOptions = {}): ResetResult {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Expected reset options to be an object but found ${describeValue(options)}`,
      );
    }
    if (options.seed !== undefined) {
      this.#rng = resetStream(options.seed);
    }
    this.resetPhysics(this.#rng, options);
    this.#hasState = true;
    this.#elapsed = 0;
    this.#needsReset = false;
    return { observation: this.observe(), info: {} };
  }

  /**
   * Advances one step. Throws {@linkcode ResetNeededError} before `reset` or after the
   * episode ended, `TypeError` for an action of the wrong type (an array for a Discrete space,
   * a non-integer, a string), or a Box action of the wrong length, and `RangeError` for an
   * out-of-range Discrete action or a NaN or infinite Box action (also one beyond float32's
   * range, about 3.4e38, which the float32 space cannot hold). Finite Box actions outside
   * the space are clipped inside the physics, as Gymnasium's Pendulum-v1 and
   * MountainCarContinuous-v0 do.
   */
  step(action: number | number[] | Float32Array): StepResult {
    if (this.#needsReset) {
      throw new ResetNeededError(
        this.#hasState && this.#elapsed > 0
          ? `Cannot call step() on ${this.id} after the episode ended; call reset() first`
          : `Cannot call step() on ${this.id} before reset()`,
      );
    }
    const value = this.#parseAction(action);
    const { reward, terminated } = this.advance(value);
    this.#elapsed++;
    const truncated = this.#elapsed >= this.maxEpisodeSteps;
    if (terminated || truncated) this.#needsReset = true;
    return { observation: this.observe(), reward, terminated, truncated, info: {} };
  }

  /** The internal physical state, as Gymnasium's `env.unwrapped.state` (a fresh array). */
  getState(): number[] {
    if (!this.#hasState) {
      throw new ResetNeededError(
        `Cannot call getState() on ${this.id} before reset() or setState()`,
      );
    }
    return this.readState();
  }

  /**
   * Sets the physics only: the step count and whether the episode needs a reset are unchanged.
   * Throws a `TypeError` unless `state` is an array or typed array of `stateDim` numbers and a
   * `RangeError` naming the first non-finite one (`Expected state[2] to be finite but found
   * NaN`), also one that float32 observations cannot hold (beyond about 3.4e38).
   */
  setState(state: ArrayLike<number>): void {
    assertFiniteArray(state, "state", this.stateDim);
    for (let i = 0; i < state.length; i++) {
      // Observations are float32: a state they cannot hold would be observed as infinite.
      if (!Number.isFinite(Math.fround(state[i]!))) {
        throw new RangeError(`Expected state[${i}] to be finite in float32 but found ${state[i]}`);
      }
    }
    this.writeState(state);
    this.#hasState = true;
  }

  /** Draws the start state from `rng` (honouring the env's reset options). */
  protected abstract resetPhysics(rng: Rng, options: ResetOptions): void;
  /** One physics step with a validated action (an index, or the unclipped Box value). */
  protected abstract advance(action: number): { reward: number; terminated: boolean };
  /** The observation of the current state. */
  protected abstract observe(): Float32Array;
  /** A copy of the current state. */
  protected abstract readState(): number[];
  /** Replaces the state with validated values. */
  protected abstract writeState(state: ArrayLike<number>): void;

  #parseAction(action: unknown): number {
    const space = this.actionSpace;
    if (space.kind === "discrete") {
      if (typeof action !== "number" || !Number.isInteger(action)) {
        throw new TypeError(
          `Expected action of ${this.id} to be an integer in [0, ${space.n}) but found ${
            describeValue(action)
          }`,
        );
      }
      if (action < 0 || action >= space.n) {
        throw new RangeError(
          `Expected action of ${this.id} to be an integer in [0, ${space.n}) but found ${action}`,
        );
      }
      return action;
    }
    let value: unknown;
    if (typeof action === "number") {
      value = action;
    } else if (
      Array.isArray(action) || action instanceof Float32Array || action instanceof Float64Array
    ) {
      assertLength(action, `action of ${this.id}`, 1);
      value = action[0];
    } else {
      throw new TypeError(
        `Expected action of ${this.id} to be a number or a length-1 array but found ${
          describeValue(action)
        }`,
      );
    }
    if (typeof value !== "number") {
      throw new TypeError(
        `Expected action of ${this.id} to be a number but found ${describeValue(value)}`,
      );
    }
    assertFinite(value, `action of ${this.id}`);
    if (!Number.isFinite(Math.fround(value))) {
      // The Box's dtype is float32: Gymnasium's envs compute with the float32 value.
      throw new RangeError(
        `Expected action of ${this.id} to be finite in float32 but found ${value}`,
      );
    }
    return value;
  }
}
