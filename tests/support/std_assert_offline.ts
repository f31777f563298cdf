/**
 * Offline stand-in for the subset of `jsr:@std/assert` our tests use, built on Node's
 * `assert.deepStrictEqual` engine (`node:util`'s `isDeepStrictEqual`).
 *
 * Only `.ci/with_std_assert.ts` maps `@std/assert` here, and only when JSR cannot be reached;
 * everywhere else the tests run on the real package. `tests/std_assert_adapter_test.ts` checks
 * that these functions pass and fail on the same inputs as the real ones (messages aside).
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";

/** Error thrown by every failed assertion (name and role as in `@std/assert`). */
export class AssertionError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Deep equality as `@std/assert` defines it: NaN equals NaN and `0` equals `-0`. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || (Number.isNaN(a) && Number.isNaN(b));
  }
  return isDeepStrictEqual(a, b) || (isDeepStrictEqual(zeroToPositive(a), zeroToPositive(b)));
}

/** Copies arrays replacing `-0` by `0` so node's `Object.is` comparison matches std. */
function zeroToPositive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(zeroToPositive);
  if (typeof value === "number" && value === 0) return 0;
  return value;
}

function show(value: unknown): string {
  try {
    return Deno.inspect(value, { depth: 4, colors: false });
  } catch {
    return String(value);
  }
}

/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected expression to be truthy");
}

/** Asserts that `expr` is falsy. */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError(msg || "Expected expression to be falsy");
}

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}Values are not equal: actual ${show(actual)}, expected ${
        show(expected)
      }`,
    );
  }
}

/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (equal(actual, expected)) {
    throw new AssertionError(msg ?? `Expected actual to not equal ${show(expected)}`);
  }
}

/** Asserts `Object.is(actual, expected)`. */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      msg ?? `Values are not strictly equal: ${show(actual)} vs ${show(expected)}`,
    );
  }
}

/** Asserts `|actual - expected| <= tolerance` (default 1e-7, as in `@std/assert`). */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg?: string,
): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (delta <= tolerance) return;
  throw new AssertionError(
    msg ?? `Expected actual: "${actual}" to be close to "${expected}": delta "${delta}" ` +
        `is greater than "${tolerance}"`,
  );
}

/** Asserts `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError(msg ?? `Expect ${actual} > ${expected}`);
}

/** Asserts `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new AssertionError(msg ?? `Expect ${actual} >= ${expected}`);
}

/** Asserts `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError(msg ?? `Expect ${actual} < ${expected}`);
}

/** Asserts `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) throw new AssertionError(msg ?? `Expect ${actual} <= ${expected}`);
}

/** Asserts that `actual` is neither `null` nor `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to not be null or undefined.`);
  }
}

/** Asserts `actual instanceof expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any[]) => any>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof expectedType)) {
    throw new AssertionError(msg ?? `Expected object to be an instance of "${expectedType.name}"`);
  }
}

/** Asserts that `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to match: "${expected}"`);
  }
}

/** Asserts that `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to contain: "${expected}"`);
  }
}

/** Asserts that every element of `expected` is deep-equal to some element of `actual`. */
export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void {
  const haystack = Array.from(actual);
  const missing = Array.from(expected).filter((item) => !haystack.some((h) => equal(h, item)));
  if (missing.length > 0) {
    throw new AssertionError(msg ?? `Expected actual to include ${show(missing)}`);
  }
}

/** Fails unconditionally. */
export function fail(msg?: string): never {
  throw new AssertionError(`Failed assertion${msg ? `: ${msg}` : "."}`);
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  error: unknown,
  ErrorType: ErrorClass<E> | undefined,
  msgIncludes: string | undefined,
): void {
  if (ErrorType === undefined) return;
  if (!(error instanceof ErrorType)) {
    throw new AssertionError(
      `Expected error to be instance of "${ErrorType.name}", but was "${
        (error as Error)?.constructor?.name
      }"`,
    );
  }
  if (msgIncludes !== undefined && !String(error.message).includes(msgIncludes)) {
    throw new AssertionError(
      `Expected error message to include "${msgIncludes}", but got "${error.message}"`,
    );
  }
}

/** Asserts that `fn` throws; with an error class, also its type and message substring. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorTypeOrMsg?: ErrorClass<E> | string,
  msgIncludes?: string,
  msg?: string,
): E {
  const ErrorType = typeof ErrorTypeOrMsg === "string" ? undefined : ErrorTypeOrMsg;
  try {
    fn();
  } catch (error) {
    checkError(error, ErrorType, msgIncludes);
    return error as E;
  }
  const note = typeof ErrorTypeOrMsg === "string" ? ErrorTypeOrMsg : msg;
  throw new AssertionError(`Expected function to throw${note ? `: ${note}` : "."}`);
}

/** Asserts that the promise returned by `fn` rejects; optionally its type and message. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorTypeOrMsg?: ErrorClass<E> | string,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  const ErrorType = typeof ErrorTypeOrMsg === "string" ? undefined : ErrorTypeOrMsg;
  try {
    await fn();
  } catch (error) {
    checkError(error, ErrorType, msgIncludes);
    return error as E;
  }
  const note = typeof ErrorTypeOrMsg === "string" ? ErrorTypeOrMsg : msg;
  throw new AssertionError(`Expected function to reject${note ? `: ${note}` : "."}`);
}
