/**
 * The house-style argument checks every layer uses at its public boundaries.
 *
 * Each check takes `(value, name, ...)`, in that order, and throws:
 * - a `TypeError` when the value has the wrong type or length (a string for a number, an
 *   array of 3 where 4 are needed);
 * - a `RangeError` when it has the right type but a bad value (NaN, 0 for a positive integer,
 *   an index out of range).
 *
 * Messages name the argument, what is allowed and what was found, e.g.
 * `Expected horizon to be a positive integer but found 0` or
 * `Expected state[2] to be finite but found NaN`.
 *
 * The checks are cheap: scalars cost a comparison or two, arrays one pass (typed arrays one
 * summing pass, a second only to find the index once the sum is not finite).
 *
 * @module
 */

/**
 * A short, readable rendering of a found value for error messages: strings quoted, arrays
 * listed (the first few items), typed arrays by type and length, objects by constructor.
 *
 * @example
 * ```ts
 * describeValue("CartPol-v1"); // "\"CartPol-v1\""
 * describeValue(new Float32Array(3)); // "Float32Array of length 3"
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map((item) =>
      typeof item === "string" ? JSON.stringify(item) : String(item)
    );
    return `[${head.join(", ")}${value.length > 8 ? ", ..." : ""}]`;
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name} of length ${length}`;
  }
  if (value !== null && typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  return String(value);
}

function fail(kind: "type" | "range", name: string, what: string, value: unknown): never {
  const message = `Expected ${name} to be ${what} but found ${describeValue(value)}`;
  throw kind === "type" ? new TypeError(message) : new RangeError(message);
}

/**
 * Throws unless `value` is a positive safe integer (1, 2, ...): a `TypeError` for a
 * non-number, a `RangeError` for any other number (0, -1, 1.5, NaN, Infinity).
 *
 * @example
 * ```ts
 * assertPositiveInt(15, "horizon"); // passes
 * // assertPositiveInt(0, "horizon") throws
 * // RangeError: Expected horizon to be a positive integer but found 0
 * ```
 */
export function assertPositiveInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number") fail("type", name, "a positive integer", value);
  if (!Number.isSafeInteger(value) || value <= 0) fail("range", name, "a positive integer", value);
}

/**
 * Throws unless `value` is a non-negative safe integer (0, 1, ...): `TypeError` for a
 * non-number, `RangeError` for other numbers.
 *
 * @example
 * ```ts
 * assertNonNegativeInt(0, "warmup"); // passes
 * ```
 */
export function assertNonNegativeInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number") fail("type", name, "a non-negative integer", value);
  if (!Number.isSafeInteger(value) || value < 0) {
    fail("range", name, "a non-negative integer", value);
  }
}

/**
 * Throws unless `value` is a finite number: `TypeError` for a non-number, `RangeError` for
 * NaN or an infinity.
 *
 * @example
 * ```ts
 * assertFinite(-0.5, "reward"); // passes
 * // assertFinite(NaN, "reward") throws RangeError: Expected reward to be finite but found NaN
 * ```
 */
export function assertFinite(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number") fail("type", name, "a finite number", value);
  if (!Number.isFinite(value)) fail("range", name, "finite", value);
}

/**
 * Throws unless `value` is a finite number greater than 0: `TypeError` for a non-number,
 * `RangeError` otherwise.
 *
 * @example
 * ```ts
 * assertPositive(3e-4, "learningRate"); // passes
 * ```
 */
export function assertPositive(value: unknown, name: string): asserts value is number {
  if (typeof value !== "number") fail("type", name, "a positive number", value);
  if (!Number.isFinite(value) || value <= 0) fail("range", name, "a positive number", value);
}

/** The interval of {@linkcode assertInRange}. */
export interface Range {
  /** Lower bound, included unless `lowOpen`. */
  low: number;
  /** Upper bound, excluded unless `closed`. */
  high: number;
  /** Include `high`: `[low, high]` instead of `[low, high)`. @default {false} */
  closed?: boolean;
  /** Exclude `low`: `(low, ...` instead of `[low, ...`. @default {false} */
  lowOpen?: boolean;
}

/**
 * Throws unless `value` is a finite number in the interval: `[low, high)` by default,
 * `[low, high]` with `closed`, `(low, ...` with `lowOpen`. `TypeError` for a non-number,
 * `RangeError` for NaN, infinities and values outside.
 *
 * @example
 * ```ts
 * assertInRange(0.2, "validationFraction", { low: 0, high: 1 }); // [0, 1): passes
 * assertInRange(1, "beta", { low: 0, high: 1, closed: true }); // [0, 1]: passes
 * // assertInRange(1, "level", { low: 0, high: 1, lowOpen: true }) throws
 * // RangeError: Expected level to be in (0, 1) but found 1
 * ```
 */
