import {
  assert,
  assertEquals,
  assertGreater,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  type MbrlConfigInput,
  ModelBasedRLAgent,
  resolveMbrlConfig,
  trainModelBasedRL,
} from "./mbrl_imports.ts";
import { setupBackend } from "../../lib/backend.ts";
import { makeEnv } from "../../lib/envs/registry.ts";
import { readMetrics, readRunStatus, readSummary } from "../../lib/run_folder.ts";
import { Rng } from "../../lib/rng.ts";
import { TrueDynamicsModel } from "../../lib/planners/true_dynamics_model.ts";

await setupBackend();

/** A tiny, fast configuration (not the defaults). */
const TINY = {
  envId: "CartPole-v1",
  loop: { warmupSteps: 100, retrainEvery: 100 },
  model: { hiddenSizes: [32, 32] },
  fit: { epochs: 30 },
  planner: { horizon: 10, numSamples: 100 },
  eval: { every: 100 },
} as const satisfies MbrlConfigInput;

/** TINY with some fields overridden (one level deep per group). */
function tiny(overrides: MbrlConfigInput): MbrlConfigInput {
  const out: Record<string, unknown> = { ...TINY };
  for (const [key, value] of Object.entries(overrides)) {
    const base = (TINY as Record<string, unknown>)[key];
    out[key] = typeof value === "object" && value !== null && typeof base === "object"
      ? { ...base, ...value }
      : value;
  }
  return out as MbrlConfigInput;
}

function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v) => {
    if (/seconds|ms|runDir|wall/i.test(key)) return undefined;
    return v;
  }));
}

Deno.test("the agent validates its model and planner names", () => {
  assertThrows(
    () => new ModelBasedRLAgent(resolveMbrlConfig({ model: { type: "big" as never } })),
    RangeError,
    "model.type",
  );
  assertThrows(
    () => new ModelBasedRLAgent(resolveMbrlConfig({ planner: { type: "genetic" as never } })),
    RangeError,
    "planner type",
  );
  assertThrows(
    () => new ModelBasedRLAgent(resolveMbrlConfig({ planner: { horizon: 0 } })),
    RangeError,
    "horizon",
  );
  const agent = new ModelBasedRLAgent(resolveMbrlConfig());
  assertThrows(() => agent.act(new Float32Array(4)), TypeError, "untrained");
  agent.dispose();
});

Deno.test("numTensors stays flat while the agent acts, observes and retrains", async () => {
  const rng = new Rng(5);
  const agent = new ModelBasedRLAgent(
    resolveMbrlConfig({
      envId: "CartPole-v1",
      model: { type: "ensemble", numModels: 2, hiddenSizes: [16, 16] },
      planner: { horizon: 5, numSamples: 20, particles: 2 },
      fit: { epochs: 3 },
    }),
    { rng },
  );
  const env = makeEnv("CartPole-v1", { seed: 5 });
  let obs = env.reset().observation;
  const step = (action: number) => {
    const s = env.step(action);
    agent.observe({ ...s, state: obs, action, nextState: s.observation });
    obs = s.terminated || s.truncated ? env.reset().observation : s.observation;
  };
  for (let t = 0; t < 50; t++) step(agent.randomAction() as number);
  await agent.trainModel();
  step(agent.act(obs) as number); // warm-up call
  const before = tf.memory().numTensors;
  for (let t = 0; t < 200; t++) {
    step(agent.act(obs) as number);
    if (t % 50 === 49) await agent.trainModel();
  }
  assertEquals(tf.memory().numTensors, before);
  agent.dispose();
});

