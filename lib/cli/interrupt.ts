/**
 * Ctrl-C and `kill` for long runs: {@linkcode withInterruptSignal} turns the first SIGINT or
 * SIGTERM into an aborted `AbortSignal`, so a training loop can stop between steps and write
 * `summary.json` with `status: "interrupted"` and the counts so far; a second signal exits at
 * once (the run folder then reads as `"unfinished"`).
 *
 * Exit codes follow the shell convention 128 + signal number: 130 after SIGINT, 143 after
 * SIGTERM ({@linkcode interruptExitCode}), so scripts can tell an interrupted run from a
 * finished (0) or failed (1, 2) one.
 *
 * @module
 */
import { yieldToEventLoop } from "../event_loop.ts";

/** The signals {@linkcode withInterruptSignal} listens to (SIGTERM is not available on Windows). */
export type InterruptSignalName = "SIGINT" | "SIGTERM";

/** 128 + the signal number: what a shell reports for a process ended by that signal. */
export const INTERRUPT_EXIT_CODES: Readonly<Record<InterruptSignalName, number>> = Object.freeze({
  SIGINT: 130,
  SIGTERM: 143,
});

/**
 * The reason of an interrupt signal's abort: which signal arrived and the exit code to use.
 *
 * @example
 * ```ts
 * import { Interrupted } from "./interrupt.ts";
 * new Interrupted("SIGINT").exitCode; // 130
 * ```
 */
export class Interrupted extends Error {
  /** The signal that arrived. */
  readonly signal: InterruptSignalName;
  /** 130 (SIGINT) or 143 (SIGTERM). */
  readonly exitCode: number;

  /** @param signal the signal that arrived */
  constructor(signal: InterruptSignalName) {
    super(`Interrupted by ${signal}`);
    this.name = "Interrupted";
    this.signal = signal;
    this.exitCode = INTERRUPT_EXIT_CODES[signal];
  }
}

/** Options of {@linkcode withInterruptSignal}. */
export interface InterruptOptions {
  /** Called once with the first signal (e.g. to print "stopping after this step..."). */
  onInterrupt?: (signal: InterruptSignalName) => void;
  /** What a second signal does. @default {Deno.exit with the signal's exit code} */
  onSecondSignal?: (signal: InterruptSignalName) => void;
}

/**
 * Runs `fn` with an `AbortSignal` that aborts (reason: an {@linkcode Interrupted}) on the first
 * SIGINT or SIGTERM; listeners are installed before `fn` starts and removed when it settles.
 * `fn` should check `signal.aborted` between steps, finish its run as interrupted and return.
 *
 * Signals are delivered only when the event loop runs: `fn` must await now and then (e.g.
 * `await recorder.checkpoint()` or `yieldToEventLoop()` from `lib/event_loop.ts`, at least every
 * ~100 ms of work), or Ctrl-C is held back until it does.
 *
 * @example
 * ```ts
 * import { interruptExitCode, withInterruptSignal } from "./interrupt.ts";
 * const code = await withInterruptSignal(async (signal) => {
 *   for (let step = 0; step < 3 && !signal.aborted; step++) {
 *     await new Promise((resolve) => setTimeout(resolve, 1));
 *   }
 *   return interruptExitCode(signal) ?? 0;
 * });
 * ```
 */
export async function withInterruptSignal<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options: InterruptOptions = {},
): Promise<T> {
  const controller = new AbortController();
  const installed: [InterruptSignalName, () => void][] = [];
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (!controller.signal.aborted) {
        controller.abort(new Interrupted(name));
        options.onInterrupt?.(name);
      } else if (options.onSecondSignal) {
        options.onSecondSignal(name);
      } else {
        Deno.exit(INTERRUPT_EXIT_CODES[name]);
      }
    };
    try {
      Deno.addSignalListener(name, handler);
      installed.push([name, handler]);
    } catch {
      // SIGTERM cannot be listened to on Windows.
    }
  }
  try {
    return await fn(controller.signal);
  } finally {
    // A signal that arrived during the last synchronous stretch is delivered now, not lost.
    await yieldToEventLoop();
    for (const [name, handler] of installed) Deno.removeSignalListener(name, handler);
  }
}

/**
 * The exit code for a run whose `signal` may have been interrupted: 130 or 143 when it was
 * aborted by {@linkcode withInterruptSignal}, 130 for any other abort, `null` when not aborted.
 *
 * @example
 * ```ts
 * import { interruptExitCode } from "./interrupt.ts";
 * const controller = new AbortController();
 * interruptExitCode(controller.signal); // null
 * controller.abort();
 * interruptExitCode(controller.signal); // 130
 * ```
 */
export function interruptExitCode(signal: AbortSignal): number | null {
  if (!signal.aborted) return null;
  return signal.reason instanceof Interrupted
    ? signal.reason.exitCode
    : INTERRUPT_EXIT_CODES.SIGINT;
}
