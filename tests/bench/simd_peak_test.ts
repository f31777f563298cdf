import { assert, assertThrows } from "@std/assert";
import { simdPeakGflops } from "../../lib/bench/simd_peak.ts";
import { kernelInstructions } from "../../lib/nn/dense_kernel.ts";

Deno.test("simdPeakGflops: the generated loop validates, runs and gives a finite positive rate", () => {
  const kinds = kernelInstructions() === "relaxed-simd-fma"
    ? ["relaxed-simd-fma", "simd"] as const
    : ["simd"] as const;
  for (const kind of kinds) {
    const gflops = simdPeakGflops(kind, { iterations: 1000, tries: 2 });
    assert(Number.isFinite(gflops) && gflops > 0, `${kind}: ${gflops}`);
  }
});

Deno.test("simdPeakGflops: rejects iterations and tries that are not positive integers", () => {
  assertThrows(() => simdPeakGflops("simd", { iterations: 0 }), RangeError, "iterations");
  assertThrows(() => simdPeakGflops("simd", { iterations: 1.5 }), RangeError, "iterations");
  assertThrows(() => simdPeakGflops("simd", { tries: -1 }), RangeError, "tries");
});
