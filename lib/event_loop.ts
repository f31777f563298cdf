/**
 * Letting the event loop run in the middle of long synchronous work. Signals (Ctrl-C), worker
 * messages and timers are only handled when the event loop runs: a training loop that never
 * awaits cannot be interrupted (a SIGINT listener then swallows Ctrl-C until the loop ends).
 *
 * A ground module: it imports nothing from `lib/`.
 *
 * @module
 */

/**
 * Resolves after one turn of the event loop (a message-port round trip: about 30 us, where
 * `setTimeout(0)` takes 1-2 ms), so pending signals and messages are handled.
 *
 * @example
 * ```ts
 * import { yieldToEventLoop } from "./event_loop.ts";
 * for (let step = 0; step < 3; step++) {
 *   // ... synchronous work ...
 *   await yieldToEventLoop();
 * }
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
    port2.close();
  });
}

/**
 * A cheap check to call often (every step) that yields to the event loop only when at least
 * `everyMs` milliseconds passed since it last did: the cost is one `performance.now()` per call
 * plus about 30 us per `everyMs`.
 *
 * @example
 * ```ts
 * import { Throttle } from "./event_loop.ts";
 * const breathe = new Throttle(50);
 * for (let step = 0; step < 1000; step++) {
 *   // ... synchronous work ...
 *   await breathe.maybeYield();
 * }
 * ```
 */
export class Throttle {
  #everyMs: number;
  #last = performance.now();

  /**
   * @param everyMs least milliseconds between two yields @default {50}
   * @throws {RangeError} when `everyMs` is negative or not finite.
   */
  constructor(everyMs = 50) {
    if (!Number.isFinite(everyMs) || everyMs < 0) {
      throw new RangeError(`Expected everyMs to be a non-negative number but found ${everyMs}`);
    }
    this.#everyMs = everyMs;
  }

  /** Yields to the event loop if `everyMs` passed since the last yield; resolves at once otherwise. */
  async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.#last < this.#everyMs) return;
    await yieldToEventLoop();
    this.#last = performance.now();
  }
}
