import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { ReplayBuffer } from "../../lib/buffer/mod.ts";
import { CartPoleEnv } from "../../lib/envs/cart_pole.ts";
import type { EnvRules, Space } from "../../lib/envs/types.ts";
import { deltaStdOf, epistemicDisagreement } from "../../lib/models/disagreement.ts";
import {
  type BaseDynamicsModel,
  createDynamicsModel,
  EnsembleDynamicsModel,
  LinearDynamicsModel,
} from "../../lib/models/mod.ts";
import { writeSavedModel } from "../../lib/models/model_file.ts";
import type { DynamicsModel } from "../../lib/models/types.ts";
import { ValueFunction } from "../../lib/models/value_function.ts";
import { makeActionAdapter } from "../../lib/planners/action_adapter.ts";
import {
  type EnvAction,
  makeMpcPlanner,
  type MpcOptions,
  type MpcPlanner,
  type PlannerType,
} from "../../lib/planners/mod.ts";
import { OBJECTIVE_DEFAULTS } from "../../lib/planners/planner_settings.ts";
import {
  type TerminalValueFunction,
  TrajectoryEvaluator,
} from "../../lib/planners/trajectory_evaluator.ts";
import { TrueDynamicsModel, TrueMeanModel } from "../../lib/planners/true_dynamics_model.ts";
import { Rng } from "../../lib/rng.ts";
import { makeBatch } from "../models/helpers.ts";

await setupBackend();

/** 1-D rules: the reward is the next state; a next state above 2.5 ends the episode. */
const LINE_RULES: EnvRules = {
  observationDim: 1,
  reward: (_s, _a, next, n) => Float32Array.from({ length: n }, (_, i) => next[i]!),
  terminated: (next, n) => Uint8Array.from({ length: n }, (_, i) => (next[i]! > 2.5 ? 1 : 0)),
};

/** `V(s) = k * s[0]`, counting the rows it is asked about. */
function linearValue(k: number): TerminalValueFunction & { rows: number } {
  const value = {
    rows: 0,
    predict(states: Float32Array, n: number) {
      value.rows += n;
      const d = states.length / n;
      return Float32Array.from({ length: n }, (_, i) => k * states[i * d]!);
    },
  };
  return value;
}

/** `s' = s + a` fitted exactly by the linear model. */
async function lineModel(): Promise<LinearDynamicsModel> {
  const rng = new Rng(0);
  const rows = Array.from({ length: 50 }, () => {
    const s = rng.uniformRange(-3, 3);
    const a = rng.uniformRange(-1, 1);
    return { s: [s], a: [a], next: [s + a], r: 0 };
  });
  const model = new LinearDynamicsModel({ stateDim: 1, actionDim: 1 });
  await model.train(makeBatch(1, 1, rows));
  return model;
}

const BOX: Space = { kind: "box", shape: [1], low: [-1], high: [1] };

Deno.test("terminal value: scores equal the hand-computed objective on a linear model", async () => {
  const model = await lineModel();
  const make = (valueFunction?: TerminalValueFunction) =>
    new TrajectoryEvaluator({
      model,
      horizon: 3,
      adapter: makeActionAdapter(BOX),
      rules: LINE_RULES,
      discount: 0.9,
      valueFunction,
      rng: new Rng(0),
    });
  const sequences = Float32Array.of(1, 1, 1, 0.5, 0.5, 0.5, -1, 0, 1);
  const value = linearValue(10);
  const withValue = make(value).evaluate(new Float32Array(1), sequences, 3);
  const without = make().evaluate(new Float32Array(1), sequences, 3);
  // 0 -> 1 -> 2 -> 3: rewards 1, 2, 3, the last step terminal (3 > 2.5): no terminal value.
  const first = 1 + 0.9 * 2 + 0.81 * 3;
  // 0 -> 0.5 -> 1 -> 1.5, alive after H = 3: plus 0.9^3 * V(1.5) = 0.729 * 15.
  const second = 0.5 + 0.9 * 1 + 0.81 * 1.5;
  // 0 -> -1 -> -1 -> 0: V(0) = 0.
  const third = -1 - 0.9 + 0;
  const expected = [first, second + 0.729 * 15, third];
  expected.forEach((e, i) => assertAlmostEquals(withValue[i]!, e, 1e-4, `sequence ${i}`));
  [first, second, third].forEach((e, i) => assertAlmostEquals(without[i]!, e, 1e-4));
  assertEquals(value.rows, 2, "V is asked only about the sequences still alive");
  assertEquals(make(value).settings.terminalValue, true);
  assertEquals(make().settings.terminalValue, false);
});

