import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { modelSuccessors } from "../../lib/agents/model_successors.ts";
import { ModelBasedRLAgent, resolveMbrlConfig } from "./mbrl_imports.ts";
import { setupBackend } from "../../lib/backend.ts";
import { envRules, makeEnv } from "../../lib/envs/registry.ts";
import { TrueDynamicsModel } from "../../lib/planners/true_dynamics_model.ts";
import { Rng } from "../../lib/rng.ts";
import { makeBatch } from "../models/helpers.ts";

await setupBackend();

/** MountainCar-v0's step by hand (Gymnasium's equations), for one state and action. */
function mountainCarStep(x: number, v: number, action: number): [number, number] {
  let vel = v + (action - 1) * 0.001 + Math.cos(3 * x) * -0.0025;
  vel = Math.min(0.07, Math.max(-0.07, vel));
  let pos = Math.min(0.6, Math.max(-1.2, x + vel));
  if (pos === -1.2 && vel < 0) vel = 0;
  pos = Math.fround(pos);
  return [pos, Math.fround(vel)];
}

Deno.test("modelSuccessors: every action's next state, reward and termination, row by row", () => {
  const model = new TrueDynamicsModel({ env: makeEnv("MountainCar-v0") });
  // The second state is one push from the flag (x >= 0.5 with v >= 0 ends the episode).
  const states = [[-0.5, 0], [0.49, 0.02]];
  const batch = makeBatch(2, 1, states.map((s) => ({ s, a: [0], next: s, r: -1 })));
  const out = modelSuccessors(model, batch, {
    numActions: 3,
    rules: envRules("MountainCar-v0"),
  });
  assertEquals(out.perRow, 3);
  states.forEach(([x, v], i) => {
    for (let a = 0; a < 3; a++) {
      const [pos, vel] = mountainCarStep(x!, v!, a);
      const k = i * 3 + a;
      assertAlmostEquals(out.states[2 * k]!, pos, 1e-6, `x' of row ${i}, action ${a}`);
      assertAlmostEquals(out.states[2 * k + 1]!, vel, 1e-6, `v' of row ${i}, action ${a}`);
      assertEquals(out.rewards[k], -1);
      assertEquals(out.terminated[k], pos >= 0.5 && vel >= 0 ? 1 : 0, `done, row ${i} action ${a}`);
    }
  });
  assertEquals(Array.from(out.terminated), [0, 0, 0, 1, 1, 1]);
});

Deno.test("modelSuccessors: refuses a bad action count and missing rules", () => {
  const model = new TrueDynamicsModel({ env: makeEnv("MountainCar-v0") });
  const batch = makeBatch(2, 1, [{ s: [-0.5, 0], a: [0], next: [-0.5, 0], r: -1 }]);
  assertThrows(() => modelSuccessors(model, batch, { numActions: 0 }), RangeError, "numActions");
  assertThrows(() => modelSuccessors(model, batch, { numActions: 3 }), TypeError, "rules");
});

Deno.test('value.backup "model": the agent fits V on its model\'s successors and says so', async () => {
  const config = resolveMbrlConfig({
    envId: "MountainCar-v0",
    model: { type: "ensemble", numModels: 2, hiddenSizes: [16, 16] },
    fit: { epochs: 3 },
    planner: { type: "cem", horizon: 4, numSamples: 20, numElite: 4, numIterations: 2 },
    objective: { terminalValue: true, explorationBonus: 1 },
    value: { backup: "model", epochs: 2, minSteps: 1, hiddenSizes: [16] },
  });
  const agent = new ModelBasedRLAgent(config, { rng: new Rng(3) });
  try {
    const env = makeEnv("MountainCar-v0", { seed: 3 });
    let obs = env.reset().observation;
    for (let t = 0; t < 60; t++) {
      const action = agent.randomAction();
      const s = env.step(action);
      agent.observe({ ...s, state: obs, action, nextState: s.observation });
      obs = s.observation;
    }
    const first = await agent.trainModel();
    assertEquals(first.value?.targets, "successors");
    assertEquals(first.value?.rows, 60);
    assertEquals(agent.settings.value?.backup, "model");
    agent.act(obs); // plans with the backed-up value
    const before = tf.memory().numTensors;
    await agent.trainModel();
    assertEquals(tf.memory().numTensors, before);
  } finally {
    agent.dispose();
  }
});
