/**
 * A small declarative flag parser for the command-line tools: every flag has a kind that
 * validates its value, and any problem is one clear line naming the flag and what is allowed,
 * thrown as an {@linkcode ArgsError} before any work starts.
 *
 * @module
 */

/** What a flag accepts. */
export type FlagSpec =
  | { kind: "int"; help: string; min?: number }
  | { kind: "number"; help: string; positive?: boolean }
  | { kind: "string"; help: string }
  | { kind: "enum"; help: string; values: readonly string[]; aliases?: Record<string, string> }
  /** `min` is the smallest element allowed. @default {1} (layer sizes) */
  | { kind: "intList"; help: string; min?: number }
  | { kind: "numberList"; help: string }
  | { kind: "bool"; help: string };

/** A parsed value per flag. */
export type ParsedValue = number | string | boolean | number[];

/**
 * A bad command line: the message is one line naming the flag and what is allowed.
 *
 * @example
 * ```ts
 * try {
 *   parseFlags(["--seed", "x"], { seed: { kind: "int", help: "seed" } });
 * } catch (error) {
 *   if (error instanceof ArgsError) console.error(`error: ${error.message}`);
 *   // error: --seed must be an integer but found "x"
 * }
 * ```
 */
export class ArgsError extends Error {
  /** @param message one line */
  constructor(message: string) {
    super(message);
    this.name = "ArgsError";
  }
}

function describeInt(min: number | undefined): string {
  if (min === 1) return "a positive integer";
  if (min === 0) return "a non-negative integer";
  if (min !== undefined) return `an integer >= ${min}`;
  return "an integer";
}

function parseValue(flag: string, spec: FlagSpec, raw: string): ParsedValue {
  switch (spec.kind) {
    case "int": {
      const value = Number(raw);
      if (
        raw.trim() === "" || !Number.isSafeInteger(value) ||
        (spec.min !== undefined && value < spec.min)
      ) {
        throw new ArgsError(`--${flag} must be ${describeInt(spec.min)} but found "${raw}"`);
      }
      return value;
    }
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value) || (spec.positive && value <= 0)) {
        const what = spec.positive ? "a positive number" : "a finite number";
        throw new ArgsError(`--${flag} must be ${what} but found "${raw}"`);
      }
      return value;
    }
    case "enum": {
      const value = spec.aliases?.[raw] ?? raw;
      if (!spec.values.includes(value)) {
        throw new ArgsError(
          `--${flag} must be one of ${spec.values.join(", ")} but found "${raw}"`,
        );
      }
      return value;
    }
    case "intList": {
      const parts = raw.split(",");
      const values = parts.map((part) => part.trim() === "" ? NaN : Number(part));
      const min = spec.min ?? 1;
      if (values.some((v) => !Number.isInteger(v) || v < min)) {
        const what = min === 1 ? "positive integers (e.g. 64,64)" : `integers of at least ${min}`;
        throw new ArgsError(`--${flag} must be comma-separated ${what} but found "${raw}"`);
      }
      return values;
    }
    case "numberList": {
      const values = raw.split(",").map((part) => part.trim() === "" ? NaN : Number(part));
      if (values.some((v) => !Number.isFinite(v))) {
        throw new ArgsError(
          `--${flag} must be comma-separated finite numbers (e.g. 0,0,0.05,0) but found "${raw}"`,
        );
      }
      return values;
    }
    case "string":
      if (raw === "") throw new ArgsError(`--${flag} must not be empty`);
      return raw;
    case "bool":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new ArgsError(`--${flag} is a switch (true or false) but found "${raw}"`);
  }
}

/**
 * Parses `--flag value`, `--flag=value` and bare switches (`--no-shaping`) against `specs`.
 * Returns only the flags given; defaults are the caller's.
 *
 * @example
 * ```ts
 * const flags = parseFlags(["--seed", "3"], { seed: { kind: "int", help: "seed" } });
 * flags.seed; // 3
 * ```
 * @throws {ArgsError} on an unknown flag, a missing value, a repeated flag, a positional
 *   argument or a value its flag does not allow.
 */
export function parseFlags(
  argv: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
): Record<string, ParsedValue> {
  const out: Record<string, ParsedValue> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || arg === "--") {
      throw new ArgsError(`Unexpected argument "${arg}": every option is a --flag (see --help)`);
    }
    const eq = arg.indexOf("=");
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = Object.hasOwn(specs, flag) ? specs[flag] : undefined;
    if (spec === undefined) {
      const allowed = Object.keys(specs).map((name) => `--${name}`).join(", ");
      throw new ArgsError(`Unknown flag --${flag}; allowed flags: ${allowed}`);
    }
    if (Object.hasOwn(out, flag)) throw new ArgsError(`--${flag} was given more than once`);
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else if (spec.kind === "bool") {
      raw = "true";
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new ArgsError(`--${flag} needs a value: ${spec.help}`);
      }
      raw = next;
      i++;
    }
    out[flag] = parseValue(flag, spec, raw);
  }
  return out;
}

/**
 * A `--help` text listing each flag and its help (an enum flag also lists its values).
 *
 * @example
 * ```ts
 * formatHelp("usage: deno task train [options]", {
 *   seed: { kind: "int", help: "seed" },
 *   backend: { kind: "enum", help: "tfjs backend", values: ["wasm", "cpu"] },
 * });
 * // "usage: deno task train [options]\n\nOptions:\n  --seed     seed\n  --backend  tfjs backend (wasm | cpu)"
 * ```
 */
export function formatHelp(usage: string, specs: Readonly<Record<string, FlagSpec>>): string {
  const width = Math.max(...Object.keys(specs).map((name) => name.length)) + 4;
  const lines = Object.entries(specs).map(([name, spec]) => {
    const choices = spec.kind === "enum" ? ` (${spec.values.join(" | ")})` : "";
    return `  --${name.padEnd(width - 2)}${spec.help}${choices}`;
  });
  return `${usage}\n\nOptions:\n${lines.join("\n")}`;
}