Deno.test("a tiny MBRL run beats the random policy's mean return by a wide margin", async () => {
  const seed = 1;
  const tensorsBefore = tf.memory().numTensors;
  const outDir = await Deno.makeTempDir();
  const { summary, agent, history } = await trainModelBasedRL(
    tiny({ seed, loop: { maxSteps: 300, stopWhenSolved: true }, eval: { episodes: 5 } }),
    { outDir, runId: "tiny" },
  );
  agent.dispose();
  assertEquals(tf.memory().numTensors, tensorsBefore);
  // The random policy on the same env and seed, over as many episodes.
  const env = makeEnv("CartPole-v1", { rng: new Rng(seed).stream("eval-env") });
  const rng = new Rng(seed).stream("random");
  let total = 0;
  for (let e = 0; e < 5; e++) {
    env.reset();
    for (;;) {
      const s = env.step(rng.int(2));
      total += s.reward;
      if (s.terminated || s.truncated) break;
    }
  }
  const randomMean = total / 5;
  assert(summary.finalEvalMean !== null);
  assertGreater(summary.finalEvalMean, 4 * randomMean);
  assertGreater(summary.finalEvalMean, 150);
  // Evaluation episodes add no data: envSteps counts training steps only.
  const episodeSteps = history.filter((r) => r.kind === "episode").at(-1)?.envSteps ?? 0;
  assert(summary.envSteps >= episodeSteps && summary.envSteps <= 300);
  assertEquals(agent.buffer.size, summary.envSteps);
});

Deno.test("a run writes its folder, and the same seed reproduces it", async () => {
  const outDir = await Deno.makeTempDir();
  const config = tiny({
    seed: 2,
    loop: { maxSteps: 150, stopWhenSolved: false },
    eval: { episodes: 2 },
  });
  const a = await trainModelBasedRL(config, { outDir, runId: "a" });
  a.agent.dispose();
  const b = await trainModelBasedRL(config, { outDir, runId: "b" });
  b.agent.dispose();
  const summary = readSummary(join(outDir, "a"));
  for (
    const field of [
      "envId",
      "seed",
      "envSteps",
      "solved",
      "stepsToSolve",
      "finalEvalMean",
      "wallSeconds",
      "backend",
      "tfjs",
    ]
  ) {
    assert(field in summary, `summary.json lacks ${field}`);
  }
  assertEquals(summary.method, "mbrl");
  assertEquals(summary.envSteps, 150);
  const rows = readMetrics(join(outDir, "a"));
  assertEquals(rows, a.history);
  const evals = rows.filter((r) => r.kind === "eval");
  assertEquals(evals[0]?.envSteps, 100); // right after warm-up
  for (const row of rows.filter((r) => r.kind === "episode")) {
    for (const key of ["episode", "envSteps", "return", "length", "modelLoss", "planMsMean"]) {
      assert(key in row, `episode row lacks ${key}`);
    }
  }
  const written = JSON.parse(Deno.readTextFileSync(join(outDir, "a", "config.json")));
  assertEquals(written.seed, 2);
  assertEquals(written.config, a.config);
  assertEquals(withoutTimes(readMetrics(join(outDir, "b"))), withoutTimes(rows));
  assertEquals(withoutTimes(b.summary), withoutTimes(a.summary));
});

Deno.test("another seed gives another run", async () => {
  const outDir = await Deno.makeTempDir();
  const config = (seed: number) => tiny({ seed, loop: { maxSteps: 120 }, eval: { episodes: 1 } });
  const a = await trainModelBasedRL(config(3), { outDir, runId: "a" });
  a.agent.dispose();
  const b = await trainModelBasedRL(config(4), { outDir, runId: "b" });
  b.agent.dispose();
  assertNotEquals(withoutTimes(a.history), withoutTimes(b.history));
});

Deno.test("trainModelBasedRL rejects bad options before writing anything", async () => {
  const outDir = await Deno.makeTempDir();
  let error: unknown;
  try {
    await trainModelBasedRL(tiny({ loop: { maxSteps: 0 } }), { outDir, runId: "x" });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError);
  assertMatch(String(error), /maxSteps/);
  assertEquals([...Deno.readDirSync(outDir)].length, 0);
});

