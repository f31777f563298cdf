/**
 * Inference of a frozen MLP on generated WebAssembly: one dense-layer kernel per layer shape,
 * written at run time ({@linkcode wasmModuleBytes}) with relaxed-SIMD fused multiply-adds.
 *
 * Why not tfjs's wasm backend here: its XNNPACK build uses 128-bit SIMD without FMA, so each
 * multiply-add costs two instructions; on our machines that caps a [1000, 256] x [256, 256]
 * product at ~28 GFLOP/s on one thread, while this kernel's `f32x4.relaxed_madd` (one
 * `vfmadd` on x86 CPUs with FMA) reaches ~41 through `PackedMlp.forward`, copies included
 * (`deno task bench:plan` prints both). Planning
 * runs the same frozen network on thousands of rows per step, so inference is where the time
 * goes; training stays on tfjs (gradients, Adam), and {@linkcode PackedMlp} is rebuilt from
 * the trained weights.
 *
 * The kernel: rows in tiles of 6, columns in panels of 8 (12 four-lane accumulators, within
 * x86's 16 vector registers), the inner dimension unrolled by 4, with the weights packed
 * panel-major once per network and every stride and offset a constant of the generated code.
 * Each output element is `bias + sum_k x[k] * w[k]` accumulated in order of `k`, so a row's
 * result never depends on the other rows of the batch or on its position in it (what lets
 * planning split rows across threads with identical results). Where the engine lacks relaxed
 * SIMD the same kernel is generated with a separate multiply and add.
 *
 * @module
 */
import type { Activation } from "./mlp.ts";
import { op, type WasmFunction, wasmModuleBytes } from "./wasm_bytes.ts";

/** Rows per register tile. */
const TILE_ROWS = 6;
/** Four-lane vectors per tile row. */
const TILE_VECS = 2;
/** Output columns per panel. */
const PANEL_COLS = 4 * TILE_VECS;
/** Inner-dimension unroll. */
const K_UNROLL = 4;
const BYTES = 4;
/**
 * Rows per kernel pass (a multiple of the tile): larger batches run in passes of this many, so
 * the scratch memory stays at ~2 x 2,046 rows of the widest layer (4 MB for [256,256]) however
 * many rows a caller predicts. Rows are independent, so passes do not change any result.
 */
const CHUNK_ROWS = 2046;
const PAGE_BYTES = 65536;

/** Which multiply-add the generated kernels use. */
export type KernelInstructions = "relaxed-simd-fma" | "simd";

let detected: KernelInstructions | undefined;

/**
 * Whether this engine runs relaxed SIMD (fused multiply-add) or only plain SIMD; detected
 * once per thread by validating a one-instruction module.
 * @throws {Error} when the engine has no WebAssembly SIMD at all.
 *
 * @example
 * ```ts
 * ["relaxed-simd-fma", "simd"].includes(kernelInstructions()); // true
 * ```
 */
export function kernelInstructions(): KernelInstructions {
  if (detected !== undefined) return detected;
  const probe = (body: number[]) =>
    WebAssembly.validate(
      wasmModuleBytes({ name: "probe", params: 0, locals: { i32: 0, v128: 0 }, body }),
    );
  const zero = op.v128Zero;
  if (probe([...zero, ...zero, ...zero, ...op.f32x4RelaxedMadd, 0x1a])) {
    detected = "relaxed-simd-fma";
  } else if (probe([...zero, ...zero, ...op.f32x4Add, 0x1a])) {
    detected = "simd";
  } else {
    throw new Error("Expected a WebAssembly engine with SIMD support but this one has none");
  }
  return detected;
}

/** Rounds `n` up to a multiple of `m`. */
function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/**
 * The body of `dense(x, w, bias, out, rows)`: `out[rows, np] = act(x[rows, kp] w + bias)` with
 * `w` packed as `[np / 8][kp][8]`, `rows` a multiple of 6, all pointers in bytes.
 */
