/**
 * The few pieces of the WebAssembly binary format that {@linkcode DenseKernel}'s generated
 * code needs: LEB128 numbers, sections, vectors, and the instructions it emits. Writing the
 * bytes from TypeScript lets the kernel be specialised per layer shape at run time (constant
 * strides and offsets, unrolled loops) without a build step or a third-party compiler.
 *
 * Format reference: the WebAssembly core specification, binary format chapter, and the
 * SIMD and relaxed-SIMD proposals' opcode tables.
 *
 * @module
 */

/** Value type bytes. */
export const WASM_TYPE = Object.freeze({ i32: 0x7f, v128: 0x7b });

/**
 * Unsigned LEB128 of a non-negative integer below 2^32.
 *
 * @example
 * ```ts
 * uleb(624485); // [0xe5, 0x8e, 0x26]
 * ```
 */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new RangeError(`Expected an integer in [0, 2^32) but found ${value}`);
  }
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * Signed LEB128 of a 32-bit integer.
 *
 * @example
 * ```ts
 * sleb(-1); // [0x7f]
 * ```
 */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new RangeError(`Expected a 32-bit integer but found ${value}`);
  }
  const out: number[] = [];
  let v = value;
  while (true) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A length-prefixed vector of already encoded items. */
function vec(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A UTF-8 name. */
function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
}

/** A section: id, byte length, body. */
function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instructions the kernel emits (each returns its encoded bytes). */
export const op = Object.freeze({
  localGet: (i: number): number[] => [0x20, ...uleb(i)],
  localSet: (i: number): number[] => [0x21, ...uleb(i)],
  i32Const: (v: number): number[] => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32GeS: [0x4e],
  i32Eqz: [0x45],
  /** `block` with no result. */
  block: [0x02, 0x40],
  /** `loop` with no result. */
  loop: [0x03, 0x40],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  end: [0x0b],
  /** `v128.load` at `offset` bytes from the address on the stack. */
  v128Load: (offset: number): number[] => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],
  /** `v128.store` at `offset` bytes from the address below the value. */
  v128Store: (offset: number): number[] => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  /** `v128.load32_splat`: one f32 at `offset` into all four lanes. */
  load32Splat: (offset: number): number[] => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  /** `v128.const` of zeros. */
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Max: [0xfd, ...uleb(0xe9)],
  /** Relaxed SIMD `f32x4.relaxed_madd a b c = a * b + c` (fused where the CPU has FMA). */
  f32x4RelaxedMadd: [0xfd, ...uleb(0x105)],
});

/** One function of a module built by {@linkcode wasmModuleBytes}. */
export interface WasmFunction {
  /** Exported under this name. */
  name: string;
  /** Parameter count (all i32). */
  params: number;
  /** Extra locals by type, in order: i32 count, then v128 count. */
  locals: { i32: number; v128: number };
  /** The body's instructions, without the final `end`. */
  body: readonly number[];
}

/**
 * A module that imports its memory as `env.memory` and exports `fn` (no results).
 *
 * @example
 * ```ts
 * const bytes = wasmModuleBytes({ name: "noop", params: 0, locals: { i32: 0, v128: 0 }, body: [] });
 * WebAssembly.validate(bytes); // true
 * ```
 */
export function wasmModuleBytes(fn: WasmFunction): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(fn.params).fill([WASM_TYPE.i32])), 0];
  const locals = vec([
    [...uleb(fn.locals.i32), WASM_TYPE.i32],
    [...uleb(fn.locals.v128), WASM_TYPE.v128],
  ]);
  const code = [...locals, ...fn.body, ...op.end];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    // import "env" "memory": memory with at least one page
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name(fn.name), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ];
  return new Uint8Array(bytes);
}
