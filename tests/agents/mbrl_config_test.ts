import { assert, assertAlmostEquals, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  MBRL_FIELD_DOCS,
  MBRL_PRESETS,
  type MbrlConfig,
  type MbrlConfigInput,
  resolveMbrlConfig,
  trainModelBasedRL,
} from "./mbrl_imports.ts";
import { setupBackend } from "../../lib/backend.ts";
import { ENV_IDS, envMetadata } from "../../lib/envs/registry.ts";
import { trainFlags, trainOptionsFromArgs } from "../../lib/cli/train.ts";
import type { EvalRow } from "../../lib/run_folder.ts";

await setupBackend();

Deno.test("every env has a frozen preset that resolves to itself", () => {
  for (const id of ENV_IDS) {
    const preset = MBRL_PRESETS[id];
    assertEquals(preset.envId, id);
    assert(Object.isFrozen(preset) && Object.isFrozen(preset.planner), `${id} preset not frozen`);
    assertEquals(resolveMbrlConfig({ envId: id }), preset);
    assertEquals(resolveMbrlConfig(preset), preset, `${id}: a resolved config is a valid input`);
    if (envMetadata(id).actionSpace.kind === "box") {
      assertEquals(preset.planner.actionMode, "continuous");
    }
  }
  // CartPole plans with its true reward only: no shaping, the first-action mean, one network.
  const cartPole = MBRL_PRESETS["CartPole-v1"];
  assertEquals(cartPole.objective.shaping, null);
  assert(cartPole.planner.type === "random_shooting");
  assertEquals(cartPole.planner.selection, "firstActionMean");
  assertEquals(cartPole.model.type, "deterministic");
  assertEquals(cartPole.objective.explorationBonus, 0);
  // CartPole infers on the dense kernel; the other presets keep tfjs, their results' engine.
  assertEquals(cartPole.model.inference, "kernel");
  for (const id of ENV_IDS.filter((id) => id !== "CartPole-v1")) {
    assertEquals(MBRL_PRESETS[id].model.inference, "tfjs", id);
  }
  // A 100-step warm-up and a refit every 50 (tuned without shaping), evaluations every 100.
  assertEquals(cartPole.loop.warmupSteps, 100);
  assertEquals(cartPole.loop.retrainEvery, 50);
  assertEquals(cartPole.eval.every, 100);
  // The theta^2 term stays an option.
  const shaped = resolveMbrlConfig({ objective: { shaping: { weights: [0, 0, 0.05, 0] } } });
  assertEquals(shaped.objective.shaping, { weights: [0, 0, 0.05, 0] });
  // MountainCarContinuous explores with an ensemble's disagreement and plans with a value.
  const mcc = MBRL_PRESETS["MountainCarContinuous-v0"];
  assertEquals(mcc.model.type, "ensemble");
  assertEquals(mcc.planner.propagation, "expectation");
  assertEquals(mcc.planner.discount, 0.99);
  assertEquals(mcc.objective.terminalValue, true);
  assertEquals(mcc.objective.explorationBonus, 10);
  // Acrobot: the same recipe with CEM, V from mean(r) / (1 - discount) learning
  // lambda-returns, and a first evaluation wave of 3.
  const acrobot = MBRL_PRESETS["Acrobot-v1"];
  assertEquals(acrobot.model.type, "ensemble");
  assert(acrobot.planner.type === "cem");
  assertEquals(acrobot.planner.actionMode, "discrete");
  assertEquals([acrobot.planner.numSamples, acrobot.planner.numIterations], [100, 5]);
  assertEquals(acrobot.planner.numElite, 10);
  assertEquals(acrobot.planner.discount, 0.99);
  assertEquals(acrobot.objective.terminalValue, true);
  assertEquals(acrobot.objective.explorationBonus, 10);
  assertEquals(acrobot.value.lambda, 0.95);
  assertEquals(acrobot.value.initialValue, "meanReward");
  assertEquals(acrobot.eval.every, 500);
  assertEquals(acrobot.eval.firstWave, 3);
  // MountainCar-v0 takes Acrobot-v1's recipe, with a first wave of 6 (six -200s rule out -110)
  // and V by value iteration on the model, 300 passes a refit.
  const car = MBRL_PRESETS["MountainCar-v0"];
  assertEquals(acrobot.value.optimisticTrace, false);
  assertEquals(acrobot.value.backup, "data");
  assertEquals([car.value.backup, car.value.epochs], ["model", 300]);
  assertEquals(
    {
      ...car,
      envId: "Acrobot-v1",
      loop: acrobot.loop,
      eval: acrobot.eval,
      value: { ...car.value, backup: "data", epochs: acrobot.value.epochs },
    },
    acrobot,
  );
  assertEquals([car.loop.maxSteps, car.eval.every, car.eval.firstWave], [20_000, 1000, 6]);
  // Every other preset keeps TD(0) from zero and the first wave of 2.
  for (const id of ENV_IDS.filter((id) => id !== "Acrobot-v1" && id !== "MountainCar-v0")) {
    const preset = MBRL_PRESETS[id];
    assertEquals([preset.value.lambda, preset.value.initialValue], [0, "zero"], id);
    assertEquals(preset.eval.firstWave, 2, id);
  }
  // Every other preset keeps the default selection and model.
  const plain = ["Pendulum-v1"] as const;
  for (const id of plain) {
    const preset = MBRL_PRESETS[id];
    assertEquals(preset.objective.shaping, null);
    assert(preset.planner.type === "random_shooting");
    assertEquals(preset.planner.selection, "best");
    assertEquals(preset.model.type, "deterministic");
    assertEquals(preset.objective.explorationBonus, 0);
  }
});

