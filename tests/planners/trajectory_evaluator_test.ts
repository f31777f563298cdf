import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import type { EnvRules } from "../../lib/envs/types.ts";
import type {
  DynamicsModel,
  DynamicsPrediction,
  SampleOptions,
  TrainHistoryRow,
} from "../../lib/models/types.ts";
import { makeActionAdapter, TrajectoryEvaluator } from "../../lib/planners/mod.ts";
import { Rng } from "../../lib/rng.ts";

/**
 * A 1-D toy: next = state + action (+ noise when sampling), learned reward = 10 * next;
 * `sample` adds +1 or -1 noise, and each member adds its index (for propagation tests).
 */
class ToyModel implements DynamicsModel {
  readonly stateDim = 1;
  readonly actionDim = 1;
  readonly numMembers: number;
  readonly probabilistic: boolean;
  calls: { rows: number; members?: Int32Array }[] = [];
  constructor(options: { probabilistic: boolean; numMembers?: number }) {
    this.probabilistic = options.probabilistic;
    this.numMembers = options.numMembers ?? 1;
  }
  train(): Promise<TrainHistoryRow[]> {
    return Promise.resolve([]);
  }
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    this.calls.push({ rows: states.length });
    const mean = states.map((s, i) => s + actions[i]!);
    return {
      mean,
      reward: mean.map((x) => 10 * x),
      terminationProb: mean.map((x) => x >= 3 ? 1 : 0),
    };
  }
  sample(states: Float32Array, actions: Float32Array, options: SampleOptions): DynamicsPrediction {
    this.calls.push({ rows: states.length, members: options.members });
    const mean = states.map((s, i) => {
      const member = options.members?.[i] ?? 0;
      return s + actions[i]! + (options.rng.uniform() < 0.5 ? -1 : 1) + member;
    });
    return { mean, reward: mean.map((x) => 10 * x) };
  }
  dispose(): void {}
  save(): Promise<void> {
    return Promise.resolve();
  }
}

/** True rules of the toy: reward = next state, terminal when next >= 3. */
const RULES: EnvRules = {
  observationDim: 1,
  reward: (_obs, _actions, next, n) => Float32Array.from({ length: n }, (_, i) => next[i]!),
  terminated: (next, n) => Uint8Array.from({ length: n }, (_, i) => (next[i]! >= 3 ? 1 : 0)),
};

const BOX = makeActionAdapter({ kind: "box", low: [-5], high: [5], shape: [1] }, {
  actionBounds: [-5, 5],
});

Deno.test("scores sum the env reward until a terminal state, whose own reward counts", () => {
  const model = new ToyModel({ probabilistic: false });
  const evaluator = new TrajectoryEvaluator({
    model,
    horizon: 3,
    adapter: BOX,
    rules: RULES,
    rng: new Rng(0),
  });
  // From 0: [1, 1, 1] visits 1, 2, 3 (terminal at 3): 1 + 2 + 3 = 6.
  // [2, 2, -4] visits 2, 4 (terminal): 2 + 4 = 6, and the -4 step (to 0) is not counted.
  // [-1, 0, 0] visits -1, -1, -1: -3.
  const seqs = Float32Array.of(1, 1, 1, 2, 2, -4, -1, 0, 0);
  const scores = evaluator.evaluate(Float32Array.of(0), seqs, 3);
  assertEquals(Array.from(scores), [6, 6, -3]);
  // One batched model call per time step, of the rows still alive (the second row terminated
  // at step 2, so step 3 predicts two rows).
  assertEquals(model.calls.map((c) => c.rows), [3, 3, 2]);
  assertEquals(evaluator.modelEvaluations, 9);
});

Deno.test("the learned reward and termination can replace the env's", () => {
  const evaluator = new TrajectoryEvaluator({
    model: new ToyModel({ probabilistic: false }),
    horizon: 2,
    adapter: BOX,
    rewardSource: "model",
    terminationSource: "model",
    rng: new Rng(0),
  });
  // [3, 1]: next 3 is terminal by the learned head: reward 30 only.
  assertEquals(Array.from(evaluator.evaluate(Float32Array.of(0), Float32Array.of(1, 1, 3, 1), 2)), [
    10 + 20,
    30,
  ]);
});

