/**
 * Benchmark of the neural-network and dynamics-model hot paths, per available backend:
 *
 * - training steps per second, batch 256, [256, 256] hidden, hand-arranged gradients
 *   ({@linkcode Mlp.gradients} + {@linkcode Adam}) vs tfjs's built-in gradients
 *   (`tf.train.adam().minimize` over the same maths);
 * - one `train()` epoch of a probabilistic dynamics model, in steps per second;
 * - batched prediction throughput in GFLOP/s (multiply-adds counted as 2 FLOPs) at batch 1,000
 *   (one network) and 25,000 (5 members x 5,000 rows, TS-inf), for the raw network and
 *   through the model API (input packing and output decoding included).
 *
 * Prints figures; asserts nothing. Usage: `deno task bench:model [--quick]`
 * (`--quick` runs fewer iterations).
 *
 * @module
 */
import { cpuLine } from "./machine.ts";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, setupBackend } from "../backend.ts";
import { Adam } from "../nn/adam.ts";
import { Mlp } from "../nn/mlp.ts";
import { EnsembleDynamicsModel } from "../models/ensemble_model.ts";
import { ProbabilisticDynamicsModel } from "../models/probabilistic_model.ts";
import { Rng } from "../rng.ts";

const STATE = 4;
const ACTION = 1;
const HIDDEN = [256, 256];
const IN = STATE + ACTION;

/** Multiply-add FLOPs of one row through `[in, ...hidden, out]`. */
function flopsPerRow(sizes: number[]): number {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += 2 * sizes[l]! * sizes[l + 1]!;
  return f;
}

/** Mean seconds per call of `fn` after `warmup` calls (wall clock). */
function time(fn: () => void, iterations: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / 1000 / iterations;
}

function randomArray(rng: Rng, n: number): Float32Array {
  return rng.fillNormal(new Float32Array(n));
}

