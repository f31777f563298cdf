import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertThrows,
} from "@std/assert";
import {
  addEpisode,
  cartPoleEnding,
  collectRandomEpisodes,
  countSummary,
  indexCounts,
  isWeightRows,
  openLoopErrors,
  pendulumRows,
  planEpisode,
  playEpisode,
  predictionErrors,
  randomPolicyReturns,
  uniformRandomPolicy,
} from "../../lib/demos/mod.ts";
import { makeEnv } from "../../lib/envs/mod.ts";
import { LinearDynamicsModel } from "../../lib/models/mod.ts";
import { RandomShootingMPC, TrueDynamicsModel } from "../../lib/planners/mod.ts";
import { PrioritizedReplayBuffer, ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { linearSystem } from "../models/helpers.ts";

Deno.test("playEpisode records length + 1 states and ends where the env does", () => {
  const env = makeEnv("CartPole-v1");
  const record = playEpisode(env, () => 1, { seed: 0 });
  assertEquals(record.states.length, record.length + 1);
  assertEquals(record.observations.length, record.length + 1);
  assertEquals(record.rewards.length, record.length);
  assertEquals(record.return, record.length);
  assert(record.terminated && !record.truncated);
  assertEquals(cartPoleEnding(record), "pole angle");
  assertEquals(playEpisode(env, () => 1, { seed: 0, maxSteps: 3 }).length, 3);
  assertEquals(
    cartPoleEnding(playEpisode(env, () => 1, { seed: 0, maxSteps: 3 })),
    "still running",
  );
});

Deno.test("uniformRandomPolicy stays in the action space", () => {
  const rng = new Rng(1);
  const discrete = uniformRandomPolicy({ kind: "discrete", n: 3 }, rng);
  const seen = new Set(Array.from({ length: 200 }, () => discrete(new Float32Array(1), 0)));
  assertEquals([...seen].sort(), [0, 1, 2]);
  const box = uniformRandomPolicy({ kind: "box", low: [-2], high: [2], shape: [1] }, rng);
  for (let i = 0; i < 100; i++) {
    const [u] = box(new Float32Array(1), 0) as number[];
    assert(u! >= -2 && u! < 2);
  }
});

Deno.test("randomPolicyReturns is reproducible from its seed", () => {
  const a = randomPolicyReturns("CartPole-v1", { episodes: 5, seed: 2 });
  const b = randomPolicyReturns("CartPole-v1", { episodes: 5, seed: 2 });
  const c = randomPolicyReturns("CartPole-v1", { episodes: 5, seed: 3 });
  assertEquals(a, b);
  assert(JSON.stringify(a) !== JSON.stringify(c));
  assertEquals(a.length, 5);
  for (const row of a) assertEquals(row.return, row.length);
});

Deno.test("predictionErrors is ~0 for a linear model fitted to a linear system", async () => {
  const model = new LinearDynamicsModel({ stateDim: 3, actionDim: 1 });
  await model.train(linearSystem(500, 4));
  const test = linearSystem(50, 5);
  const errors = predictionErrors((s, a) => model.predict(s, a).mean, test);
  assertEquals(errors.length, 50);
  assertLess(Math.max(...errors), 1e-4);
  const biased = (s: Float32Array, a: Float32Array) => model.predict(s, a).mean.map((v) => v + 1);
  for (const e of predictionErrors(biased, test)) assertAlmostEquals(e, Math.sqrt(3), 1e-3);
});

Deno.test("openLoopErrors is ~0 for the true dynamics and grows for a biased model", () => {
  const episodes = collectRandomEpisodes("CartPole-v1", { steps: 200, seed: 1 });
  const model = new TrueDynamicsModel({ env: makeEnv("CartPole-v1") });
  const truth = (s: Float32Array, a: Float32Array) => model.predict(s, a).mean;
  const exact = openLoopErrors(truth, episodes, { horizons: [1, 5] });
  for (const row of exact) assertLess(row.error, 1e-5);
  const biased = (s: Float32Array, a: Float32Array, n: number) => {
    const next = truth(s, a);
    for (let i = 0; i < n; i++) next[i * 4 + 1]! += 0.01;
    return next;
  };
  const [h1, h5] = openLoopErrors(biased, episodes, { horizons: [1, 5] });
  assertGreater(h5!.error, h1!.error);
});

Deno.test("planEpisode with random shooting on the true dynamics records every step's stats", () => {
  const planner = new RandomShootingMPC({
    dynamicsModel: new TrueDynamicsModel({ env: makeEnv("CartPole-v1") }),
    envId: "CartPole-v1",
    actionMode: "discrete",
    horizon: 8,
    numSamples: 40,
    shaping: { weights: [0, 0, 1, 0] },
    rng: new Rng(0).stream("planner"),
  });
  const steps: number[] = [];
  const { episode, stats } = planEpisode(makeEnv("CartPole-v1"), planner, {
    seed: 0,
    maxSteps: 100,
    onStep: (step) => steps.push(step),
  });
  assertEquals(episode.length, 100);
  assertEquals(stats.length, 100);
  assertEquals(steps, Array.from({ length: 100 }, (_, i) => i));
  for (const s of stats) assertEquals(s.modelEvaluations, 40 * 8);
  // Random play falls within 100 steps from this seed: the length above is the planner's doing.
  const rng = new Rng(0);
  assertLess(playEpisode(makeEnv("CartPole-v1"), () => rng.int(2), { seed: 0 }).length, 100);
});

Deno.test("collectRandomEpisodes fills a buffer with every transition", () => {
  const buffer = new ReplayBuffer(1000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
  const episodes = collectRandomEpisodes("CartPole-v1", { steps: 100, buffer });
  const total = episodes.reduce((a, e) => a + e.length, 0);
  assertGreater(total, 99);
  assertEquals(buffer.size, total);
  assertEquals(buffer.episodeCount, episodes.length);
  const all = buffer.all();
  assertEquals(all.terminated.reduce((a, b) => a + b, 0), episodes.length);
});

Deno.test("indexCounts and countSummary count draws per slot", () => {
  const rows = indexCounts([[0, 1, 1], [1, 3]], 4, "s");
  assertEquals(rows.map((r) => r.count), [1, 3, 0, 1]);
  const summary = countSummary(rows);
  assertEquals(summary.mean, 1.25);
  assertEquals(summary.neverDrawn, 0.25);
  assertEquals(summary.top10Share, 3 / 5);
  assertThrows(() => indexCounts([[4]], 4, "s"), RangeError);
});

Deno.test("isWeightRows lists distinct slots with weights in (0, 1], rising priority", () => {
  const buffer = new PrioritizedReplayBuffer(100, { stateDim: 4, actionDim: 1, rng: new Rng(2) });
  const episodes = collectRandomEpisodes("CartPole-v1", { steps: 50, seed: 2 });
  for (const e of episodes) addEpisode(buffer, e);
  const slots = Int32Array.from({ length: buffer.size }, (_, i) => i);
  buffer.updatePriorities(slots, Array.from(slots, (i) => i + 1));
  const rows = isWeightRows(buffer, buffer.sample(500), "b");
  assertEquals(new Set(rows.map((r) => r.slot)).size, rows.length);
  for (let i = 1; i < rows.length; i++) assert(rows[i]!.priority >= rows[i - 1]!.priority);
  for (const row of rows) assert(row.weight > 0 && row.weight <= 1);
  assertGreater(rows[0]!.weight, rows.at(-1)!.weight);
});

Deno.test("pendulumRows wraps the angle to [-pi, pi)", () => {
  const record = playEpisode(makeEnv("Pendulum-v1"), () => [0], { seed: 0, maxSteps: 20 });
  const rows = pendulumRows(record, "x");
  assertEquals(rows.length, 21);
  for (const row of rows) assert(row.theta >= -Math.PI && row.theta < Math.PI);
  assertEquals(rows[0]!.torque, 0);
  assertEquals(rows[20]!.torque, undefined);
});
