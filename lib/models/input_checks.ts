/**
 * The dynamics models' own boundary checks, on top of the shared `lib/validate.ts`: typed
 * input arrays of whole rows, a declared action space, and actions inside it. Each costs at
 * most one pass over its array per call.
 *
 * @module
 */
import type { Space } from "../envs/types.ts";
import { assertIndex, assertPositiveInt, describeValue } from "../validate.ts";

/**
 * Throws a `TypeError` unless `value` is a `Float32Array`.
 *
 * @example
 * ```ts
 * assertFloat32Array(new Float32Array(4), "states");
 * ```
 */
export function assertFloat32Array(value: unknown, name: string): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`Expected ${name} to be a Float32Array but found ${describeValue(value)}`);
  }
}

/**
 * The row count `n` of `states` `[n * stateDim]` and `actions` `[n * actionDim]`.
 * @throws {TypeError} when either is not a `Float32Array`, `states` does not hold whole
 *   rows, or `actions` has a different row count.
 *
 * @example
 * ```ts
 * rowCount(new Float32Array(8), new Float32Array(2), 4, 1); // 2
 * ```
 */
export function rowCount(
  states: Float32Array,
  actions: Float32Array,
  stateDim: number,
  actionDim: number,
): number {
  assertFloat32Array(states, "states");
  assertFloat32Array(actions, "actions");
  const n = states.length / stateDim;
  if (!Number.isInteger(n)) {
    throw new TypeError(
      `Expected states to hold whole rows of ${stateDim} but found length ${states.length}`,
    );
  }
  if (actions.length !== n * actionDim) {
    throw new TypeError(
      `Expected actions of length ${
        n * actionDim
      } (${n} rows x ${actionDim}) but found ${actions.length}`,
    );
  }
  return n;
}

/**
 * Checks `space` against `actionDim` at construction: a `Discrete` space needs
 * `actionDim` 1 (the index is fed as one number), a `Box` one `low`/`high` pair per action
 * dimension with `low <= high`.
 * @throws {TypeError} on an unknown kind or a size mismatch; {RangeError} on bad bounds.
 *
 * @example
 * ```ts
 * checkActionSpace({ kind: "discrete", n: 2 }, 1);
 * ```
 */
export function checkActionSpace(space: Space, actionDim: number): void {
  if (space?.kind === "discrete") {
    assertPositiveInt(space.n, "actionSpace.n");
    if (actionDim !== 1) {
      throw new TypeError(
        `Expected actionDim 1 for a Discrete action space but found ${actionDim}`,
      );
    }
    return;
  }
  if (space?.kind === "box") {
    if (space.low.length !== actionDim || space.high.length !== actionDim) {
      throw new TypeError(
        `Expected actionSpace.low and .high of length ${actionDim} (actionDim) but found ${space.low.length} and ${space.high.length}`,
      );
    }
    for (let j = 0; j < actionDim; j++) {
      if (!(space.low[j]! <= space.high[j]!)) {
        throw new RangeError(
          `Expected actionSpace.low[${j}] <= actionSpace.high[${j}] but found ${space.low[j]} and ${
            space.high[j]
          }`,
        );
      }
    }
    return;
  }
  throw new TypeError(
    `Expected actionSpace.kind to be "discrete" or "box" but found ${
      (space as { kind?: unknown })?.kind
    }`,
  );
}

/**
 * Throws a `RangeError` naming the first action that a `Discrete` space does not hold
 * (`Expected actions[4] to be an integer in [0, 2) but found 2`). `Box` actions are only
 * required to be finite (checked by the caller): planners may propose values outside the box
 * and the env clips them, so the model is allowed to see them.
 *
 * @example
 * ```ts
 * assertActionsInSpace(new Float32Array([0, 1, 1]), { kind: "discrete", n: 2 });
 * ```
 */
export function assertActionsInSpace(actions: ArrayLike<number>, space: Space | undefined): void {
  if (space?.kind !== "discrete") return;
  const n = space.n;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    // The message is built only for the offending entry.
    if (!(a >= 0 && a < n && Math.floor(a) === a)) assertIndex(a, `actions[${i}]`, n);
  }
}