Deno.test("shaping subtracts a quadratic penalty per alive step, and discount weighs steps", () => {
  const evaluator = new TrajectoryEvaluator({
    model: new ToyModel({ probabilistic: false }),
    horizon: 2,
    adapter: BOX,
    rules: RULES,
    shaping: Float32Array.of(0.5),
    discount: 0.5,
    rng: new Rng(0),
  });
  // Visits 1 then 2: (1 - 0.5 * 1) + 0.5 * (2 - 0.5 * 4) = 0.5.
  const [score] = evaluator.evaluate(Float32Array.of(0), Float32Array.of(1, 1), 1);
  assertAlmostEquals(score!, 0.5, 1e-6);
});

Deno.test("particles are batched as N * P rows and averaged", () => {
  const model = new ToyModel({ probabilistic: true });
  const evaluator = new TrajectoryEvaluator({
    model,
    horizon: 1,
    adapter: BOX,
    rules: RULES,
    particles: 400,
    rng: new Rng(1),
  });
  const scores = evaluator.evaluate(Float32Array.of(0), Float32Array.of(0, -2), 2);
  assertEquals(model.calls[0]!.rows, 800);
  // The noise is +-1 with equal odds: means near 0 and -2.
  assertAlmostEquals(scores[0]!, 0, 0.2);
  assertAlmostEquals(scores[1]!, -2, 0.2);
});

Deno.test("tsinf keeps one member per particle over the horizon; expectation uses predict", () => {
  const model = new ToyModel({ probabilistic: true, numMembers: 3 });
  const evaluator = new TrajectoryEvaluator({
    model,
    horizon: 3,
    adapter: BOX,
    rules: RULES,
    particles: 4,
    propagation: "tsinf",
    rng: new Rng(2),
  });
  evaluator.evaluate(Float32Array.of(-50), new Float32Array(6), 2);
  const members = model.calls.map((c) => Array.from(c.members!));
  assertEquals(members[0], members[1]);
  assertEquals(members[1], members[2]);
  const expectation = new ToyModel({ probabilistic: true, numMembers: 3 });
  new TrajectoryEvaluator({
    model: expectation,
    horizon: 2,
    adapter: BOX,
    rules: RULES,
    propagation: "expectation",
    rng: new Rng(2),
  }).evaluate(Float32Array.of(0), new Float32Array(2), 1);
  assertEquals(expectation.calls.map((c) => c.members), [undefined, undefined]);
});

Deno.test("discrete adapters map u's sign (continuous mode) or pass indices through", () => {
  const space = { kind: "discrete", n: 2 } as const;
  assertEquals(
    Array.from(makeActionAdapter(space).toEnv(Float32Array.of(-0.9, -0.01, 0.01, 1), 4)),
    [0, 0, 1, 1],
  );
  const three = makeActionAdapter({ kind: "discrete", n: 3 });
  assertEquals(Array.from(three.toEnv(Float32Array.of(-1, -0.2, 0.2, 1), 4)), [0, 1, 1, 2]);
  assertEquals(
    Array.from(makeActionAdapter(space, { mode: "discrete" }).toEnv(Float32Array.of(1, 0), 2)),
    [1, 0],
  );
  const box = makeActionAdapter({ kind: "box", low: [-2], high: [2], shape: [1] });
  assertEquals(Array.from(box.toEnv(Float32Array.of(-1, 0.5, 3), 3)), [-2, 1, 2]);
  assertThrows(
    () =>
      makeActionAdapter({ kind: "box", low: [-2], high: [2], shape: [1] }, { mode: "discrete" }),
    RangeError,
    "Discrete",
  );
});

Deno.test("the evaluator rejects mis-shaped inputs", () => {
  const evaluator = new TrajectoryEvaluator({
    model: new ToyModel({ probabilistic: false }),
    horizon: 2,
    adapter: BOX,
    rules: RULES,
    rng: new Rng(0),
  });
  assertThrows(() => evaluator.evaluate(Float32Array.of(0, 0), new Float32Array(2), 1), RangeError);
  assertThrows(() => evaluator.evaluate(Float32Array.of(0), new Float32Array(3), 1), RangeError);
  assertThrows(
    () =>
      new TrajectoryEvaluator({
        model: new ToyModel({ probabilistic: false }),
        horizon: 2,
        adapter: BOX,
        particles: 0,
        rules: RULES,
        rng: new Rng(0),
      }),
    RangeError,
    "particles",
  );
});
