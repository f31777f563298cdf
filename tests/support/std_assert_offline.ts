/**
 * Offline stand-in for the subset of `jsr:@std/assert` our tests use, written to match the
 * recorded behaviour of the real package in `tests/support/std_assert_table.ts` (pass/fail
 * only; messages differ).
 *
 * Only `.ci/with_std_assert.ts` maps `@std/assert` here, and only when JSR cannot be reached;
 * everywhere else the tests run on the real package. `tests/std_assert_adapter_test.ts` checks
 * these functions against that table (and the real package against it where JSR is reachable).
 *
 * @module
 */

/** Error thrown by every failed assertion (name and role as in `@std/assert`). */
export class AssertionError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** `===`, except that NaN equals NaN (and, as with `===`, `-0` equals `0`). */
function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

function isObjectLike(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/** Same prototype, where `null` and `Object.prototype` count as the same. */
function sameProto(a: object, b: object): boolean {
  const pa = Object.getPrototypeOf(a);
  const pb = Object.getPrototypeOf(b);
  const plain = (p: unknown) => p === null || p === Object.prototype;
  return pa === pb || (plain(pa) && plain(pb));
}

/** Objects whose own enumerable keys are all that matter: plain objects and arrays. */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || proto === Array.prototype;
}

/** Classes that compare by their string form (a RegExp's source and flags, a URL). */
function comparesAsString(value: object): boolean {
  return value instanceof RegExp || value instanceof URL || value instanceof URLSearchParams ||
    value instanceof Intl.Locale;
}

function enumerableKeys(value: object): (string | symbol)[] {
  const symbols = Object.getOwnPropertySymbols(value).filter((key) =>
    Object.prototype.propertyIsEnumerable.call(value, key)
  );
  return [...Object.keys(value), ...symbols];
}

/** Own property names and symbols (enumerable or not) along the prototype chain. */
function keysAlongChain(value: object): Set<string | symbol> {
  const keys = new Set<string | symbol>();
  for (
    let o: object | null = value;
    o !== null && o !== Object.prototype && o !== Array.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const key of Object.getOwnPropertyNames(o)) keys.add(key);
    for (const key of Object.getOwnPropertySymbols(o)) keys.add(key);
  }
  return keys;
}

type Indexed = Record<string | symbol, unknown>;

/**
 * Deep equality with `@std/assert`'s semantics (see `std_assert_table.ts` for the recorded
 * cases): NaN equals NaN and `-0` equals `0` at every depth, typed arrays element by element
 * (same class and length), Dates by time, Maps and Sets regardless of order, RegExps and URLs
 * by their string form, plain objects and arrays by their own enumerable keys (a missing key
 * differs from an undefined one), other objects by all keys along their prototype chain.
 * Prototypes must match, except that null-prototype objects equal plain ones.
 */
function equal(a: unknown, b: unknown, seen = new Map<unknown, unknown>()): boolean {
  if (sameValueZero(a, b)) return true;
  if (!isObjectLike(a) || !isObjectLike(b)) return false;
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (!sameProto(a, b)) return false;
  if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameValueZero(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof ArrayBuffer) {
    return equal(new Uint8Array(a), new Uint8Array(b as ArrayBuffer), seen);
  }
  if (a instanceof WeakMap || a instanceof WeakSet) {
    throw new TypeError(`Cannot compare ${a.constructor.name} instances`);
  }
  if (a instanceof WeakRef) return equal(a.deref(), (b as WeakRef<object>).deref(), seen);
  if (seen.get(a) === b) return true;
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  seen.set(a, b);
  if ((a instanceof Map || a instanceof Set) && (b instanceof Map || b instanceof Set)) {
    if (a.size !== b.size) return false;
    // Each entry of `a` must match some entry of `b` (keys and values deeply equal).
    for (const [aKey, aValue] of a.entries()) {
      let matched = false;
      for (const [bKey, bValue] of b.entries()) {
        if (equal(aKey, bKey, seen) && equal(aValue, bValue, seen)) {
          matched = true;
          break;
        }
      }
      if (!matched) return false;
    }
    return true;
  }
  if (!isPlain(a) && comparesAsString(a)) return String(a) === String(b);
  const keys = isPlain(a)
    ? new Set([...enumerableKeys(a), ...enumerableKeys(b)])
    : keysAlongChain(a).union(keysAlongChain(b));
  for (const key of keys) {
    if ((key in a) !== (key in b)) return false;
    if (!equal((a as Indexed)[key], (b as Indexed)[key], seen)) return false;
  }
  return true;
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

/**
 * Asserts `|actual - expected| <= tolerance`. The default tolerance is relative, as in
 * `@std/assert`: `|expected| * 1e-7` (1e-7 when `expected` is not finite), so against 0 it is
 * exact.
 */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance?: number,
  msg?: string,
): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  tolerance ??= Number.isFinite(expected) ? Math.abs(expected * 1e-7) : 1e-7;
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
  msgIncludes: string | RegExp | undefined,
): void {
  if (ErrorType === undefined) return;
  if (!(error instanceof Error)) {
    throw new AssertionError(`A non-Error object was thrown: ${show(error)}`);
  }
  if (!(error instanceof ErrorType)) {
    throw new AssertionError(
      `Expected error to be instance of "${ErrorType.name}", but was "${error.constructor?.name}"`,
    );
  }
  const message = String(error.message);
  const ok = msgIncludes === undefined || msgIncludes === "" ||
    (msgIncludes instanceof RegExp ? msgIncludes.test(message) : message.includes(msgIncludes));
  if (!ok) {
    throw new AssertionError(
      `Expected error message to include ${String(msgIncludes)}, but got "${message}"`,
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

/**
 * Asserts that `fn` returns a promise that rejects; optionally its type and message. A
 * synchronous throw or a non-promise return fails, as in `@std/assert`.
 */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorTypeOrMsg?: ErrorClass<E> | string,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  const ErrorType = typeof ErrorTypeOrMsg === "string" ? undefined : ErrorTypeOrMsg;
  const note = typeof ErrorTypeOrMsg === "string" ? ErrorTypeOrMsg : msg;
  const suffix = note ? `: ${note}` : ".";
  let returned: unknown;
  try {
    returned = fn();
  } catch {
    throw new AssertionError(`Function throws when expected to reject${suffix}`);
  }
  const thenable = isObjectLike(returned) && typeof (returned as PromiseLike<unknown>).then ===
      "function";
  if (!thenable) throw new AssertionError(`Function did not return a promise${suffix}`);
  try {
    await returned;
  } catch (error) {
    checkError(error, ErrorType, msgIncludes);
    return error as E;
  }
  throw new AssertionError(`Expected function to reject${suffix}`);
}