Deno.test("an aborted run stops, records status interrupted and keeps its rows", async () => {
  const outDir = await Deno.makeTempDir();
  const controller = new AbortController();
  const { agent, summary, history, runDir } = await trainModelBasedRL(
    tiny({ loop: { maxSteps: 400 }, eval: { episodes: 1 } }),
    {
      outDir,
      runId: "cut",
      signal: controller.signal,
      onProgress: (row) => {
        if (row.kind === "eval") controller.abort();
      },
    },
  );
  agent.dispose();
  assertEquals(summary.status, "interrupted");
  assert(summary.envSteps < 400, `ran on to ${summary.envSteps} steps`);
  assertEquals(readRunStatus(runDir), "interrupted");
  assertEquals(readMetrics(runDir), history);
});

Deno.test("an explicit runId that exists is refused unless overwrite", async () => {
  const outDir = await Deno.makeTempDir();
  const config = tiny({ loop: { maxSteps: 101 }, eval: { episodes: 1 } });
  const first = await trainModelBasedRL(config, { outDir, runId: "same" });
  first.agent.dispose();
  const rowsBefore = readMetrics(first.runDir);
  await assertRejects(
    () => trainModelBasedRL(config, { outDir, runId: "same" }),
    Deno.errors.AlreadyExists,
    "already exists",
  );
  assertEquals(readMetrics(first.runDir), rowsBefore);
  const again = await trainModelBasedRL(config, { outDir, runId: "same", overwrite: true });
  again.agent.dispose();
  assertEquals(withoutTimes(readMetrics(again.runDir)), withoutTimes(rowsBefore));
});

Deno.test("an evaluation due at the last step is the final one: full, and only one there", async () => {
  const outDir = await Deno.makeTempDir();
  // A weak controller (few sequences, short fits): its periodic evaluations stop early.
  const result = await trainModelBasedRL(
    tiny({
      seed: 3,
      loop: { warmupSteps: 20, retrainEvery: 20, maxSteps: 60 },
      fit: { epochs: 2 },
      planner: { horizon: 3, numSamples: 8 },
      eval: { every: 20, episodes: 4 },
    }),
    { outDir, runId: "last" },
  );
  result.agent.dispose();
  const evals = result.history.filter((r) => r.kind === "eval");
  assert(evals.some((r) => r.evalStoppedEarly), "an earlier evaluation stopped early");
  const atEnd = evals.filter((r) => r.envSteps === 60);
  assertEquals(atEnd.length, 1);
  assertEquals(atEnd[0]!.evalEpisodes, 4);
  assertEquals(atEnd[0]!.evalStoppedEarly, false);
});

Deno.test("a run can plan with a given model (the env's true physics) and says so", async () => {
  const outDir = await Deno.makeTempDir();
  const config = tiny({
    seed: 1,
    loop: { maxSteps: 150, stopWhenSolved: true },
    planner: { workers: 0 },
    eval: { episodes: 2 },
  });
  const truth = new TrueDynamicsModel({ env: makeEnv("CartPole-v1") });
  const { summary, agent } = await trainModelBasedRL(config, {
    outDir,
    runId: "oracle",
    dynamicsModel: truth,
  });
  agent.dispose();
  assertEquals(summary.modelType, "given");
  // Nothing was fitted (a learned model's 30 epochs take far longer), and planning with the
  // truth keeps the pole up far beyond the random policy's ~20 steps.
  assertGreater(0.05, summary.trainSeconds);
  assertGreater(summary.finalEvalMean, 200);
  await assertRejects(
    () =>
      trainModelBasedRL({ ...config, planner: { workers: 1 } }, {
        outDir,
        runId: "w",
        dynamicsModel: truth,
      }),
    RangeError,
    "workers 0",
  );
  await assertRejects(
    () =>
      trainModelBasedRL(config, {
        outDir,
        runId: "both",
        dynamicsModel: truth,
        wrapModel: (learned) => learned,
      }),
    TypeError,
    "not both",
  );
});