Deno.test("overrides change exactly their field; other fields come from the env's preset", () => {
  const config = resolveMbrlConfig({ envId: "CartPole-v1", planner: { horizon: 7 } });
  assertEquals(config.planner.horizon, 7);
  assertEquals(config.planner.numSamples, MBRL_PRESETS["CartPole-v1"].planner.numSamples);
  assertEquals({ ...config, planner: undefined }, {
    ...MBRL_PRESETS["CartPole-v1"],
    planner: undefined,
  });
});

Deno.test("a new planner type keeps the common fields and takes its own defaults", () => {
  const cem = resolveMbrlConfig({ planner: { type: "cem" } });
  assert(cem.planner.type === "cem");
  assertEquals(cem.planner.horizon, 15);
  assertEquals(cem.planner.numElite, 100);
  assertEquals(cem.planner.minProbability, 0.1); // 0.2 / 2 categories, resolved
  const mppi = resolveMbrlConfig({ envId: "Pendulum-v1", planner: { type: "mppi" } });
  assert(mppi.planner.type === "mppi");
  assertEquals(mppi.planner.minProbability, null); // continuous search: does not apply
  assertEquals(mppi.planner.noiseBeta, 0.9);
  const ensemble = resolveMbrlConfig({ model: { type: "ensemble" } });
  assertEquals(ensemble.model.numModels, 5);
});