function denseFunction(kp: number, np: number, relu: boolean, fma: boolean): WasmFunction {
  const [X, W, BIAS, OUT, ROWS] = [0, 1, 2, 3, 4];
  const [I, JP, K, A_PTR, B_PTR, C_PTR, A_ROW, C_ROW, BIAS_PTR] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const ACC = 14;
  const B_VEC = ACC + TILE_ROWS * TILE_VECS;
  const SPLAT = B_VEC + TILE_VECS;
  const ZERO = SPLAT + 1;
  const acc = (r: number, v: number) => ACC + r * TILE_VECS + v;
  const { localGet: get, localSet: set, i32Const: c } = op;
  const inc = (local: number, by: number) => [...get(local), ...c(by), ...op.i32Add, ...set(local)];
  const b: number[] = [];
  if (relu) b.push(...op.v128Zero, ...set(ZERO));
  b.push(...get(X), ...set(A_ROW), ...get(OUT), ...set(C_ROW), ...c(0), ...set(I));
  b.push(...op.block, ...op.loop);
  b.push(...get(I), ...get(ROWS), ...op.i32GeS, ...op.brIf(1));
  b.push(...get(W), ...set(B_PTR), ...get(BIAS), ...set(BIAS_PTR), ...get(C_ROW), ...set(C_PTR));
  b.push(...c(0), ...set(JP), ...op.block, ...op.loop);
  b.push(...get(JP), ...c(np), ...op.i32GeS, ...op.brIf(1));
  for (let v = 0; v < TILE_VECS; v++) {
    b.push(...get(BIAS_PTR), ...op.v128Load(v * 16), ...set(B_VEC + v));
  }
  for (let r = 0; r < TILE_ROWS; r++) {
    for (let v = 0; v < TILE_VECS; v++) b.push(...get(B_VEC + v), ...set(acc(r, v)));
  }
  b.push(...get(A_ROW), ...set(A_PTR), ...c(kp / K_UNROLL), ...set(K));
  b.push(...op.block, ...op.loop, ...get(K), ...op.i32Eqz, ...op.brIf(1));
  for (let u = 0; u < K_UNROLL; u++) {
    for (let v = 0; v < TILE_VECS; v++) {
      b.push(...get(B_PTR), ...op.v128Load((u * PANEL_COLS + v * 4) * BYTES), ...set(B_VEC + v));
    }
    for (let r = 0; r < TILE_ROWS; r++) {
      b.push(...get(A_PTR), ...op.load32Splat((r * kp + u) * BYTES), ...set(SPLAT));
      for (let v = 0; v < TILE_VECS; v++) {
        if (fma) {
          b.push(...get(SPLAT), ...get(B_VEC + v), ...get(acc(r, v)), ...op.f32x4RelaxedMadd);
        } else {
          b.push(...get(acc(r, v)), ...get(SPLAT), ...get(B_VEC + v), ...op.f32x4Mul);
          b.push(...op.f32x4Add);
        }
        b.push(...set(acc(r, v)));
      }
    }
  }
  b.push(...inc(A_PTR, K_UNROLL * BYTES), ...inc(B_PTR, K_UNROLL * PANEL_COLS * BYTES));
  b.push(...get(K), ...c(1), ...op.i32Sub, ...set(K), ...op.br(0), ...op.end, ...op.end);
  for (let r = 0; r < TILE_ROWS; r++) {
    for (let v = 0; v < TILE_VECS; v++) {
      b.push(...get(C_PTR), ...get(acc(r, v)));
      if (relu) b.push(...get(ZERO), ...op.f32x4Max);
      b.push(...op.v128Store((r * np + v * 4) * BYTES));
    }
  }
  b.push(...inc(JP, PANEL_COLS), ...inc(BIAS_PTR, PANEL_COLS * BYTES));
  b.push(...inc(C_PTR, PANEL_COLS * BYTES), ...op.br(0), ...op.end, ...op.end);
  b.push(...inc(I, TILE_ROWS), ...inc(A_ROW, TILE_ROWS * kp * BYTES));
  b.push(...inc(C_ROW, TILE_ROWS * np * BYTES), ...op.br(0), ...op.end, ...op.end);
  return {
    name: "dense",
    params: 5,
    locals: { i32: BIAS_PTR - ROWS, v128: ZERO + 1 - ACC },
    body: b,
  };
}

const compiled = new Map<string, WebAssembly.Module>();

/** The compiled kernel for one padded shape (cached per thread). */
function denseModule(
  kp: number,
  np: number,
  relu: boolean,
  instructions: KernelInstructions,
): WebAssembly.Module {
  const fma = instructions === "relaxed-simd-fma";
  const key = `${kp}x${np}:${relu}:${fma}`;
  let module = compiled.get(key);
  if (module === undefined) {
    module = new WebAssembly.Module(wasmModuleBytes(denseFunction(kp, np, relu, fma)));
    compiled.set(key, module);
  }
  return module;
}