/** A 3-member ensemble of CartPole from random play (the members disagree somewhat). */
async function cartPoleEnsemble(probabilistic = true): Promise<BaseDynamicsModel> {
  const rng = new Rng(1);
  const env = new CartPoleEnv({ rng: rng.stream("env") });
  const buffer = new ReplayBuffer(300, { stateDim: 4, actionDim: 1, rng: rng.stream("buf") });
  let obs = env.reset().observation;
  for (let t = 0; t < 300; t++) {
    const action = rng.int(2);
    const step = env.step(action);
    buffer.add({ ...step, state: obs, action, nextState: step.observation });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  const model = new EnsembleDynamicsModel({
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [16, 16],
    numModels: 3,
    probabilistic,
    rng: new Rng(2),
  });
  await model.train(buffer, { epochs: 2 });
  return model;
}

/** CartPole's reward (1 per step) without termination, so every particle lives. */
const NO_END: EnvRules = {
  observationDim: 4,
  reward: (_s, _a, _next, n) => new Float32Array(n).fill(1),
  terminated: (_next, n) => new Uint8Array(n),
};

Deno.test("exploration bonus: the expectation rollout adds bonus * sum_t discount^t d_t, by hand", async () => {
  const model = await cartPoleEnsemble();
  const adapter = makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" });
  const H = 4;
  const make = (explorationBonus: number) =>
    new TrajectoryEvaluator({
      model,
      horizon: H,
      adapter,
      rules: NO_END,
      propagation: "expectation",
      discount: 0.9,
      explorationBonus,
      rng: new Rng(0),
    });
  const state = Float32Array.of(0.05, -0.1, 0.02, 0.3);
  const n = 6;
  const rng = new Rng(3);
  const sequences = Float32Array.from({ length: n * H }, () => rng.int(2));
  const scores = make(0.5).evaluate(state, sequences, n, { explore: true });
  const deltaStd = deltaStdOf(model);
  for (let i = 0; i < n; i++) {
    let s: Float32Array = Float32Array.from(state);
    let expected = 0;
    for (let t = 0; t < H; t++) {
      const pred = model.predict(s, Float32Array.of(sequences[i * H + t]!));
      expected += 0.9 ** t * (1 + 0.5 * epistemicDisagreement(pred, deltaStd)[0]!);
      s = pred.mean;
    }
    assertAlmostEquals(scores[i]!, expected, 1e-5, `sequence ${i}`);
  }
  // Without explore, or with weight 0: exactly the plain objective.
  const plain = make(0).evaluate(state, sequences, n);
  assertEquals(Array.from(make(0.5).evaluate(state, sequences, n)), Array.from(plain));
  assertEquals(
    Array.from(make(0).evaluate(state, sequences, n, { explore: true })),
    Array.from(plain),
  );
  assert(scores.every((x, i) => x > plain[i]!), "the bonus is positive where members differ");
  model.dispose();
});

Deno.test("TrueMeanModel: true next states and rewards, the ensemble's disagreement as the bonus, by hand", async () => {
  const ensemble = await cartPoleEnsemble();
  const truth = new TrueDynamicsModel({ env: new CartPoleEnv() });
  const model = new TrueMeanModel({ truth, ensemble });
  assertEquals([model.stateDim, model.actionDim, model.numMembers], [4, 1, 3]);
  const state = Float32Array.of(0.05, -0.1, 0.02, 0.3);
  const a = Float32Array.of(1);
  const pred = model.predict(state, a);
  const exact = truth.predict(state, a);
  assertEquals(Array.from(pred.mean), Array.from(exact.mean));
  assertEquals(Array.from(pred.reward), Array.from(exact.reward));
  assertEquals(
    Array.from(pred.epistemicVar!),
    Array.from(ensemble.predict(state, a).epistemicVar!),
  );
  const H = 4;
  const evaluator = new TrajectoryEvaluator({
    model,
    horizon: H,
    adapter: makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" }),
    rules: NO_END,
    propagation: "expectation",
    discount: 0.9,
    explorationBonus: 0.5,
    rng: new Rng(0),
  });
  const n = 6;
  const rng = new Rng(3);
  const sequences = Float32Array.from({ length: n * H }, () => rng.int(2));
  const scores = evaluator.evaluate(state, sequences, n, { explore: true });
  const deltaStd = deltaStdOf(ensemble);
  for (let i = 0; i < n; i++) {
    let s: Float32Array = Float32Array.from(state);
    let expected = 0;
    for (let t = 0; t < H; t++) {
      const action = Float32Array.of(sequences[i * H + t]!);
      const d = epistemicDisagreement(ensemble.predict(s, action), deltaStd)[0]!;
      expected += 0.9 ** t * (1 + 0.5 * d);
      s = truth.predict(s, action).mean;
    }
    assertAlmostEquals(scores[i]!, expected, 1e-5, `sequence ${i}`);
  }
  // Sampled rollouts of a model that is not a neural ensemble would drop the bonus: refused.
  assertThrows(
    () =>
      new TrajectoryEvaluator({
        model,
        horizon: H,
        adapter: makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" }),
        rules: NO_END,
        propagation: "ts1",
        explorationBonus: 0.5,
        rng: new Rng(0),
      }),
    RangeError,
    'propagation "expectation"',
  );
  // train fits the ensemble: its predictions move, the truth's do not.
  const before = Array.from(ensemble.predict(state, a).mean);
  const buffer = new ReplayBuffer(50, { stateDim: 4, actionDim: 1, rng: new Rng(4) });
  const env = new CartPoleEnv({ rng: new Rng(5) });
  let obs = env.reset().observation;
  for (let t = 0; t < 50; t++) {
    const step = env.step(t % 2);
    buffer.add({ ...step, state: obs, action: t % 2, nextState: step.observation });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  assert((await model.train(buffer, { epochs: 1 })).length === 1);
  assertNotEquals(Array.from(ensemble.predict(state, a).mean), before);
  assertEquals(Array.from(model.predict(state, a).mean), Array.from(exact.mean));
  const single = createDynamicsModel({ type: "deterministic", stateDim: 4, actionDim: 1 });
  assertThrows(() => new TrueMeanModel({ truth, ensemble: single }), RangeError, "at least 2");
  single.dispose();
  const tensors = tf.memory().numTensors;
  model.dispose();
  assert(tf.memory().numTensors < tensors, "dispose frees the ensemble");
});

Deno.test("exploration bonus: linear in its weight on sampled (ts1) ensemble rollouts", async () => {
  const model = await cartPoleEnsemble();
  const adapter = makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" });
  const score = (explorationBonus: number, explore: boolean) =>
    new TrajectoryEvaluator({
      model,
      horizon: 5,
      adapter,
      rules: NO_END,
      particles: 2,
      discount: 0.95,
      explorationBonus,
      rng: new Rng(4),
    }).evaluate(
      Float32Array.of(0, 0.1, -0.02, 0),
      Float32Array.from({ length: 40 }, (_, j) => (j * 7) % 3 === 0 ? 1 : 0),
      8,
      { explore },
    );
  const plain = score(0, false);
  const once = score(0.1, true);
  const twice = score(0.2, true);
  assertEquals(Array.from(score(0.1, false)), Array.from(plain));
  for (let i = 0; i < 8; i++) {
    const gain = once[i]! - plain[i]!;
    assert(gain > 0, `sequence ${i}: bonus ${gain}`);
    assertAlmostEquals(twice[i]! - plain[i]!, 2 * gain, 1e-4 * Math.max(1, gain));
  }
  model.dispose();
});

/** `model` with every member set to member 0's weights (through save and load). */
async function identicalMembers(model: BaseDynamicsModel): Promise<void> {
  const first = model.getWeights()[0]!;
  const dir = await Deno.makeTempDir();
  try {
    await writeSavedModel(dir, {
      config: model.config,
      inputNormalizer: model.inputNormalizer.toJSON(),
      targetNormalizer: model.targetNormalizer.toJSON(),
      elites: model.elites,
      memberStates: model.getWeights().map(() => first),
    });
    await model.load(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("terminal value on sampled rollouts: discount^H * V(s_H), by hand (ts1 and a model of unknown sampling)", async () => {
  // Identical deterministic members: a ts1 rollout follows the mean, which predict gives.
  const model = await cartPoleEnsemble(false);
  await identicalMembers(model);
  // A stochastic model the evaluator cannot replay (not a BaseDynamicsModel): sampled per job.
  const opaque: DynamicsModel = {
    stateDim: 4,
    actionDim: 1,
    numMembers: 2,
    probabilistic: false,
    train: () => Promise.resolve([]),
    predict: (s, a) => model.predict(s, a),
    sample: (s, a, o) => model.sample(s, a, o),
    dispose: () => {},
    save: () => Promise.resolve(),
  };
  const adapter = makeActionAdapter({ kind: "discrete", n: 2 }, { mode: "discrete" });
  const H = 3;
  const state = Float32Array.of(0.02, 0.1, -0.03, 0.2);
  const n = 5;
  const sequences = Float32Array.from({ length: n * H }, (_, j) => (j * 5) % 3 === 1 ? 1 : 0);
  for (const m of [model, opaque]) {
    const score = (valueFunction?: TerminalValueFunction) =>
      new TrajectoryEvaluator({
        model: m,
        horizon: H,
        adapter,
        rules: NO_END,
        particles: 2,
        discount: 0.8,
        valueFunction,
        rng: new Rng(8),
      }).evaluate(state, sequences, n);
    const withValue = score(linearValue(50));
    const without = score();
    for (let i = 0; i < n; i++) {
      let s: Float32Array = Float32Array.from(state);
      for (let t = 0; t < H; t++) s = model.predict(s, Float32Array.of(sequences[i * H + t]!)).mean;
      const gain = 0.8 ** H * 50 * s[0]!;
      assertAlmostEquals(withValue[i]! - without[i]!, gain, 1e-4, `sequence ${i}`);
    }
  }
  model.dispose();
});

function planner(
  model: MpcOptions["dynamicsModel"],
  type: PlannerType,
  envId: "CartPole-v1" | "Pendulum-v1",
  extra: Record<string, unknown> = {},
): MpcPlanner {
  return makeMpcPlanner(
    {
      type,
      numSamples: 60,
      horizon: 4,
      workers: 0,
      actionMode: envId === "CartPole-v1" ? "discrete" : "continuous",
      ...(type === "cem" ? { numElite: 6, numIterations: 2 } : {}),
    },
    { dynamicsModel: model, envId, rng: new Rng(5), shaping: null, ...extra },
  );
}

/** Actions and planned returns of `steps` planning steps along a fixed state sequence. */
function trace(p: MpcPlanner, steps: number, explore = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const state = p.settings.actionMode === "discrete"
      ? Float32Array.of(0.01 * i, -0.02, 0.03 - 0.005 * i, 0.01)
      : Float32Array.of(Math.cos(0.3 * i), Math.sin(0.3 * i), 0.1 * i);
    const action: EnvAction = p.getAction(state, { explore });
    out.push(`${action}:${p.lastStats!.plannedReturn}`);
  }
  return out;
}

Deno.test("off means unchanged: no bonus without explore, and a zero value adds nothing (RS, CEM, MPPI)", async () => {
  const model = await cartPoleEnsemble();
  const zero: TerminalValueFunction = { predict: (_s, n) => new Float32Array(n) };
  for (const type of ["random_shooting", "cem", "mppi"] as const) {
    const reference = trace(planner(model, type, "CartPole-v1"), 4);
    const withBonus = planner(model, type, "CartPole-v1", { explorationBonus: 2 });
    assertEquals(trace(withBonus, 4), reference, `${type}: bonus without explore`);
    const withZero = planner(model, type, "CartPole-v1", {
      terminalValue: true,
      valueFunction: zero,
    });
    assertEquals(trace(withZero, 4), reference, `${type}: V = 0`);
    const exploring = trace(
      planner(model, type, "CartPole-v1", { explorationBonus: 2 }),
      4,
      true,
    );
    assertNotEquals(exploring, reference, `${type}: the bonus changes planned returns`);
  }
  model.dispose();
});

Deno.test("the terminal value steers the plan: V rewarding the cart's position picks the push", () => {
  const model = new TrueDynamicsModel({ env: new CartPoleEnv() });
  const state = Float32Array.of(0, 0, 0, 0);
  for (const [k, push] of [[1000, 1], [-1000, 0]] as const) {
    for (const type of ["random_shooting", "cem", "mppi"] as const) {
      const p = planner(model, type, "CartPole-v1", {
        terminalValue: true,
        valueFunction: linearValue(k),
      });
      assertEquals(p.getAction(state), push, `${type}, V = ${k} x`);
    }
  }
});

Deno.test("value and bonus work with every planner, action kind and model type, and read back", async () => {
  for (const envId of ["CartPole-v1", "Pendulum-v1"] as const) {
    const stateDim = envId === "CartPole-v1" ? 4 : 3;
    const value = new ValueFunction({ stateDim, discount: 0.99, rng: new Rng(0) });
    const rng = new Rng(6);
    const rows = Array.from({ length: 64 }, () => ({
      s: Array.from({ length: stateDim }, () => rng.uniformRange(-1, 1)),
      a: [0],
      next: Array.from({ length: stateDim }, () => rng.uniformRange(-1, 1)),
      r: 1,
    }));
    await value.fit(makeBatch(stateDim, 1, rows), { epochs: 2 });
    for (const type of ["deterministic", "probabilistic", "ensemble"] as const) {
      const model = createDynamicsModel({
        type,
        stateDim,
        actionDim: 1,
        hiddenSizes: [8],
        numModels: 2,
        rng: new Rng(7),
      });
      for (const optimiser of ["random_shooting", "cem", "mppi"] as const) {
        const bonus = type === "ensemble" ? 0.3 : 0;
        const p = planner(model, optimiser, envId, {
          terminalValue: true,
          valueFunction: value,
          explorationBonus: bonus,
          discount: 0.99,
          particles: type === "deterministic" ? 1 : 2,
        });
        assertEquals(p.objective, {
          ...OBJECTIVE_DEFAULTS,
          terminalValue: true,
          explorationBonus: bonus,
        });
        const state = new Float32Array(stateDim).fill(0.1);
        for (const explore of [true, false]) {
          const action = p.getAction(state, { explore });
          const ok = envId === "CartPole-v1"
            ? action === 0 || action === 1
            : action instanceof Float32Array && Math.abs(action[0]!) <= 2;
          assert(ok, `${envId} ${type} ${optimiser}: action ${action}`);
          assert(Number.isFinite(p.lastStats!.plannedReturn));
        }
        p.dispose();
      }
      model.dispose();
    }
    value.dispose();
  }
});

Deno.test("workers give the same actions with the terminal value and the bonus on", async () => {
  const model = await cartPoleEnsemble();
  const value = new ValueFunction({ stateDim: 4, discount: 1 - 1e-3, rng: new Rng(0) });
  await value.fit(
    makeBatch(4, 1, [{ s: [0, 0, 0, 0], a: [0], next: [0.1, 0, 0, 0], r: 1 }]),
    { epochs: 3 },
  );
  const traces: string[][] = [];
  for (const workers of [0, 1]) {
    const p = makeMpcPlanner({
      type: "random_shooting",
      numSamples: 150,
      horizon: 4,
      particles: 2,
      workers,
      actionMode: "discrete",
    }, {
      dynamicsModel: model,
      envId: "CartPole-v1",
      rng: new Rng(5),
      terminalValue: true,
      valueFunction: value,
      discount: 1 - 1e-3,
      explorationBonus: 0.5,
    });
    await p.syncWeights({ minRowsPerThread: 16 });
    assertEquals(p.workersInUse, workers);
    traces.push([...trace(p, 3, true), ...trace(p, 2, false)]);
    assertEquals(p.workerPool?.runs ?? 0, workers > 0 ? 5 : 0);
    p.dispose();
  }
  assertEquals(traces[1], traces[0]);
  value.dispose();
  model.dispose();
});

Deno.test("planning with a value function and the bonus leaks no tensors", async () => {
  const model = await cartPoleEnsemble();
  const value = new ValueFunction({ stateDim: 4, discount: 0.99, rng: new Rng(0) });
  await value.fit(
    makeBatch(4, 1, [{ s: [0, 0, 0, 0], a: [0], next: [0.1, 0, 0, 0], r: 1 }]),
    { epochs: 1 },
  );
  const p = planner(model, "cem", "CartPole-v1", {
    terminalValue: true,
    valueFunction: value,
    discount: 0.99,
    explorationBonus: 0.5,
  });
  const state = Float32Array.of(0, 0, 0.01, 0);
  p.getAction(state, { explore: true });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    p.getAction(state, { explore: true });
    p.getAction(state);
  }
  assertEquals(tf.memory().numTensors, before);
  p.dispose();
  value.dispose();
  model.dispose();
});

Deno.test("the terminal value and the bonus refuse inconsistent options with clear messages", () => {
  const single = createDynamicsModel({
    type: "probabilistic",
    stateDim: 4,
    actionDim: 1,
    hiddenSizes: [8],
  });
  const ensemble = new EnsembleDynamicsModel({
    stateDim: 4,
    actionDim: 1,
    numModels: 2,
    hiddenSizes: [8],
  });
  const value = new ValueFunction({ stateDim: 4, discount: 0.9 });
  const make = (model: MpcOptions["dynamicsModel"], extra: Record<string, unknown>) => () =>
    planner(model, "random_shooting", "CartPole-v1", extra);
  assertThrows(make(single, { explorationBonus: 0.1 }), RangeError, "ensemble");
  assertThrows(make(ensemble, { explorationBonus: -1 }), RangeError, "explorationBonus");
  assertThrows(make(ensemble, { terminalValue: true }), RangeError, "valueFunction");
  assertThrows(make(ensemble, { valueFunction: value }), RangeError, "terminalValue: true");
  assertThrows(
    make(ensemble, { terminalValue: true, valueFunction: value }),
    RangeError,
    "discount (1) to equal the value function's (0.9)",
  );
  assertThrows(
    make(ensemble, { terminalValue: true, valueFunction: {} }),
    TypeError,
    "predict",
  );
  const ok = planner(ensemble, "random_shooting", "CartPole-v1", {
    terminalValue: true,
    valueFunction: value,
    discount: 0.9,
  });
  assertEquals(ok.objective.terminalValue, true);
  assertEquals(ok.objective.explorationBonus, 0);
  single.dispose();
  ensemble.dispose();
  value.dispose();
});