Deno.test("bad configurations are refused naming the field, what is allowed and what was found", () => {
  const cases: [MbrlConfigInput, typeof TypeError | typeof RangeError, RegExp][] = [
    [{ envId: "CartPol-v1" as never }, RangeError, /envId to be one of CartPole-v1.*"CartPol-v1"/],
    [{ loop: { maxStep: 3 } as never }, TypeError, /Unknown field "loop.maxStep"/],
    [{ agent: {} } as never, TypeError, /Unknown field "agent"/],
    [{ planner: { type: "cem", temperature: 2 } }, RangeError, /"temperature", which cem/],
    [{ loop: { warmupSteps: 5000, maxSteps: 100 } }, RangeError, /warmupSteps \(5000\).*maxSteps/],
    [
      { model: { type: "deterministic", numModels: 3 } },
      RangeError,
      /numModels to be 1 for a deterministic/,
    ],
    [{ objective: { shaping: { weights: [1] } } }, RangeError, /objective.shaping .* 4 numbers/],
    [{ planner: { type: "cem", numSamples: 10, numElite: 20 } }, RangeError, /numElite.*\(10\)/],
    [{ envId: "Pendulum-v1", planner: { actionMode: "discrete" } }, RangeError, /Box action/],
    [{ eval: { every: 0 } }, RangeError, /eval.every to be a positive integer but found 0/],
    [{ fit: { validationFraction: 1 } }, RangeError, /validationFraction/],
    [{ objective: { terminalValue: true } }, RangeError, /discount below 1 with objective/],
    [
      { model: { type: "deterministic" }, objective: { explorationBonus: 1 } },
      RangeError,
      /"ensemble" with objective.explorationBonus/,
    ],
    [{ value: { targetTau: 0 } }, RangeError, /value.targetTau to be in \(0, 1\]/],
    [{ value: { lambda: 1.5 } }, RangeError, /value.lambda to be in \[0, 1\] but found 1.5/],
    [
      { value: { initialValue: "one" as never } },
      RangeError,
      /value.initialValue to be "zero" or "meanReward" but found "one"/,
    ],
    [
      { value: { backup: "lookahead" as never } },
      RangeError,
      /value.backup to be "data" or "model"/,
    ],
    [
      { envId: "Pendulum-v1", value: { backup: "model" } },
      RangeError,
      /Discrete action space for value.backup "model".*Pendulum-v1/,
    ],
    [{ eval: { firstWave: 0 } }, RangeError, /eval.firstWave to be a positive integer/],
    [{ planner: { selection: "median" as never } }, RangeError, /selection to be one of best/],
    [
      { planner: { actionMode: "continuous", selection: "firstActionMean" } },
      RangeError,
      /actionMode "discrete" with selection "firstActionMean".*"continuous"/,
    ],
    [{ planner: { type: "cem", selection: "best" } }, RangeError, /"selection", which cem/],
  ];
  for (const [input, type, message] of cases) {
    const error = assertThrows(() => resolveMbrlConfig(input), type);
    assertMatch((error as Error).message, message);
  }
});

Deno.test("config.json is what the agent and planner were built with, read back from them", async () => {
  const outDir = await Deno.makeTempDir();
  // Overrides at every level, on an env and planner other than the defaults.
  const input: MbrlConfigInput = {
    envId: "Pendulum-v1",
    seed: 11,
    loop: { maxSteps: 60, warmupSteps: 40, retrainEvery: 20, bufferCapacity: 5000 },
    model: { type: "ensemble", numModels: 2, hiddenSizes: [8, 8], learningRate: 1e-3 },
    fit: { epochs: 2, batchSize: 16, patience: 3, validationFraction: 0.2 },
    planner: {
      type: "mppi",
      horizon: 4,
      numSamples: 12,
      particles: 2,
      temperature: 0.5,
      noiseBeta: 0.7,
      discount: 0.95,
    },
    objective: { shaping: { weights: [0.1, 0, 0.01] }, terminalValue: true, explorationBonus: 0.5 },
    value: {
      hiddenSizes: [8],
      learningRate: 2e-3,
      targetTau: 0.1,
      epochs: 2,
      minSteps: 10,
      lambda: 0.5,
      initialValue: "meanReward",
    },
    eval: { every: 20, episodes: 1, earlyStop: false, firstWave: 3 },
  };
  const { agent, config, runDir } = await trainModelBasedRL(input, { outDir, runId: "x" });
  try {
    const written = JSON.parse(Deno.readTextFileSync(join(runDir, "config.json")));
    assertEquals(written.config, config);
    const summary = JSON.parse(Deno.readTextFileSync(join(runDir, "summary.json")));
    assertEquals(summary.config, config);
    assertEquals(summary.objective, config.objective);
    const built = agent.settings;
    assertEquals(built.envId, config.envId);
    assertEquals(built.loop.bufferCapacity, config.loop.bufferCapacity);
    assertEquals(built.fit, config.fit);
    assertEquals(built.planner, config.planner);
    assertEquals(built.objective.rewardSource, config.objective.rewardSource);
    assertEquals(built.objective.terminationSource, config.objective.terminationSource);
    // The evaluator computes in float32: compare the weights at that precision.
    const weights = built.objective.shaping?.weights ?? [];
    assertEquals(weights.length, 3);
    weights.forEach((w, i) => assertAlmostEquals(w, config.objective.shaping!.weights[i]!, 1e-7));
    assertEquals(built.objective.terminalValue, config.objective.terminalValue);
    assertEquals(built.objective.explorationBonus, config.objective.explorationBonus);
    assert(built.model !== null, "the model reports its settings");
    assertEquals(built.model, config.model);
    assert(built.value !== null, "the terminal value reports its settings");
    assertEquals(built.value.hiddenSizes, config.value.hiddenSizes);
    assertEquals(built.value.targetTau, config.value.targetTau);
    assertAlmostEquals(built.value.learningRate, config.value.learningRate, 1e-12);
    assertEquals(built.value.epochs, config.value.epochs);
    assertEquals(built.value.lambda, 0.5);
    assertEquals(built.value.initialValue, "meanReward");
    assertEquals(built.value.backup, "data");
  } finally {
    agent.dispose();
  }
});