/** One layer of a {@linkcode PackedMlp}. */
interface PackedLayer {
  /** Padded inner and output widths (multiples of 4 and 8). */
  kp: number;
  np: number;
  /** Byte offsets of the packed weights and the bias in the network's memory. */
  w: number;
  bias: number;
  /** Activation applied after the kernel (the kernel itself applies relu). */
  after: "none" | "tanh" | "swish";
  run: (x: number, w: number, bias: number, out: number, rows: number) => void;
}

/** What {@linkcode PackedMlp} is built from (the shape of `Mlp.getWeights`). */
export interface PackedMlpOptions {
  /** `[input, ...hidden, output]`. */
  layerSizes: readonly number[];
  /** Hidden activation (the output layer is linear). */
  activation: Activation;
  /** `[W0, b0, W1, b1, ...]`, each `W` row-major `[in, out]`. */
  weights: readonly Float32Array[];
  /**
   * The multiply-add to generate; `"simd"` forces the unfused one (comparisons, benchmarks).
   * @default {kernelInstructions()}
   */
  instructions?: KernelInstructions;
}

/**
 * A frozen copy of an MLP's weights in its own WebAssembly memory, run by the generated
 * dense kernels. Holds no tensors (nothing to dispose: the memory is garbage-collected).
 *
 * @example
 * ```ts
 * // y = relu(x * 2 + 1) * 3 for one input, one hidden unit, one output
 * const net = new PackedMlp({
 *   layerSizes: [1, 1, 1],
 *   activation: "relu",
 *   weights: [Float32Array.of(2), Float32Array.of(1), Float32Array.of(3), Float32Array.of(0)],
 * });
 * net.forward(Float32Array.of(1, -1), 2); // Float32Array [9, 0]
 * ```
 */
export class PackedMlp {
  /** `[input, ...hidden, output]`. */
  readonly layerSizes: readonly number[];
  #layers: PackedLayer[];
  #memory: WebAssembly.Memory;
  /** Byte offset where the activation buffers start. */
  #scratch: number;
  /** Widest padded activation, floats per row. */
  #width: number;
  /** Rows the scratch space holds. */
  #capacity = 0;
  /** Which multiply-add the kernels use. */
  readonly instructions: KernelInstructions;

  /**
   * @throws {RangeError} when `weights` does not match `layerSizes`; {Error} when relaxed
   *   SIMD is asked for on an engine without it.
   */
  constructor(options: PackedMlpOptions) {
    const available = kernelInstructions();
    this.instructions = options.instructions ?? available;
    if (this.instructions === "relaxed-simd-fma" && available !== "relaxed-simd-fma") {
      throw new Error("Expected a WebAssembly engine with relaxed SIMD but this one has none");
    }
    const sizes = options.layerSizes;
    const numLayers = sizes.length - 1;
    if (numLayers < 1 || options.weights.length !== 2 * numLayers) {
      throw new RangeError(
        `Expected ${
          2 * Math.max(numLayers, 1)
        } weight arrays for layerSizes [${sizes}] but found ${options.weights.length}`,
      );
    }
    this.layerSizes = [...sizes];
    const shapes = [];
    let offset = 0;
    for (let l = 0; l < numLayers; l++) {
      const kp = roundUp(sizes[l]!, l === 0 ? K_UNROLL : PANEL_COLS);
      const np = roundUp(sizes[l + 1]!, PANEL_COLS);
      const w = options.weights[2 * l]!;
      const bias = options.weights[2 * l + 1]!;
      if (w.length !== sizes[l]! * sizes[l + 1]! || bias.length !== sizes[l + 1]!) {
        throw new RangeError(
          `Expected layer ${l} weights of ${sizes[l]! * sizes[l + 1]!} and ${
            sizes[l + 1]
          } values but found ${w.length} and ${bias.length}`,
        );
      }
      shapes.push({ kp, np, w: offset, bias: offset + kp * np * BYTES });
      offset += (kp * np + np) * BYTES;
    }
    this.#scratch = offset;
    this.#width = Math.max(...shapes.map((s) => Math.max(s.kp, s.np)));
    this.#memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(offset / PAGE_BYTES)) });
    const f32 = new Float32Array(this.#memory.buffer);
    const hidden = options.activation;
    this.#layers = shapes.map((s, l) => {
      const w = options.weights[2 * l]!;
      const inDim = sizes[l]!;
      const out = sizes[l + 1]!;
      // Panel-major: panel p holds columns [8p, 8p + 8) of every row k, contiguous.
      for (let k = 0; k < inDim; k++) {
        for (let j = 0; j < out; j++) {
          const p = Math.floor(j / PANEL_COLS);
          f32[s.w / BYTES + p * s.kp * PANEL_COLS + k * PANEL_COLS + (j % PANEL_COLS)] =
            w[k * out + j]!;
        }
      }
      f32.set(options.weights[2 * l + 1]!, s.bias / BYTES);
      const isHidden = l < numLayers - 1;
      const relu = isHidden && hidden === "relu";
      const after = !isHidden || hidden === "relu" || hidden === "linear"
        ? "none"
        : hidden === "tanh"
        ? "tanh"
        : "swish";
      const module = denseModule(s.kp, s.np, relu, this.instructions);
      const instance = new WebAssembly.Instance(module, {
        env: { memory: this.#memory },
      });
      const run = instance.exports.dense as PackedLayer["run"];
      return { ...s, after, run };
    });
  }

