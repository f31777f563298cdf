/**
 * `deno task bench:plan`: mean planning time per step and achieved model GFLOP/s for the
 * design's default planner (random shooting, 1,000 sequences, horizon 10, a [256,256]
 * probabilistic model), CEM and MPPI at the same size, and this project's CartPole default
 * (random shooting over action indices, 500 x H15, [64,64] deterministic).
 *
 * Models are fitted for a few epochs on random CartPole transitions first (planning cost does
 * not depend on how good the model is). States come from a random-policy trajectory.
 * FLOPs count the model's matrix multiplies only (`2 * in * out` per dense layer and row, the
 * members a row actually passes through), so GFLOP/s over the whole planning step includes
 * the evaluator's and optimiser's JS work; the `predict` column times the model alone on one
 * batch of the same size.
 *
 * Usage: `deno task bench:plan [--steps 20] [--quick]`
 *
 * @module
 */
import { setupBackend } from "../backend.ts";
import { ReplayBuffer } from "../buffer/mod.ts";
import { CartPoleEnv, cartPoleRules } from "../envs/cart_pole.ts";
import { createDynamicsModel, type DynamicsModelType } from "../models/mod.ts";
import type { DynamicsModel } from "../models/types.ts";
import {
  type ActionMode,
  CEM_MPC,
  type MpcOptions,
  type MpcPlanner,
  MPPIMPC,
  RandomShootingMPC,
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
  numModels?: number;
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
};

const CASES: BenchCase[] = [
  { ...DESIGN_DEFAULT, name: "design default: RS 1000 x H10, [256,256] probabilistic" },
  {
    ...DESIGN_DEFAULT,
    name: "CEM 1000 x H10 x 5 iterations, [256,256] probabilistic",
    planner: "cem",
    iterations: 5,
  },
  {
    ...DESIGN_DEFAULT,
    name: "MPPI 1000 x H10 x 1 iteration, [256,256] probabilistic",
    planner: "mppi",
  },
  {
    ...DESIGN_DEFAULT,
    name: "RS 1000 x H10, ensemble of 5 [256,256] (ts1)",
    modelType: "ensemble",
    numModels: 5,
  },
  {
    name: "train default: RS 500 x H15 discrete, [64,64] deterministic",
    planner: "random_shooting",
    modelType: "deterministic",
    hidden: [64, 64],
    numSamples: 500,
    horizon: 15,
    actionMode: "discrete",
    iterations: 1,
  },
];

/** Matrix-multiply FLOPs of one row through one member. */
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

function makePlanner(c: BenchCase, model: DynamicsModel, rng: Rng): MpcPlanner {
  const options: MpcOptions = {
    dynamicsModel: model,
    actionSpace: { kind: "discrete", n: 2 },
    rules: cartPoleRules,
    envId: "CartPole-v1",
    horizon: c.horizon,
    numSamples: c.numSamples,
    actionMode: c.actionMode,
    rng,
  };
  if (c.planner === "cem") {
    return new CEM_MPC({ ...options, numElite: 100, numIterations: c.iterations });
  }
  if (c.planner === "mppi") return new MPPIMPC({ ...options, numIterations: c.iterations });
  return new RandomShootingMPC(options);
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, {
    steps: { kind: "int", min: 1, help: "timed planning steps per case [20]" },
    quick: { kind: "bool", help: "first and last cases only" },
  });
  const steps = (flags.steps as number | undefined) ?? 20;
  const backend = await setupBackend();
  const rng = new Rng(0);
  const { buffer, states } = randomData(rng, 2000);
  console.log(
    `backend ${backend.backend} simd ${backend.simd} threads ${backend.threads}; ` +
      `${steps} timed steps per case after 3 warm-up steps`,
  );
  console.log(
    "| case | ms / step | model rows / step | GFLOP / step | GFLOP/s (whole step) | " +
      "predict ms (one batch) | GFLOP/s (predict alone) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  const cases = flags.quick === true ? [CASES[0]!, CASES.at(-1)!] : CASES;
  for (const c of cases) {
    const model = createDynamicsModel({
      type: c.modelType,
      stateDim: 4,
      actionDim: 1,
      hiddenSizes: c.hidden,
      numModels: c.numModels,
      rng: rng.stream(c.name),
    });
    await model.train(buffer, { epochs: 2 });
    const planner = makePlanner(c, model, rng.stream(`planner ${c.name}`));
    for (let i = 0; i < 3; i++) planner.getAction(states[i]!);
    planner.takeStats();
    for (let i = 0; i < steps; i++) planner.getAction(states[(i * 37) % states.length]!);
    const stats = planner.takeStats();
    const rowsPerStep = stats.modelEvaluations / stats.steps;
    const gflop = (rowsPerStep * flopsPerRow(c, 4, 1)) / 1e9;
    // The model alone on one batch of the planner's size.
    const batch = c.numSamples;
    const s = new Float32Array(batch * 4);
    const a = new Float32Array(batch);
    for (let i = 0; i < batch; i++) {
      s.set(states[i % states.length]!, i * 4);
      a[i] = i % 2;
    }
    const sampleRng = rng.stream("predict");
    const call = () =>
      c.modelType === "deterministic"
        ? model.predict(s, a)
        : model.sample(s, a, { rng: sampleRng, propagation: "ts1" });
    for (let i = 0; i < 3; i++) call();
    const reps = 30;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) call();
    const predictMs = (performance.now() - t0) / reps;
    const predictGflop = (batch * flopsPerRow(c, 4, 1)) / 1e9;
    console.log(
      `| ${c.name} | ${stats.msMean.toFixed(1)} | ${rowsPerStep.toFixed(0)} | ` +
        `${gflop.toFixed(3)} | ${(gflop / (stats.msMean / 1000)).toFixed(1)} | ` +
        `${predictMs.toFixed(2)} | ${(predictGflop / (predictMs / 1000)).toFixed(1)} |`,
    );
    model.dispose();
  }
}

if (import.meta.main) await main();