Deno.test("eval.firstWave: an evaluation refused after its first wave plans only for it", async () => {
  // Right after a 40-step warm-up the Acrobot controller fails every episode (-500): two
  // failures still allow a mean of -100 if the other eight scored 0, three do not. A first
  // wave of 3 is refused after it; with 2 the other eight run (in lockstep) until they fail.
  const outDir = await Deno.makeTempDir();
  const rows: Record<number, EvalRow> = {};
  const evaluations: Record<number, number> = {};
  for (const firstWave of [2, 3]) {
    const { agent, history } = await trainModelBasedRL({
      envId: "Acrobot-v1",
      loop: { maxSteps: 41, warmupSteps: 40 },
      fit: { epochs: 1 },
      planner: { numSamples: 10, horizon: 2 },
      eval: { every: 100, firstWave },
    }, { outDir, runId: `wave${firstWave}` });
    evaluations[firstWave] = agent.planner.modelEvaluations;
    agent.dispose();
    rows[firstWave] = history.find((row): row is EvalRow =>
      row.kind === "eval" && row.envSteps === 40
    )!;
  }
  await Deno.remove(outDir, { recursive: true });
  assertEquals(rows[3]!.evalEpisodes, 3);
  assertEquals(rows[3]!.evalReturnMean, -500);
  assertEquals(rows[3]!.evalStoppedEarly, true);
  // 7 more episodes of 500 planning steps of 10 sequences x 2 steps, less any that the final
  // (full, equal-length) evaluation ends sooner by chance.
  const extra = evaluations[2]! - evaluations[3]!;
  assert(extra > 0.8 * 7 * 500 * 20, `first wave 2 planned only ${extra} more model rows`);
});

Deno.test("the train CLI's help is generated from the field docs and the env's preset", () => {
  const preset: MbrlConfig = MBRL_PRESETS["Acrobot-v1"];
  const flags = trainFlags(preset);
  assertMatch(flags["eval-every"]!.help, /evaluate every N real steps after warm-up \[500\]/);
  assertMatch(flags.horizon!.help, new RegExp(`${MBRL_FIELD_DOCS.planner.horizon} \\[15\\]`));
  assertMatch(flags.temperature!.help, /\[mppi: 1\]/);
  const command = trainOptionsFromArgs([
    "--env",
    "Acrobot-v1",
    "--planner",
    "cem",
    "--elites",
    "20",
    "--no-shaping",
    "--no-early-stop",
  ]);
  const resolved = resolveMbrlConfig(command.config);
  assert(resolved.planner.type === "cem");
  assertEquals(resolved.planner.numElite, 20);
  assertEquals(resolved.objective.shaping, null);
  assertEquals(resolved.eval.earlyStop, false);
});