  /** Makes room for `rows` (a multiple of the tile, at most a chunk) in each activation buffer. */
  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    const capacity = Math.min(CHUNK_ROWS, roundUp(Math.max(rows, 2 * this.#capacity), TILE_ROWS));
    const need = this.#scratch + 2 * capacity * this.#width * BYTES;
    const have = this.#memory.buffer.byteLength;
    if (need > have) this.#memory.grow(Math.ceil((need - have) / PAGE_BYTES));
    this.#capacity = capacity;
  }

  /**
   * The network's output for `n` rows of `x` (`[n, input]`, row-major), as a new
   * `Float32Array` `[n, output]`.
   * @throws {RangeError} when `x` holds fewer than `n * input` values.
   */
  forward(x: Float32Array, n: number): Float32Array {
    const inDim = this.layerSizes[0]!;
    if (!Number.isInteger(n) || n < 0 || x.length < n * inDim) {
      throw new RangeError(
        `Expected x to hold ${n} rows of ${inDim} values but found ${x.length} values`,
      );
    }
    const outDim = this.layerSizes[this.layerSizes.length - 1]!;
    const y = new Float32Array(n * outDim);
    for (let r0 = 0; r0 < n; r0 += CHUNK_ROWS) {
      const m = Math.min(CHUNK_ROWS, n - r0);
      this.#forwardChunk(x.subarray(r0 * inDim, (r0 + m) * inDim), m, y.subarray(r0 * outDim));
    }
    return y;
  }

  /** Rows `[0, m)` of `x` (at most {@linkcode CHUNK_ROWS}) into `y`. */
  #forwardChunk(x: Float32Array, m: number, y: Float32Array): void {
    const inDim = this.layerSizes[0]!;
    const outDim = this.layerSizes[this.layerSizes.length - 1]!;
    const rows = roundUp(m, TILE_ROWS);
    this.#reserve(rows);
    const buffers = [this.#scratch, this.#scratch + this.#capacity * this.#width * BYTES];
    const f32 = new Float32Array(this.#memory.buffer);
    const first = this.#layers[0]!;
    const base = buffers[0]! / BYTES;
    if (first.kp === inDim) f32.set(x, base);
    else {
      // Padding written in the loop: a `fill` call per row cost more than the copy itself.
      const kp = first.kp;
      for (let r = 0; r < m; r++) {
        const o = base + r * kp;
        for (let j = 0; j < inDim; j++) f32[o + j] = x[r * inDim + j]!;
        for (let j = inDim; j < kp; j++) f32[o + j] = 0;
      }
    }
    let src = 0;
    for (const layer of this.#layers) {
      const dst = 1 - src;
      layer.run(buffers[src]!, layer.w, layer.bias, buffers[dst]!, rows);
      if (layer.after !== "none") activate(f32, buffers[dst]! / BYTES, m * layer.np, layer.after);
      src = dst;
    }
    const last = this.#layers[this.#layers.length - 1]!;
    const from = buffers[src]! / BYTES;
    if (last.np === outDim) y.set(f32.subarray(from, from + m * outDim));
    else {
      // An indexed copy: a subarray per row costs more than the copy for narrow outputs.
      for (let r = 0; r < m; r++) {
        const o = from + r * last.np;
        for (let j = 0; j < outDim; j++) y[r * outDim + j] = f32[o + j]!;
      }
    }
  }
}

/** Applies tanh or swish in place to `count` floats from `start` (padding stays 0). */
function activate(f32: Float32Array, start: number, count: number, kind: "tanh" | "swish"): void {
  const end = start + count;
  if (kind === "tanh") { for (let i = start; i < end; i++) f32[i] = Math.tanh(f32[i]!); }
  else {
    for (let i = start; i < end; i++) {
      const z = f32[i]!;
      f32[i] = z / (1 + Math.exp(-z));
    }
  }
}