export function assertInRange(value: unknown, name: string, range: Range): asserts value is number {
  const { low, high, closed = false, lowOpen = false } = range;
  const what = `in ${lowOpen ? "(" : "["}${low}, ${high}${closed ? "]" : ")"}`;
  if (typeof value !== "number") fail("type", name, `a number ${what}`, value);
  const aboveLow = lowOpen ? value > low : value >= low;
  const belowHigh = closed ? value <= high : value < high;
  if (!(Number.isFinite(value) && aboveLow && belowHigh)) fail("range", name, what, value);
}

/**
 * Throws unless `value` is an integer in `[0, n)` (a `Discrete(n)` action, a slot, a class):
 * `TypeError` for a non-number, `RangeError` for a non-integer or an index outside.
 *
 * @example
 * ```ts
 * assertIndex(1, "action", 2); // passes
 * // assertIndex(2, "action", 2) throws
 * // RangeError: Expected action to be an integer in [0, 2) but found 2
 * ```
 */
export function assertIndex(value: unknown, name: string, n: number): asserts value is number {
  const what = `an integer in [0, ${n})`;
  if (typeof value !== "number") fail("type", name, what, value);
  if (!(Number.isInteger(value) && value >= 0 && value < n)) fail("range", name, what, value);
}

/**
 * Throws unless `value` is one of `allowed` (compared with `===`): a `TypeError` when its
 * type matches none of theirs, a `RangeError` otherwise. The message lists what is allowed:
 * `Expected envId to be one of CartPole-v1, Pendulum-v1 but found "CartPol-v1"`.
 *
 * @example
 * ```ts
 * const kind: string = "cem";
 * assertOneOf(kind, "planner", ["random", "cem", "mppi"] as const);
 * kind; // now typed "random" | "cem" | "mppi"
 * ```
 */
export function assertOneOf<const T>(
  value: unknown,
  name: string,
  allowed: readonly T[],
): asserts value is T {
  if (allowed.includes(value as T)) return;
  const what = `one of ${allowed.map(String).join(", ")}`;
  const sameType = allowed.some((item) => typeof item === typeof value);
  fail(sameType ? "range" : "type", name, what, value);
}

/**
 * Throws a `TypeError` unless `value` is array-like (an array or a typed array) of exactly
 * `length` items.
 *
 * @example
 * ```ts
 * assertLength([0, 0, 0, 0], "state", 4); // passes
 * // assertLength([0, 0], "state", 4) throws
 * // TypeError: Expected state to have length 4 but found length 2
 * ```
 */
export function assertLength(
  value: unknown,
  name: string,
  length: number,
): asserts value is ArrayLike<unknown> {
  if (!isArrayLike(value)) fail("type", name, `an array of length ${length}`, value);
  if (value.length !== length) {
    throw new TypeError(
      `Expected ${name} to have length ${length} but found length ${value.length}`,
    );
  }
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * Throws unless `values` is an array or typed array of finite numbers (of exactly `length`
 * items when given): a `TypeError` for a non-array, a wrong length or a non-number item, a
 * `RangeError` naming the first non-finite item, as `Expected state[2] to be finite but
 * found NaN`.
 *
 * Cost: one pass. Typed arrays are summed (a finite float64 sum of float32 items proves every
 * item finite; only a non-finite sum pays a second pass to find the index); plain arrays are
 * checked item by item because they may hold non-numbers.
 *
 * @example
 * ```ts
 * assertFiniteArray(new Float32Array([0.1, -0.2, 0, 0.3]), "state", 4); // passes
 * // assertFiniteArray([0, 1, NaN], "state") throws
 * // RangeError: Expected state[2] to be finite but found NaN
 * ```
 */
export function assertFiniteArray(
  values: unknown,
  name: string,
  length?: number,
): asserts values is ArrayLike<number> {
  if (!isArrayLike(values)) {
    fail(
      "type",
      name,
      length === undefined ? "an array of numbers" : `an array of ${length} numbers`,
      values,
    );
  }
  if (length !== undefined && values.length !== length) {
    throw new TypeError(
      `Expected ${name} to have length ${length} but found length ${values.length}`,
    );
  }
  const n = values.length;
  if (Array.isArray(values)) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== "number") fail("type", `${name}[${i}]`, "a finite number", v);
      if (!Number.isFinite(v)) fail("range", `${name}[${i}]`, "finite", v);
    }
    return;
  }
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    fail("type", name, "an array of numbers", values);
  }
  const numbers = values as ArrayLike<number>;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += numbers[i]!;
  if (Number.isFinite(sum)) return;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(numbers[i]!)) fail("range", `${name}[${i}]`, "finite", numbers[i]);
  }
  // A float64 array of huge finite items can overflow the sum; every item was finite.
}
