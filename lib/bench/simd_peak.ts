/**
 * The ceiling a WebAssembly dense kernel works under: one thread's f32x4 multiply-add rate with
 * nothing but arithmetic in the loop (12 independent accumulator chains held in registers, no
 * memory traffic), on the instructions the dense kernel uses (`relaxed-simd-fma`: one fused
 * multiply-add per four lanes; `simd`: a multiply and an add). `deno task bench:plan` prints it
 * beside the kernel's own GFLOP/s, so a reader sees how far the kernel is from what wasm's
 * 128-bit vectors allow on that machine (numpy's BLAS is not bound by 128 bits: with AVX2 or
 * AVX-512 one instruction covers 8 or 16 lanes).
 *
 * @module
 */
import type { KernelInstructions } from "../nn/dense_kernel.ts";
import { op, wasmModuleBytes } from "../nn/wasm_bytes.ts";

/** Independent chains: enough to cover an FMA's latency on both FMA ports of x86 cores. */
const CHAINS = 12;

/**
 * `peak(iterations)`: `CHAINS` accumulators, each updated `acc = acc * a + b` per iteration
 * (so nothing is loop-invariant), stored to memory at the end so that none is dead code.
 */
function peakFunction(fma: boolean): Uint8Array<ArrayBuffer> {
  const [N, A, B, ACC] = [0, 1, 2, 3];
  const { localGet: get, localSet: set, i32Const: c } = op;
  const body: number[] = [];
  body.push(...c(0), ...op.load32Splat(0), ...set(A), ...c(0), ...op.load32Splat(4), ...set(B));
  for (let i = 0; i < CHAINS; i++) body.push(...get(B), ...set(ACC + i));
  body.push(...op.block, ...op.loop, ...get(N), ...op.i32Eqz, ...op.brIf(1));
  for (let i = 0; i < CHAINS; i++) {
    if (fma) body.push(...get(ACC + i), ...get(A), ...get(B), ...op.f32x4RelaxedMadd);
    else body.push(...get(ACC + i), ...get(A), ...op.f32x4Mul, ...get(B), ...op.f32x4Add);
    body.push(...set(ACC + i));
  }
  body.push(...get(N), ...c(1), ...op.i32Sub, ...set(N), ...op.br(0), ...op.end, ...op.end);
  for (let i = 0; i < CHAINS; i++) {
    body.push(...c(16 * (i + 1)), ...get(ACC + i), ...op.v128Store(0));
  }
  return wasmModuleBytes({ name: "peak", params: 1, locals: { i32: 0, v128: 2 + CHAINS }, body });
}

/** Options of {@linkcode simdPeakGflops}. */
export interface SimdPeakOptions {
  /** Loop iterations per timing (each `CHAINS` four-lane multiply-adds). @default {2_000_000} */
  iterations?: number;
  /** Timings; the fastest counts. @default {7} */
  tries?: number;
}

/**
 * One thread's f32x4 multiply-add rate in GFLOP/s (a multiply-add counts as 2 FLOPs per lane),
 * the fastest of `tries` timed loops.
 * @throws {RangeError} when `iterations` or `tries` is not a positive integer.
 *
 * @example
 * ```ts
 * import { kernelInstructions } from "../nn/dense_kernel.ts";
 * simdPeakGflops(kernelInstructions(), { iterations: 1000, tries: 1 }) > 0; // true
 * ```
 */
export function simdPeakGflops(
  instructions: KernelInstructions,
  options: SimdPeakOptions = {},
): number {
  const iterations = options.iterations ?? 2_000_000;
  const tries = options.tries ?? 7;
  for (const [name, value] of [["iterations", iterations], ["tries", tries]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
    }
  }
  const memory = new WebAssembly.Memory({ initial: 1 });
  // |a| < 1 and a small b: every chain converges to b / (1 - a), far from overflow or
  // subnormals, whose slow paths would understate the peak.
  new Float32Array(memory.buffer).set([0.9999, 0.0001]);
  const module = new WebAssembly.Module(peakFunction(instructions === "relaxed-simd-fma"));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const peak = instance.exports.peak as (iterations: number) => void;
  peak(Math.min(iterations, 10_000));
  let best = Infinity;
  for (let t = 0; t < tries; t++) {
    const start = performance.now();
    peak(iterations);
    best = Math.min(best, performance.now() - start);
  }
  return (iterations * CHAINS * 4 * 2) / (Math.max(best, 1e-3) * 1e6);
}
