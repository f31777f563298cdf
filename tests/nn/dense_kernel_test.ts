import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { Adam, Mlp } from "../../lib/nn/mod.ts";
import { kernelInstructions, PackedMlp } from "../../lib/nn/dense_kernel.ts";
import { sleb, uleb } from "../../lib/nn/wasm_bytes.ts";
import { Rng } from "../../lib/rng.ts";

await setupBackend();

function tfjsOutput(net: Mlp, x: Float32Array, n: number): Float32Array {
  const t = tf.tidy(() => net.forward(tf.tensor2d(x, [n, net.inputSize])));
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  }
  return worst;
}

Deno.test("LEB128 encodings match the specification's examples", () => {
  assertEquals(uleb(0), [0]);
  assertEquals(uleb(127), [0x7f]);
  assertEquals(uleb(128), [0x80, 0x01]);
  assertEquals(uleb(624485), [0xe5, 0x8e, 0x26]);
  assertEquals(sleb(-1), [0x7f]);
  assertEquals(sleb(63), [0x3f]);
  assertEquals(sleb(64), [0xc0, 0x00]);
  assertEquals(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assertThrows(() => uleb(-1), RangeError);
  assertThrows(() => sleb(2 ** 31), RangeError);
});

const SHAPES = [
  { sizes: [5, 256, 256, 10], activation: "relu" },
  { sizes: [3, 7, 11], activation: "tanh" },
  { sizes: [9, 13, 5, 1], activation: "swish" },
  { sizes: [4, 64, 64, 5], activation: "linear" },
  { sizes: [8, 16, 3], activation: "silu" },
] as const;

for (const instructions of ["relaxed-simd-fma", "simd"] as const) {
  Deno.test({
    name: `PackedMlp (${instructions}) matches Mlp.forward for every activation and ragged sizes`,
    // An engine without relaxed SIMD reports this one as ignored rather than passed.
    ignore: instructions === "relaxed-simd-fma" && kernelInstructions() !== instructions,
    fn: () => {
      const rng = new Rng(4);
      for (const { sizes, activation } of SHAPES) {
        const net = new Mlp({ layerSizes: sizes, activation, rng: rng.stream(sizes.join()) });
        const packed = new PackedMlp({
          layerSizes: sizes,
          activation,
          weights: net.getWeights(),
          instructions,
        });
        assertEquals(packed.instructions, instructions);
        for (const n of [1, 5, 6, 7, 13, 300]) {
          const x = rng.fillNormal(new Float32Array(n * sizes[0]));
          const err = maxRelativeError(packed.forward(x, n), tfjsOutput(net, x, n));
          assertLess(err, 1e-5, `${sizes} ${activation} n=${n}: ${err}`);
        }
        net.dispose();
      }
    },
  });
}

Deno.test("PackedMlp rows do not depend on the batch: each row alone gives the same bits", () => {
  const rng = new Rng(5);
  const sizes = [5, 32, 32, 10];
  const net = new Mlp({ layerSizes: sizes, rng });
  const packed = new PackedMlp({
    layerSizes: sizes,
    activation: "relu",
    weights: net.getWeights(),
  });
  const n = 17;
  const x = rng.fillNormal(new Float32Array(n * 5));
  const all = packed.forward(x, n);
  for (const r of [0, 5, 6, 16]) {
    const one = packed.forward(x.slice(r * 5, r * 5 + 5), 1);
    assertEquals(Array.from(one), Array.from(all.subarray(r * 10, r * 10 + 10)));
  }
  // A larger batch after a smaller one (the scratch memory grows) gives the same rows too.
  // More rows than one kernel pass (2,046): every pass gives the rows the same bits.
  const many = 5000;
  const xs = rng.fillNormal(new Float32Array(many * 5));
  const big = packed.forward(xs, many);
  for (const r of [0, 2045, 2046, 4091, 4092, 4999]) {
    const one = packed.forward(xs.slice(r * 5, r * 5 + 5), 1);
    assertEquals(Array.from(big.subarray(r * 10, r * 10 + 10)), Array.from(one));
  }
  assertLess(maxRelativeError(big, tfjsOutput(net, xs, many)), 1e-5);
  net.dispose();
});

Deno.test("Mlp.predict follows weight changes (setWeights, Adam steps) and holds no tensors", () => {
  const rng = new Rng(6);
  const net = new Mlp({ layerSizes: [3, 8, 2], rng: rng.stream("a") });
  const other = new Mlp({ layerSizes: [3, 8, 2], rng: rng.stream("b") });
  const x = rng.fillNormal(new Float32Array(4 * 3));
  const before = net.predict(x, 4);
  assertLess(maxRelativeError(before, tfjsOutput(net, x, 4)), 1e-6);
  net.setWeights(other.getWeights());
  assertLess(maxRelativeError(net.predict(x, 4), tfjsOutput(other, x, 4)), 1e-6);
  const adam = new Adam(net.variables, { learningRate: 0.1 });
  tf.tidy(() => {
    const grads = net.variables.map((v) => tf.onesLike(v));
    adam.step(grads);
  });
  const after = net.predict(x, 4);
  assert(maxRelativeError(after, tfjsOutput(other, x, 4)) > 1e-3, "predict used stale weights");
  assertLess(maxRelativeError(after, tfjsOutput(net, x, 4)), 1e-6);
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) net.predict(x, 4);
  assertEquals(tf.memory().numTensors, tensors);
  adam.dispose();
  net.dispose();
  other.dispose();
  assertThrows(() => net.predict(x, 4), Error);
});

Deno.test("PackedMlp refuses mismatched weights and short inputs", () => {
  assertThrows(
    () => new PackedMlp({ layerSizes: [2, 3], activation: "relu", weights: [new Float32Array(6)] }),
    RangeError,
    "Expected 2 weight arrays",
  );
  assertThrows(
    () =>
      new PackedMlp({
        layerSizes: [2, 3],
        activation: "relu",
        weights: [new Float32Array(5), new Float32Array(3)],
      }),
    RangeError,
    "Expected layer 0 weights of 6 and 3 values but found 5 and 3",
  );
  const packed = new PackedMlp({
    layerSizes: [2, 3],
    activation: "relu",
    weights: [new Float32Array(6), new Float32Array(3)],
  });
  assertThrows(() => packed.forward(new Float32Array(3), 2), RangeError, "2 rows of 2 values");
  assertEquals(packed.forward(new Float32Array(0), 0).length, 0);
});