async function benchBackend(backend: BackendName, scale: number): Promise<void> {
  const info = await setupBackend({ backend });
  console.log(
    `\n## backend ${info.backend} (simd ${info.simd}, threads ${info.threads})`,
  );
  const rng = new Rng(0);
  const iters = (n: number) => Math.max(1, Math.round(n * scale));
  const warm = scale < 0.5 ? 1 : 3;

  // Training: hand-arranged vs built-in gradients.
  const sizes = [IN, ...HIDDEN, STATE + 1];
  const net = new Mlp({ layerSizes: sizes, rng: rng.stream("net") });
  const adam = new Adam(net.variables, { learningRate: 3e-4, clipNorm: 10 });
  const x = tf.tensor2d(randomArray(rng, 256 * IN), [256, IN]);
  const y = tf.tensor2d(randomArray(rng, 256 * (STATE + 1)), [256, STATE + 1]);
  const hand = time(() =>
    tf.tidy(() => {
      const { grads } = net.gradients(x, (out) => tf.losses.meanSquaredError(y, out));
      adam.step(grads);
    }), iters(100));
  const builtInOpt = tf.train.adam(3e-4);
  const vars = net.variables;
  const builtIn = time(() => {
    builtInOpt.minimize(() => {
      let h: tf.Tensor2D = x;
      for (let l = 0; l < vars.length / 2; l++) {
        const last = l === vars.length / 2 - 1;
        h = tf.fused.matMul({
          a: h,
          b: vars[2 * l] as tf.Tensor2D,
          bias: vars[2 * l + 1],
          activation: last ? "linear" : "relu",
        }) as tf.Tensor2D;
      }
      return tf.losses.meanSquaredError(y, h) as tf.Scalar;
    });
  }, iters(30));
  console.log(
    `train step, batch 256, [256,256]: hand-arranged ${(1 / hand).toFixed(1)} steps/s, ` +
      `built-in ${(1 / builtIn).toFixed(1)} steps/s (${(builtIn / hand).toFixed(1)}x)`,
  );
  builtInOpt.dispose();
  adam.dispose();
  tf.dispose([x, y]);

  // One train() epoch of a probabilistic model (90% train / 10% validation split).
  const rows = Math.ceil((256 * iters(60)) / 0.9);
  const data = {
    size: rows,
    stateDim: STATE,
    actionDim: ACTION,
    states: randomArray(rng, rows * STATE),
    actions: randomArray(rng, rows * ACTION),
    nextStates: randomArray(rng, rows * STATE),
    rewards: randomArray(rng, rows),
    terminated: new Uint8Array(rows),
    truncated: new Uint8Array(rows),
  };
  const model = new ProbabilisticDynamicsModel({
    stateDim: STATE,
    actionDim: ACTION,
    hiddenSizes: HIDDEN,
    rng: rng.stream("model"),
  });
  await model.train(data, { epochs: 1 });
  const started = performance.now();
  await model.train(data, { epochs: 1 });
  const epochSeconds = (performance.now() - started) / 1000;
  const steps = Math.ceil((rows - Math.floor(rows * 0.1)) / 256);
  console.log(
    `ProbabilisticDynamicsModel.train (NLL, [256,256], batch 256): ` +
      `${(steps / epochSeconds).toFixed(1)} steps/s over a whole epoch of ${steps} steps ` +
      `(data packing, normaliser fit, validation and best-weight snapshot included)`,
  );

  // Prediction throughput.
  for (const n of [1000]) {
    const xin = tf.tensor2d(randomArray(rng, n * IN), [n, IN]);
    const raw = time(() => {
      const out = net.forward(xin);
      out.dataSync();
      out.dispose();
    }, iters(50));
    const states = randomArray(rng, n * STATE);
    const actions = randomArray(rng, n * ACTION);
    const api = time(() => model.predict(states, actions), iters(50));
    const twin = new ProbabilisticDynamicsModel({
      stateDim: STATE,
      actionDim: ACTION,
      hiddenSizes: HIDDEN,
      inference: "tfjs",
      rng: rng.stream("model"),
    });
    const apiTfjs = time(() => twin.predict(states, actions), iters(50));
    twin.dispose();
    const gflop = (flopsPerRow(sizes) * n) / 1e9;
    const gflopProb = (flopsPerRow([IN, ...HIDDEN, 2 * (STATE + 1)]) * n) / 1e9;
    console.log(
      `predict batch ${n}, one [256,256] net: raw tfjs forward ${(gflop / raw).toFixed(1)} ` +
        `GFLOP/s (${(raw * 1e3).toFixed(2)} ms); model.predict (kernel inference) ${
          (gflopProb / api).toFixed(1)
        } GFLOP/s (${(api * 1e3).toFixed(2)} ms); model.predict (inference "tfjs") ${
          (gflopProb / apiTfjs).toFixed(1)
        } GFLOP/s (${(apiTfjs * 1e3).toFixed(2)} ms)`,
    );
    xin.dispose();
  }
  model.dispose();

  const members = 5;
  const perMember = 5000;
  const ensemble = new EnsembleDynamicsModel({
    stateDim: STATE,
    actionDim: ACTION,
    hiddenSizes: HIDDEN,
    numModels: members,
    rng: rng.stream("ensemble"),
  });
  const nets = Array.from(
    { length: members },
    (_, m) => new Mlp({ layerSizes: sizes, rng: rng.stream(`member${m}`) }),
  );
  const xm = tf.tensor2d(randomArray(rng, perMember * IN), [perMember, IN]);
  const loop = time(
    () => {
      const outs = tf.tidy(() => nets.map((m) => m.forward(xm)));
      for (const o of outs) o.dataSync();
      tf.dispose(outs);
    },
    iters(10),
    warm > 1 ? 1 : 0,
  );
  const total = members * perMember;
  const states = randomArray(rng, total * STATE);
  const actions = randomArray(rng, total * ACTION);
  const sampleRng = new Rng(1);
  const api = time(
    () => ensemble.sample(states, actions, { rng: sampleRng, propagation: "tsinf" }),
    iters(10),
    warm > 1 ? 1 : 0,
  );
  const ensembleTfjs = new EnsembleDynamicsModel({
    stateDim: STATE,
    actionDim: ACTION,
    hiddenSizes: HIDDEN,
    numModels: members,
    inference: "tfjs",
    rng: rng.stream("ensemble"),
  });
  const apiTfjs = time(
    () => ensembleTfjs.sample(states, actions, { rng: sampleRng, propagation: "tsinf" }),
    iters(10),
    warm > 1 ? 1 : 0,
  );
  ensembleTfjs.dispose();
  const gflop = (flopsPerRow(sizes) * total) / 1e9;
  const gflopProb = (flopsPerRow([IN, ...HIDDEN, 2 * (STATE + 1)]) * total) / 1e9;
  console.log(
    `predict batch ${total} (${members} members x ${perMember}), loop of 2-D tfjs matMuls: ` +
      `raw ${(gflop / loop).toFixed(1)} GFLOP/s (${(loop * 1e3).toFixed(1)} ms); ` +
      `ensemble.sample tsinf (kernel inference) ${(gflopProb / api).toFixed(1)} GFLOP/s (${
        (api * 1e3).toFixed(1)
      } ms); (inference "tfjs") ${(gflopProb / apiTfjs).toFixed(1)} GFLOP/s (${
        (apiTfjs * 1e3).toFixed(1)
      } ms)`,
  );
  tf.dispose(xm);
  for (const m of nets) m.dispose();
  ensemble.dispose();
  net.dispose();
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  console.log(
    `# model benchmark (Deno ${Deno.version.deno}, tfjs ${tf.version.tfjs}, ` +
      `${navigator.hardwareConcurrency} cores (${cpuLine()}), load average ${
        Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
      })`,
  );
  await benchBackend("wasm", quick ? 0.2 : 1);
  await benchBackend("cpu", quick ? 0.02 : 0.1);
}
