import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { ReplayBuffer } from "../../lib/buffer/replay_buffer.ts";
import {
  coveredFraction,
  episodeEnding,
  myopicEpisode,
  pumpingPolicy,
  valueGridRows,
  visitedStateRows,
} from "../../lib/demos/value_demo.ts";
import { addEpisode } from "../../lib/demos/buffer_demo.ts";
import { playEpisode } from "../../lib/demos/episode.ts";
import { makeEnv } from "../../lib/envs/registry.ts";
import { ValueFunction } from "../../lib/models/value_function.ts";
import { RandomShootingMPC } from "../../lib/planners/mpc.ts";
import { TrueDynamicsModel } from "../../lib/planners/true_dynamics_model.ts";
import { Rng } from "../../lib/rng.ts";

/** V(s) = 3 s0 - s1 + 100 s2 on 3-D states, by hand. */
function linear(states: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = 3 * states[3 * i]! - states[3 * i + 1]! + 100 * states[3 * i + 2]!;
  }
  return out;
}

Deno.test("valueGridRows matches a hand-computed function on a 3 x 2 grid", () => {
  const rows = valueGridRows(linear, {
    base: [0, 0, 0.5],
    x: { dim: 1, min: -1, max: 1, steps: 3 },
    y: { dim: 0, min: 0, max: 2, steps: 2 },
  });
  // x (= s1) varies fastest; s2 stays at its base 0.5 (adds 50).
  assertEquals(rows, [
    { x: -1, y: 0, value: 51 },
    { x: 0, y: 0, value: 50 },
    { x: 1, y: 0, value: 49 },
    { x: -1, y: 2, value: 57 },
    { x: 0, y: 2, value: 56 },
    { x: 1, y: 2, value: 55 },
  ]);
});

Deno.test("valueGridRows makes one batched call and refuses bad grids and results", () => {
  let calls = 0;
  const counting = (states: Float32Array, n: number) => {
    calls++;
    assertEquals(states.length, 3 * n);
    return linear(states, n);
  };
  const ok = {
    base: [0, 0, 0],
    x: { dim: 0, min: 0, max: 1, steps: 4 },
    y: { dim: 2, min: 0, max: 1, steps: 5 },
  };
  assertEquals(valueGridRows(counting, ok).length, 20);
  assertEquals(calls, 1);
  assertThrows(
    () => valueGridRows(linear, { ...ok, y: { ...ok.y, dim: 0 } }),
    RangeError,
    "different dims",
  );
  assertThrows(() => valueGridRows(linear, { ...ok, x: { ...ok.x, dim: 3 } }), RangeError, "x.dim");
  assertThrows(
    () => valueGridRows(linear, { ...ok, x: { ...ok.x, steps: 1 } }),
    RangeError,
    "x.steps",
  );
  assertThrows(
    () => valueGridRows(linear, { ...ok, y: { ...ok.y, min: 1, max: 1 } }),
    RangeError,
    "y.min",
  );
  assertThrows(() => valueGridRows(linear, { ...ok, base: [0, NaN, 0] }), RangeError, "base[1]");
  assertThrows(() => valueGridRows(() => new Float32Array(3), ok), RangeError, "20 values");
  assertThrows(
    () => valueGridRows((_s, n) => new Float32Array(n).fill(NaN), ok),
    RangeError,
    "finite",
  );
});

Deno.test("episodeEnding names the cause from the flags and the last state", () => {
  const done = { terminated: true, truncated: false };
  assertEquals(episodeEnding("CartPole-v1", done, [2.41, 0.5, 0.01, 0]), "cart position");
  assertEquals(episodeEnding("CartPole-v1", done, [-2.41, -0.5, 0.3, 0]), "cart position");
  assertEquals(episodeEnding("CartPole-v1", done, [1.0, 0.5, 0.25, 0]), "pole angle");
  assertEquals(episodeEnding("MountainCar-v0", done, [0.52, 0.01]), "goal");
  assertEquals(
    episodeEnding("CartPole-v1", { terminated: false, truncated: true }, [0, 0, 0, 0]),
    "time limit",
  );
  assertEquals(
    episodeEnding("CartPole-v1", { terminated: false, truncated: false }, [0, 0, 0, 0]),
    "step cap",
  );
  assertThrows(() => episodeEnding("Pendulum-v1", done, [0, 0]), RangeError, "Pendulum-v1");
});

