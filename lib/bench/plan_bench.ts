/**
 * `deno task bench:plan`: planning time per step for the design's default planner (random
 * shooting, 1,000 sequences, horizon 10, a [256,256] probabilistic model; the model class's
 * default inference, the dense kernel, and once more on tfjs inference), CEM and MPPI at the
 * same size, and the training default (random shooting over action indices, 500 x H15,
 * [64,64] deterministic, on tfjs inference; CartPole-v1's preset infers on the kernel, as the
 * lockstep case's second row does), each with 0, 1 and 2 planning workers (1, 2 and 3
 * threads); the lockstep evaluation step (10 episodes planned in one call) on both engines;
 * the raw GFLOP/s of tfjs's matMul and of the dense kernel, and the ceiling both work under
 * (one wasm thread's f32x4 multiply-add peak, `simd_peak.ts`); numpy's one-thread time for the
 * design-default step and its BLAS matMul rate (when a `python3` with numpy is on PATH) and our
 * ratio to it; and a
 * breakdown of where a design-default step's time goes.
 *
 * The machine may be shared, so every figure is measured in `--rounds` interleaved rounds
 * (numpy, then each worker count, in turn) and reported as the median with the range; compare
 * ratios within one run. Models are fitted for 2 epochs on random CartPole transitions
 * (planning cost does not depend on how good the model is). FLOPs count the model's matrix
 * multiplies only (`2 * in * out` per dense layer and row).
 *
 * Usage: `deno task bench:plan [--steps 10] [--rounds 3] [--workers 0,1,2] [--quick]`
 *
 * @module
 */
import { cpuLine } from "./machine.ts";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../backend.ts";
import { ReplayBuffer } from "../buffer/mod.ts";
import { CartPoleEnv } from "../envs/cart_pole.ts";
import { createDynamicsModel, type DynamicsModelType, type ModelInference } from "../models/mod.ts";
import { kernelInstructions, PackedMlp } from "../nn/dense_kernel.ts";
import { simdPeakGflops } from "./simd_peak.ts";
import type { DynamicsModel, DynamicsPrediction } from "../models/types.ts";
import {
  type ActionMode,
  makeMpcPlanner,
  type MpcPlanner,
  type PlanWorkerTimings,
} from "../planners/mod.ts";

import { Rng } from "../rng.ts";
import { parseFlags } from "../cli/args.ts";

/** One benchmarked configuration. */
interface BenchCase {
  name: string;
  planner: "random_shooting" | "cem" | "mppi";
  modelType: DynamicsModelType;
  hidden: number[];
  numSamples: number;
  horizon: number;
  actionMode: ActionMode;
  iterations: number;
  /** Planning slots per call (10 = a lockstep evaluation step). */
  slots: number;
  /** Timed steps relative to `--steps`. */
  stepScale: number;
  /** The model's inference engine. */
  inference: ModelInference;
}

/** The design's planning setting, which most cases vary one thing of. */
const DESIGN_DEFAULT: Omit<BenchCase, "name"> = {
  planner: "random_shooting",
  modelType: "probabilistic",
  hidden: [256, 256],
  numSamples: 1000,
  horizon: 10,
  actionMode: "continuous",
  iterations: 1,
  slots: 1,
  stepScale: 1,
  inference: "kernel",
};

const TRAIN_DEFAULT: Omit<BenchCase, "name"> = {
  planner: "random_shooting",
  modelType: "deterministic",
  hidden: [64, 64],
  numSamples: 500,
  horizon: 15,
  actionMode: "discrete",
  iterations: 1,
  slots: 1,
  stepScale: 2,
  inference: "tfjs",
};

const CASES: BenchCase[] = [
  { ...DESIGN_DEFAULT, name: "design default: RS 1000 x H10, [256,256] probabilistic" },
  {
    ...DESIGN_DEFAULT,
    name: 'design default on tfjs inference (inference: "tfjs")',
    inference: "tfjs",
  },
  {
    ...DESIGN_DEFAULT,
    name: "CEM 1000 x H10 x 5 iterations, [256,256] probabilistic",
    planner: "cem",
    iterations: 5,
    stepScale: 0.3,
  },
  {
    ...DESIGN_DEFAULT,
    name: "MPPI 1000 x H10 x 1 iteration, [256,256] probabilistic",
    planner: "mppi",
  },
  { ...TRAIN_DEFAULT, name: "train default: RS 500 x H15 discrete, [64,64] deterministic" },
  {
    ...TRAIN_DEFAULT,
    name: "train default, lockstep evaluation step: 10 episodes in one call",
    slots: 10,
    stepScale: 1,
  },
  {
    ...TRAIN_DEFAULT,
    name: "train default, lockstep evaluation step, --inference kernel",
    slots: 10,
    stepScale: 1,
    inference: "kernel",
  },
];

