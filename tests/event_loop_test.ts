import { assertEquals, assertThrows } from "@std/assert";
import { Throttle, yieldToEventLoop } from "../lib/event_loop.ts";

Deno.test({
  name: "yieldToEventLoop lets a pending signal in after synchronous work",
  ignore: Deno.build.os === "windows",
  async fn() {
    let seen = 0;
    const handler = () => seen++;
    Deno.addSignalListener("SIGWINCH", handler);
    try {
      Deno.kill(Deno.pid, "SIGWINCH");
      const end = performance.now() + 50;
      while (performance.now() < end) {
        // Synchronous work: the signal waits.
      }
      assertEquals(seen, 0);
      for (let i = 0; i < 20 && seen === 0; i++) await yieldToEventLoop();
      assertEquals(seen, 1);
    } finally {
      Deno.removeSignalListener("SIGWINCH", handler);
    }
  },
});

Deno.test("Throttle yields at most every everyMs and refuses bad intervals", async () => {
  const always = new Throttle(0);
  await always.maybeYield();
  assertThrows(() => new Throttle(-1), RangeError, "Expected everyMs to be a non-negative number");
  assertThrows(() => new Throttle(NaN), RangeError, "everyMs");
});
