/**
 * What a benchmark's figures were measured on: the CPU's model and widest SIMD, read from
 * `/proc/cpuinfo` where there is one. Our machines are not all alike (one kind measured here
 * had a wasm matMul of 37.5 GFLOP/s and numpy's step at 28.5 ms; another, with AVX-512, 25.6
 * and 35.7), so a figure without its CPU cannot be compared with another.
 *
 * @module
 */

/**
 * A one-line description of the CPU, e.g. `"Intel(R) Xeon(R) Processor (family 6 model 143),
 * avx512f"`, or `"unknown CPU"` where `/proc/cpuinfo` cannot be read.
 *
 * @example
 * ```ts
 * console.log(`CPU: ${cpuLine()}`);
 * ```
 */
export function cpuLine(): string {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/cpuinfo");
  } catch {
    return "unknown CPU";
  }
  const field = (name: string): string | undefined =>
    text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const simd = ["avx512f", "avx2", "avx", "sse4_2"].find((f) => flags.has(f)) ?? "no AVX";
  const family = field("cpu family");
  const model = field("model");
  const where = family !== undefined && model !== undefined
    ? ` (family ${family} model ${model})`
    : "";
  return `${field("model name") ?? "unknown model"}${where}, ${simd}`;
}
