/**
 * The command-line tools' one rule for failures: a known problem is one `error: ...` line on
 * stderr and exit status 1 or 2, never a stack trace; anything else is a bug and is rethrown
 * (with its stack).
 *
 * | error | exit status |
 * |---|---|
 * | `ArgsError` (a bad flag) | 2 |
 * | `TypeError` / `RangeError` whose message starts with `Expected` (option validation, the house style) | 2 |
 * | `RunWriteError`, `RunReadError` (a run folder or artefact that cannot be written or read) | 1 |
 * | `Deno.errors.NotFound`, `PermissionDenied`, `AlreadyExists`, `NotADirectory`, `IsADirectory`, `NotCapable` (paths such as `--out`) | 1 |
 *
 * Set `MBRL_TRACE=1` to print the stack of a known error too.
 *
 * @module
 */
import { RunReadError, RunWriteError } from "../run_folder.ts";
import { ArgsError } from "./args.ts";

/** How {@linkcode cliFailure} reports a known error. */
export interface CliFailure {
  /** One line, `error: <message>`. */
  line: string;
  /** 2 for a bad command line or option value, 1 for a file or folder problem. */
  code: 1 | 2;
}

const FILE_ERRORS: readonly (new (...args: never[]) => Error)[] = [
  Deno.errors.NotFound,
  Deno.errors.PermissionDenied,
  Deno.errors.AlreadyExists,
  Deno.errors.NotADirectory,
  Deno.errors.IsADirectory,
  Deno.errors.NotCapable,
];

function firstLine(message: string): string {
  return message.split("\n", 1)[0]!.trim();
}

/**
 * The one-line report and exit status for a known error, or `null` for anything else.
 *
 * @example
 * ```ts
 * import { cliFailure } from "./run_cli.ts";
 * cliFailure(new RangeError("Expected horizon to be a positive integer but found 0"));
 * // { line: "error: Expected horizon to be a positive integer but found 0", code: 2 }
 * cliFailure(new TypeError("Cannot read properties of undefined")); // null (a bug)
 * ```
 */
export function cliFailure(error: unknown): CliFailure | null {
  if (!(error instanceof Error)) return null;
  const line = `error: ${firstLine(error.message)}`;
  if (error instanceof ArgsError) return { line, code: 2 };
  if (
    (error instanceof TypeError || error instanceof RangeError) &&
    error.message.startsWith("Expected ")
  ) {
    return { line, code: 2 };
  }
  if (error instanceof RunWriteError || error instanceof RunReadError) return { line, code: 1 };
  if (FILE_ERRORS.some((kind) => error instanceof kind)) return { line, code: 1 };
  return null;
}

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Where the error line goes. @default {console.error} */
  writeError?: (line: string) => void;
  /** Also print a known error's stack. @default {MBRL_TRACE=1 in the environment} */
  trace?: boolean;
}

function traceFromEnv(): boolean {
  try {
    return Deno.env.get("MBRL_TRACE") === "1";
  } catch {
    return false;
  }
}

/**
 * Runs a command-line `main` and returns its exit status; a known error (see
 * {@linkcode cliFailure}) becomes one `error: ...` line and status 1 or 2; any other error is
 * rethrown.
 *
 * @example
 * ```ts
 * import { runCli } from "./run_cli.ts";
 * const code = await runCli(() => {
 *   throw new RangeError("Expected maxSteps to be a positive integer but found 0");
 * }, { writeError: () => {} });
 * code; // 2
 * // In a tool: if (import.meta.main) Deno.exit(await runCli(() => main(Deno.args)));
 * ```
 */
export async function runCli(
  main: () => Promise<number> | number,
  options: RunCliOptions = {},
): Promise<number> {
  try {
    return await main();
  } catch (error) {
    const failure = cliFailure(error);
    if (failure === null) throw error;
    const write = options.writeError ?? ((line: string) => console.error(line));
    write(failure.line);
    if ((options.trace ?? traceFromEnv()) && error instanceof Error && error.stack) {
      write(error.stack);
    }
    return failure.code;
  }
}