Deno.test("myopicEpisode reports the ending of constructed episodes", () => {
  // Always pushing right: the pole falls over (left) long before the cart reaches 2.4.
  const push = myopicEpisode(makeEnv("CartPole-v1"), { getAction: () => 1 }, { seed: 3 });
  assertEquals(push.ending, "pole angle");
  const last = push.episode.states.at(-1)!;
  assert(Math.abs(last[2]!) > 0.2095 && Math.abs(last[0]!) < 2.4);
  // Pumping energy into the swing reaches the flag; doing nothing hits the 200-step limit.
  const pump = myopicEpisode(makeEnv("MountainCar-v0"), { getAction: (s) => pumpingPolicy(s) });
  assertEquals(pump.ending, "goal");
  assert(pump.episode.length < 200 && pump.episode.states.at(-1)![0]! >= 0.5);
  const idle = myopicEpisode(makeEnv("MountainCar-v0"), { getAction: () => 1 }, { series: "idle" });
  assertEquals(idle.ending, "time limit");
  assertEquals(idle.episode.length, 200);
  const capped = myopicEpisode(makeEnv("CartPole-v1"), { getAction: () => 1 }, { maxSteps: 3 });
  assertEquals(capped.ending, "step cap");
  // Rows: every state (length + 1), the chosen components, labelled.
  const rows = myopicEpisode(makeEnv("CartPole-v1"), { getAction: () => 0 }, {
    seed: 1,
    maxSteps: 4,
    dims: ["theta", "x"],
  }).rows;
  assertEquals(rows.length, 10);
  assertEquals(rows.slice(0, 2).map((r) => [r.series, r.step, r.dim]), [["seed 1", 0, "theta"], [
    "seed 1",
    0,
    "x",
  ]]);
  assertThrows(
    () => myopicEpisode(makeEnv("CartPole-v1"), { getAction: () => 0 }, { dims: ["angle"] }),
    RangeError,
    "x, x_dot, theta, theta_dot",
  );
});

Deno.test("myopicEpisode with a true-dynamics planner is reproducible and records its stats", () => {
  const run = () => {
    const planner = new RandomShootingMPC({
      dynamicsModel: new TrueDynamicsModel({ env: makeEnv("CartPole-v1") }),
      envId: "CartPole-v1",
      horizon: 5,
      numSamples: 30,
      shaping: null,
      rng: new Rng(4),
    });
    return myopicEpisode(makeEnv("CartPole-v1"), planner, { seed: 2, maxSteps: 40 });
  };
  const a = run();
  const b = run();
  assertEquals(a.rows, b.rows);
  assertEquals(a.stats.length, a.episode.length);
  assertEquals(a.ending, b.ending);
});

Deno.test("visitedStateRows and coveredFraction read a buffer's states", () => {
  const buffer = new ReplayBuffer(500, { stateDim: 2, actionDim: 1, rng: new Rng(0) });
  const episode = playEpisode(makeEnv("MountainCar-v0"), pumpingPolicy, { seed: 5 });
  addEpisode(buffer, episode);
  const rows = visitedStateRows(buffer, "pump");
  assertEquals(rows.length, episode.length);
  assertAlmostEquals(rows[0]!.x, episode.observations[0]![0]!, 1e-6);
  assertAlmostEquals(rows[3]!.y, episode.observations[3]![1]!, 1e-6);
  assertEquals(
    visitedStateRows(buffer, "pump", { every: 10 }).length,
    Math.ceil(episode.length / 10),
  );
  const swapped = visitedStateRows(buffer.all(), "pump", { dims: [1, 0] });
  assertEquals([swapped[3]!.x, swapped[3]!.y], [rows[3]!.y, rows[3]!.x]);
  assertThrows(() => visitedStateRows(buffer, "pump", { dims: [0, 2] }), RangeError, "dims[1]");
  assertThrows(() => visitedStateRows(buffer, "pump", { every: 0 }), RangeError, "every");
  // Coverage: hand-placed points in a 2 x 2 grid, one outside the box clamped to its corner cell.
  const box = { x: [0, 1], y: [0, 1], cells: 2 } as const;
  assertEquals(coveredFraction([{ x: 0.1, y: 0.1 }], box), 0.25);
  assertEquals(coveredFraction([{ x: 0.1, y: 0.1 }, { x: -5, y: -5 }], box), 0.25);
  assertEquals(
    coveredFraction([{ x: 0.1, y: 0.1 }, { x: 0.9, y: 0.2 }, { x: 0.6, y: 0.7 }], box),
    0.75,
  );
  assertThrows(() => coveredFraction([], { x: [1, 0], y: [0, 1] }), RangeError, "box");
});

Deno.test("valueGridRows over a fitted ValueFunction leaks no tensors", async () => {
  await setupBackend();
  const buffer = new ReplayBuffer(1000, { stateDim: 2, actionDim: 1, rng: new Rng(0) });
  addEpisode(buffer, playEpisode(makeEnv("MountainCar-v0"), pumpingPolicy, { seed: 1 }));
  const value = new ValueFunction({ stateDim: 2, rng: new Rng(1) });
  await value.fit(buffer, { epochs: 1, minSteps: 10 });
  const grid = {
    base: [0, 0],
    x: { dim: 0, min: -1.2, max: 0.6, steps: 5 },
    y: { dim: 1, min: -0.07, max: 0.07, steps: 4 },
  };
  const valueOf = (states: Float32Array, n: number) => value.predict(states, n);
  valueGridRows(valueOf, grid); // warm-up
  const before = tf.memory().numTensors;
  const rows = valueGridRows(valueOf, grid);
  assertEquals(tf.memory().numTensors, before);
  assertEquals(rows.length, 20);
  assert(rows.every((r) => Number.isFinite(r.value)));
  value.dispose();
});
