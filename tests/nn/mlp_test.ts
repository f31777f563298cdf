import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { type Activation, Adam, Mlp } from "../../lib/nn/mod.ts";
import { Rng } from "../../lib/rng.ts";

await setupBackend();

function randomTensor(rng: Rng, shape: [number, number]): tf.Tensor2D {
  return tf.tensor2d(rng.fillNormal(new Float32Array(shape[0] * shape[1])), shape);
}

/** The same network written with plain tfjs ops, for tf.grads to differentiate. */
function reference(params: tf.Tensor[], x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  let h: tf.Tensor = x;
  const layers = params.length / 2;
  for (let l = 0; l < layers; l++) {
    h = tf.add(tf.matMul(h as tf.Tensor2D, params[2 * l] as tf.Tensor2D), params[2 * l + 1]!);
    if (l < layers - 1) {
      if (activation === "relu") h = tf.relu(h);
      else if (activation === "tanh") h = tf.tanh(h);
      else if (activation === "swish" || activation === "silu") h = tf.mul(h, tf.sigmoid(h));
    }
  }
  return h as tf.Tensor2D;
}

for (const activation of ["relu", "swish", "tanh", "linear"] as const) {
  Deno.test(`Mlp.backward equals tf.grads of the same maths (${activation})`, () => {
    const rng = new Rng(1);
    const net = new Mlp({ layerSizes: [5, 16, 12, 3], activation, rng: rng.stream("init") });
    tf.tidy(() => {
      const x = randomTensor(rng, [32, 5]);
      const r = randomTensor(rng, [32, 3]);
      const { output, cache } = net.forwardWithCache(x);
      const ours = net.backward(cache, r);
      const f = (...params: tf.Tensor[]) => tf.sum(tf.mul(reference(params, x, activation), r));
      const theirs = tf.grads(f)(net.variables);
      const refOut = reference(net.variables, x, activation);
      assertLess(tf.max(tf.abs(tf.sub(output, refOut))).dataSync()[0]!, 1e-5);
      assertLess(tf.max(tf.abs(tf.sub(net.forward(x), refOut))).dataSync()[0]!, 1e-5);
      assertEquals(ours.length, theirs.length);
      for (let i = 0; i < ours.length; i++) {
        assertEquals(ours[i]!.shape, theirs[i]!.shape);
        const scale = Math.max(1, tf.max(tf.abs(theirs[i]!)).dataSync()[0]!);
        const err = tf.max(tf.abs(tf.sub(ours[i]!, theirs[i]!))).dataSync()[0]!;
        assertLess(err / scale, 1e-5, `param ${i}: max abs error ${err}`);
      }
    });
    net.dispose();
  });
}

Deno.test("Mlp.gradients + Adam fit a small regression and leak no tensors", () => {
  const rng = new Rng(2);
  const net = new Mlp({ layerSizes: [2, 32, 1], rng: rng.stream("init") });
  const opt = new Adam(net.variables, { learningRate: 1e-2, clipNorm: 5 });
  const n = 128;
  const xs = rng.fillUniform(new Float32Array(n * 2), -1, 1);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) ys[i] = Math.sin(2 * xs[2 * i]!) + xs[2 * i + 1]! ** 2;
  const x = tf.tensor2d(xs, [n, 2]);
  const y = tf.tensor2d(ys, [n, 1]);
  const lossAt = (): number =>
    tf.tidy(() => tf.losses.meanSquaredError(y, net.forward(x)).dataSync()[0]!);
  const trainStep = (): void =>
    tf.tidy(() => {
      const { grads } = net.gradients(x, (out) => tf.losses.meanSquaredError(y, out));
      opt.step(grads);
    });
  const before = lossAt();
  trainStep();
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 300; i++) trainStep();
  assertEquals(tf.memory().numTensors, tensors);
  const after = lossAt();
  assertLess(after, before * 0.05, `loss ${before} -> ${after}`);
  assertEquals(opt.iterations, 301);
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
});

Deno.test("Adam matches a hand-computed PyTorch-form step, decoupled and l2 decay", () => {
  for (const mode of ["decoupled", "l2"] as const) {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Adam([p], {
      learningRate: 0.1,
      weightDecay: 0.5,
      weightDecayMode: mode,
      epsilon: 1e-8,
    });
    const g0 = [0.5, 0.25];
    const expected = [1, -2].map((w, i) => {
      let g = g0[i]!;
      if (mode === "l2") g += 0.5 * w;
      const m = 0.1 * g;
      const v = 0.001 * g * g;
      let next = w - (0.1 / 0.1) * m / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8);
      if (mode === "decoupled") next -= 0.1 * 0.5 * w;
      return next;
    });
    const g = tf.tensor1d(g0);
    opt.step([g]);
    const got = p.dataSync();
    for (let i = 0; i < 2; i++) assertLess(Math.abs(got[i]! - expected[i]!), 1e-5);
    tf.dispose([p, g]);
    opt.dispose();
  }
});