/** Matrix-multiply FLOPs of one row through the network. */
function flopsPerRow(c: BenchCase, stateDim: number, actionDim: number): number {
  const out = (stateDim + 1) * (c.modelType === "deterministic" ? 1 : 2);
  const sizes = [stateDim + actionDim, ...c.hidden, out];
  let flops = 0;
  for (let i = 0; i + 1 < sizes.length; i++) flops += 2 * sizes[i]! * sizes[i + 1]!;
  return flops;
}

function randomData(rng: Rng, steps: number): { buffer: ReplayBuffer; states: Float32Array[] } {
  const env = new CartPoleEnv({ rng: rng.stream("env") });
  const buffer = new ReplayBuffer(steps, { stateDim: 4, actionDim: 1, rng: rng.stream("buf") });
  const states: Float32Array[] = [];
  let obs = env.reset().observation;
  for (let t = 0; t < steps; t++) {
    const action = rng.int(2);
    const step = env.step(action);
    buffer.add({ ...step, state: obs, action, nextState: step.observation });
    states.push(obs);
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  return { buffer, states };
}

function makePlanner(c: BenchCase, model: DynamicsModel, workers: number, rng: Rng): MpcPlanner {
  const extra = c.planner === "cem"
    ? { numElite: 100, numIterations: c.iterations }
    : c.planner === "mppi"
    ? { numIterations: c.iterations }
    : {};
  return makeMpcPlanner({
    type: c.planner,
    horizon: c.horizon,
    numSamples: c.numSamples,
    actionMode: c.actionMode,
    workers,
    ...extra,
  }, { dynamicsModel: model, envId: "CartPole-v1", rng });
}

/** Mean ms per call of `f` over `reps` calls. */
function timeMs(reps: number, f: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

/** The fastest of `tries` timings of `reps` calls (ms per call): robust to a shared machine. */
function bestMs(tries: number, reps: number, f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) best = Math.min(best, timeMs(reps, f));
  return best;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `median (min-max)` of per-round figures. */
function spread(values: readonly number[], digits = 1): string {
  if (values.length === 1) return values[0]!.toFixed(digits);
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${
    Math.max(...values).toFixed(digits)
  })`;
}

/** The backend's GFLOP/s on the planner's main matMul: [1000,256] x [256,256] + bias, relu. */
function rawMatMulGflops(): number {
  const rng = new Rng(1);
  const [a, b, bias] = [
    tf.tensor2d(rng.fillNormal(new Float32Array(1000 * 256)), [1000, 256]),
    tf.tensor2d(rng.fillNormal(new Float32Array(256 * 256)), [256, 256]),
    tf.tensor1d(new Float32Array(256)),
  ];
  // Read back outside the tidy: a tidy returning a large typed array scans every element.
  const call = () => {
    const out = tf.fused.matMul({ a, b, bias, activation: "relu" });
    out.dataSync();
    out.dispose();
  };
  for (let i = 0; i < 3; i++) call();
  const ms = timeMs(20, call);
  tf.dispose([a, b, bias]);
  return (2 * 1000 * 256 * 256) / (ms * 1e6);
}

/** The dense kernel's GFLOP/s on the same product (one layer of a {@linkcode PackedMlp}). */
function rawKernelGflops(): number {
  const rng = new Rng(1);
  const net = new PackedMlp({
    layerSizes: [256, 256],
    activation: "relu",
    weights: [rng.fillNormal(new Float32Array(256 * 256)), new Float32Array(256)],
  });
  const x = rng.fillNormal(new Float32Array(1000 * 256));
  for (let i = 0; i < 3; i++) net.forward(x, 1000);
  const ms = timeMs(20, () => net.forward(x, 1000));
  return (2 * 1000 * 256 * 256) / (ms * 1e6);
}

/** What one numpy round measured: ms per design-default step and its BLAS matMul GFLOP/s. */
interface NumpyRound {
  ms: number;
  matmulGflops: number;
}

/** One numpy round, or the reason it could not run. */
async function numpyRound(steps: number): Promise<NumpyRound | string> {
  const script = new URL("./numpy_plan_ref.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("python3", {
      args: [script, String(steps), "1"],
      env: { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
      return `python3 failed (${err})`;
    }
    const json = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    return { ms: json.msPerStep[0] as number, matmulGflops: json.matmulGflops as number };
  } catch (error) {
    return `no python3 (${(error as Error).message})`;
  }
}

/** The rounds numpy completed. */
function numpyRounds(rounds: readonly (NumpyRound | string)[]): NumpyRound[] {
  return rounds.filter((x): x is NumpyRound => typeof x !== "string");
}

/** A free stand-in model returning fixed predictions: what the planner costs without a model. */
function freeModel(template: DynamicsPrediction, rows: number): DynamicsModel {
  const mean = template.mean.slice(0, rows * 4);
  const reward = template.reward.slice(0, rows);
  const predict = (states: Float32Array): DynamicsPrediction => {
    const n = states.length / 4;
    return { mean: mean.slice(0, n * 4), reward: reward.slice(0, n) };
  };
  return {
    stateDim: 4,
    actionDim: 1,
    numMembers: 1,
    probabilistic: false,
    train: () => Promise.resolve([]),
    predict,
    sample: predict,
    dispose() {},
    save: () => Promise.resolve(),
  };
}

/**
 * Where a design-default step's time goes, per round: the whole step, the model's 10 calls,
 * their dense layers alone as raw tfjs ops, one upload + read-back per call, the random
 * numbers, and the evaluator's and optimiser's own work (the planner with a free model). Each
 * part is the fastest of 5 timings, so that the parts of one round add up on a shared machine.
 */
function breakdownRound(
  model: DynamicsModel,
  planner: MpcPlanner,
  state: Float32Array,
  c: BenchCase,
): Record<string, number> {
  const n = c.numSamples;
  const H = c.horizon;
  const states = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) states.set(state, i * 4);
  const actions = new Float32Array(n).map((_, i) => i % 2);
  const rng = new Rng(3);
  const stepMs = bestMs(5, 1, () => planner.getAction(state));
  const modelMs = bestMs(5, H, () => model.sample(states, actions, { rng }));
  const rngW = new Rng(4);
  const sizes = [5, ...c.hidden, 10];
  const x = new Float32Array(n * 5).map(() => rngW.uniform());
  const params = sizes.slice(1).flatMap((out, l) => [
    rngW.fillNormal(new Float32Array(sizes[l]! * out)),
    new Float32Array(out),
  ]);
  let denseMs: number;
  let ioMs: number | undefined;
  if (c.inference === "kernel") {
    const net = new PackedMlp({ layerSizes: sizes, activation: "relu", weights: params });
    net.forward(x, n);
    denseMs = bestMs(5, H, () => net.forward(x, n));
  } else {
    const weights = sizes.slice(1).map((out, l) => ({
      w: tf.tensor2d(params[2 * l]!, [sizes[l]!, out]),
      b: tf.tensor1d(params[2 * l + 1]!),
    }));
    const forward = () => {
      const out = tf.tidy(() => {
        let h: tf.Tensor2D = tf.tensor2d(x, [n, 5]);
        weights.forEach(({ w, b }, l) => {
          h = tf.fused.matMul({
            a: h,
            b: w,
            bias: b,
            activation: l < weights.length - 1 ? "relu" : "linear",
          }) as tf.Tensor2D;
        });
        return h;
      });
      out.dataSync();
      out.dispose();
    };
    forward();
    denseMs = bestMs(5, H, forward);
    ioMs = bestMs(5, H, () => {
      const t = tf.tensor2d(x, [n, 5]);
      t.dataSync();
      t.dispose();
    });
    weights.forEach(({ w, b }) => tf.dispose([w, b]));
  }
  const noise = new Float64Array(n * 5);
  const randomMs = bestMs(5, H, () => {
    for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
    for (let i = 0; i < n; i++) noise[i] = rng.uniform();
  });
  const template = model.predict(states, actions);
  const free = makePlanner(c, freeModel(template, n), 0, new Rng(5));
  for (let i = 0; i < 3; i++) free.getAction(state);
  free.takeStats();
  const plannerMs = bestMs(5, 2, () => free.getAction(state));
  const dense = c.inference === "kernel"
    ? "  of which dense layers (dense kernel: copy in, 3 layers, copy out)"
    : "  of which dense layers (raw tfjs: upload, 3 fused matMul+bias+relu, dataSync)";
  return {
    "whole step (RandomShootingMPC.getAction, main thread only)": stepMs,
    "model calls (10 x model.sample, 1000 rows)": modelMs * H,
    [dense]: denseMs * H,
    ...(ioMs === undefined ? {} : { "  of which one upload + dataSync per call": ioMs * H }),
    "  rest of the model (input packing, Gaussian head and noise in JS)": (modelMs - denseMs) *
      H,
    "random numbers (50k normals + 10k uniforms, JS; the normals are drawn in the rollout by the thread that rolls each row out)":
      randomMs * H,
    "evaluator + optimiser bookkeeping (the step with a free model, incl. random numbers)":
      plannerMs,
  };
}

/**
 * The main thread's view of `n` split design-default steps of `ms` each, from the pool's
 * timings before and after: evaluator and optimiser work before the split (random numbers,
 * packing) and after it, handing the worker its job, the chunks the main thread claimed, and
 * waiting for the worker (the worker's chunks run during the main thread's).
 */
function splitRound(
  before: PlanWorkerTimings,
  after: PlanWorkerTimings,
  n: number,
  ms: number,
): Record<string, number> {
  const handoff = (after.handoffMs - before.handoffMs) / n;
  const own = (after.mainShareMs - before.mainShareMs) / n;
  const wait = (after.waitMs - before.waitMs) / n;
  return {
    "whole step (RandomShootingMPC.getAction, 1 worker)": ms,
    "evaluator + optimiser outside the split (random numbers, packing, selection)": ms - handoff -
      own - wait,
    "handing the worker the job (shared job buffer, wake-up)": handoff,
    "the chunks the main thread claimed": own,
    "waiting for the worker's chunks after that": wait,
  };
}

/** Prints per-round parts (the first part being the whole step) as a table, if any rounds. */
function printParts(title: string, rounds: readonly Record<string, number>[]): void {
  if (rounds.length === 0) return;
  console.log(`\n${title}`);
  console.log("| part | ms / step | share of the step |");
  console.log("|---|---|---|");
  const stepMedian = median(rounds.map((b) => Object.values(b)[0]!));
  for (const key of Object.keys(rounds[0]!)) {
    const values = rounds.map((b) => b[key]!);
    console.log(
      `| ${key} | ${spread(values)} | ${(100 * median(values) / stepMedian).toFixed(0)}% |`,
    );
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, {
    steps: { kind: "int", min: 1, help: "timed planning steps per case and round [10]" },
    rounds: { kind: "int", min: 1, help: "interleaved measurement rounds [3]" },
    workers: { kind: "intList", min: 0, help: "worker counts to compare [0,1,2]" },
    quick: { kind: "bool", help: "design and train defaults only, workers 0,1, 1 round" },
  });
  const quick = flags.quick === true;
  const steps = (flags.steps as number | undefined) ?? (quick ? 5 : 10);
  const rounds = (flags.rounds as number | undefined) ?? (quick ? 1 : 3);
  const workerCounts = (flags.workers as number[] | undefined) ?? (quick ? [0, 1] : [0, 1, 2]);
  const backend = await setupBackend();
  const rng = new Rng(0);
  const { buffer, states } = randomData(rng, 2000);
  const load = Deno.loadavg().map((v) => v.toFixed(2)).join(", ");
  console.log(
    `backend ${backend.backend} simd ${backend.simd} threads ${backend.threads}; ` +
      `${navigator.hardwareConcurrency} cores (${cpuLine()}), load average ${load} (at start); ` +
      `${rounds} round(s) of ${steps} timed steps per case after warm-up; median (min-max)`,
  );
  const raw: number[] = [];
  const rawKernel: number[] = [];
  const peak: number[] = [];
  const numpy: (NumpyRound | string)[] = [];
  const breakdown: Record<string, number>[] = [];
  const split: Record<string, number>[] = [];
  const mainShare: number[] = [];
  const rows: string[] = [];
  const cases = quick ? [CASES[0]!, CASES[1]!, CASES[4]!, CASES[5]!, CASES[6]!] : CASES;
  for (const c of cases) {
    const model = createDynamicsModel({
      type: c.modelType,
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: c.hidden,
      inference: c.inference,
      rng: rng.stream(c.name),
    });
    await model.train(buffer, { epochs: 2 });
    const planners = workerCounts.map((w) =>
      makePlanner(c, model, w, rng.stream(`planner ${c.name}`))
    );
    for (const p of planners) await p.syncWeights();
    const n = Math.max(1, Math.round(steps * c.stepScale));
    const slots = Array.from({ length: c.slots }, (_, k) => k);
    const plan = (p: MpcPlanner, i: number) => {
      const batch = new Float32Array(c.slots * 4);
      for (let k = 0; k < c.slots; k++) {
        batch.set(states[(i * 37 + k * 101) % states.length]!, k * 4);
      }
      p.getActions(batch, c.slots, slots);
    };
    for (const p of planners) for (let i = 0; i < 2; i++) plan(p, i);
    const perRound = planners.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      if (c === CASES[0]) {
        raw.push(rawMatMulGflops());
        rawKernel.push(rawKernelGflops());
        peak.push(simdPeakGflops(kernelInstructions()));
        numpy.push(await numpyRound(n));
        const single = planners[Math.max(0, workerCounts.indexOf(0))]!;
        breakdown.push(breakdownRound(model, single, states[0]!, c));
      }
      planners.forEach((p, k) => {
        p.takeStats();
        const before = p.workerPool?.timings;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) plan(p, i);
        const ms = (performance.now() - t0) / n;
        perRound[k]!.push(ms);
        if (c === CASES[0] && workerCounts[k] === 1 && before !== undefined) {
          const after = p.workerPool!.timings;
          split.push(splitRound(before, after, n, ms));
          mainShare.push((100 * (after.mainRows - before.mainRows)) / (after.rows - before.rows));
        }
      });
    }
    const gflop = (c.slots * c.numSamples * c.horizon * c.iterations * flopsPerRow(c, 4, 1)) / 1e9;
    planners.forEach((p, k) => {
      const ms = perRound[k]!;
      const gflops = ms.map((m) => gflop / (m / 1000));
      const numpyMs = numpyRounds(numpy).map((x) => x.ms);
      const ratio = (c === CASES[0] || c === CASES[1]) && numpyMs.length === ms.length
        ? spread(ms.map((m, i) => m / numpyMs[i]!), 2)
        : "";
      rows.push(
        `| ${c.name} | ${workerCounts[k]} (${p.workersInUse + 1} threads) | ${spread(ms)} | ` +
          `${spread(gflops)} | ${ratio} |`,
      );
      p.dispose();
    });
    model.dispose();
  }
  console.log(
    `\nraw matMul [1000,256]x[256,256]+bias+relu on this backend, one thread: ${
      spread(raw)
    } GFLOP/s (reading the output back); the dense kernel (${kernelInstructions()}, PackedMlp.forward, copying the rows in and out): ${
      spread(rawKernel)
    } GFLOP/s`,
  );
  console.log(
    `f32x4 multiply-add peak of one wasm thread (${kernelInstructions()}, 12 chains in ` +
      `registers, no memory): ${spread(peak)} GFLOP/s; the dense kernel reaches ${
        spread(rawKernel.map((g, i) => (100 * g) / peak[i]!), 0)
      }% of it (same round)`,
  );
  const numpyDone = numpyRounds(numpy);
  console.log(
    numpyDone.length > 0
      ? `numpy design-default step, one thread (OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE=${
        Deno.env.get("OPENBLAS_CORETYPE") ?? "unset"
      }): ${spread(numpyDone.map((x) => x.ms))} ms; numpy's matMul on the same ` +
        `[1000,256]x[256,256]+bias+relu, one thread: ${
          spread(numpyDone.map((x) => x.matmulGflops))
        } GFLOP/s`
      : `numpy row skipped: ${numpy[0] ?? "not run"}`,
  );
  console.log(
    "\n| case | workers | ms / step | GFLOP/s (whole step) | ours / numpy (same round) |",
  );
  console.log("|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log(
    "(lockstep row: ms per call planning 10 episodes; divide by 10 for ms per episode step)",
  );
  printParts(
    "where a design-default step goes (one thread; each part the fastest of 5 timings, " +
      "median over rounds):",
    breakdown,
  );
  printParts(
    "where a design-default step goes with 1 worker (2 threads; main thread's view, median " +
      "over rounds):",
    split,
  );
  if (mainShare.length > 0) {
    console.log(
      `(the main thread claimed ${spread(mainShare, 0)}% of the rows; the worker the rest)`,
    );
  }
  const end = Deno.loadavg().map((v) => v.toFixed(2)).join(", ");
  console.log(`\nload average at the end: ${end}`);
}

if (import.meta.main) await main();