Deno.test("Adam clipNorm rescales the global gradient norm", () => {
  const a = tf.variable(tf.tensor1d([0, 0]));
  const b = tf.variable(tf.tensor1d([0]));
  // With a single step Adam's update is lr * sign(g) regardless of scale, so check through
  // the second step where the moments mix a clipped and an unclipped gradient.
  const run = (clipNorm: number | undefined): number[] => {
    a.assign(tf.zeros([2]));
    b.assign(tf.zeros([1]));
    const opt = new Adam([a, b], { learningRate: 1, clipNorm });
    const big = [tf.tensor1d([30, 40]), tf.tensor1d([0])]; // norm 50
    const small = [tf.tensor1d([-3, 4]), tf.tensor1d([0])]; // norm 5
    opt.step(big);
    opt.step(small);
    tf.dispose([...big, ...small]);
    opt.dispose();
    return Array.from(a.dataSync());
  };
  const clipped = run(5);
  const unclipped = run(undefined);
  assert(Math.abs(clipped[0]! - unclipped[0]!) > 1e-3, `${clipped} vs ${unclipped}`);
  // By hand for clipNorm 5: g1 = [3, 4], g2 = [-3, 4].
  const m = [0.9 * 0.1 * 3 + 0.1 * -3, 0.9 * 0.1 * 4 + 0.1 * 4];
  const v = [0.999 * 0.001 * 9 + 0.001 * 9, 0.999 * 0.001 * 16 + 0.001 * 16];
  const bc1 = 1 - 0.9 ** 2;
  const bc2 = Math.sqrt(1 - 0.999 ** 2);
  const first = [-1, -1];
  for (let i = 0; i < 2; i++) {
    const expected = first[i]! - (1 / bc1) * m[i]! / (Math.sqrt(v[i]!) / bc2 + 1e-8);
    assertLess(Math.abs(clipped[i]! - expected), 1e-4);
  }
  tf.dispose([a, b]);
});

Deno.test("Mlp: same seed gives the same weights; set/get/clone round-trip", () => {
  const a = new Mlp({ layerSizes: [3, 8, 2], rng: new Rng(7) });
  const b = new Mlp({ layerSizes: [3, 8, 2], rng: new Rng(7) });
  const c = new Mlp({ layerSizes: [3, 8, 2], rng: new Rng(8) });
  assertEquals(a.getWeights(), b.getWeights());
  assert(a.getWeights()[0]!.some((w, i) => w !== c.getWeights()[0]![i]));
  c.setWeights(a.getWeights());
  assertEquals(c.getWeights(), a.getWeights());
  const d = a.clone();
  assertEquals(d.getWeights(), a.getWeights());
  const e = new Mlp({ layerSizes: [3, 8, 2], rng: new Rng(9) });
  e.copyFrom(a);
  assertEquals(e.getWeights(), a.getWeights());
  assertEquals(a.numParams, 3 * 8 + 8 + 8 * 2 + 2);
  for (const net of [a, b, c, d, e]) net.dispose();
});

Deno.test("Mlp: orthogonal init gives orthonormal columns times the gain", () => {
  const net = new Mlp({
    layerSizes: [16, 8, 2],
    rng: new Rng(3),
    init: "orthogonal",
    gain: 2,
  });
  const w = net.getWeights()[0]!; // [16, 8]
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 8; j++) {
      let dot = 0;
      for (let r = 0; r < 16; r++) dot += w[r * 8 + i]! * w[r * 8 + j]!;
      assertLess(Math.abs(dot - (i === j ? 4 : 0)), 1e-4);
    }
  }
  net.dispose();
});

Deno.test("Mlp: bad options and inputs throw clear errors", () => {
  const rng = new Rng(0);
  assertThrows(() => new Mlp({ layerSizes: [3, 0, 2], rng }), RangeError, "positive integers");
  assertThrows(() => new Mlp({ layerSizes: [3], rng }), RangeError, "at least 2");
  assertThrows(() => new Mlp({ layerSizes: [3, 2] }), TypeError, "rng");
  assertThrows(
    () => new Mlp({ layerSizes: [3, 2], rng, activation: "gelu" as Activation }),
    TypeError,
    "activation",
  );
  const net = new Mlp({ layerSizes: [3, 4, 2], rng });
  const x = tf.zeros([5, 4]) as tf.Tensor2D;
  assertThrows(() => net.forward(x), RangeError, "[n, 3]");
  assertThrows(() => net.setWeights([new Float32Array(1)]), RangeError, "4 weight arrays");
  const w = net.getWeights();
  w[0]![0] = NaN;
  assertThrows(() => net.setWeights(w), RangeError, "finite");
  assertThrows(() => new Adam(net.variables, { learningRate: 0 }), RangeError, "learningRate");
  x.dispose();
  net.dispose();
  assertThrows(() => net.forward(tf.zeros([1, 3])), Error, "disposed");
});

Deno.test("Mlp.forward leaks no tensors", () => {
  const net = new Mlp({ layerSizes: [4, 16, 16, 2], activation: "swish", rng: new Rng(4) });
  const x = tf.ones([10, 4]) as tf.Tensor2D;
  net.forward(x).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) net.forward(x).dispose();
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
  net.dispose();
});
