import { assertEquals, assertGreater, assertThrows } from "@std/assert";
import { CartPoleEnv, cartPoleRules } from "../../lib/envs/cart_pole.ts";
import { makeEnv, stateFromObservation } from "../../lib/envs/registry.ts";
import type { EnvId } from "../../lib/envs/types.ts";
import {
  CEM_MPC,
  type MpcOptions,
  MPPIMPC,
  RandomShootingMPC,
  TrueDynamicsModel,
} from "../../lib/planners/mod.ts";
import { Rng } from "../../lib/rng.ts";

function options(seed: number, extra: Partial<MpcOptions> = {}): MpcOptions {
  return {
    dynamicsModel: new TrueDynamicsModel({ env: new CartPoleEnv() }),
    actionSpace: { kind: "discrete", n: 2 },
    rules: cartPoleRules,
    envId: "CartPole-v1",
    horizon: 10,
    numSamples: 100,
    rng: new Rng(seed).stream("planner"),
    ...extra,
  };
}

function episodeReturn(act: (obs: Float32Array) => number, seed: number): number {
  const env = new CartPoleEnv();
  let obs = env.reset({ seed }).observation;
  let ret = 0;
  for (;;) {
    const step = env.step(act(obs));
    ret += step.reward;
    obs = step.observation;
    if (step.terminated || step.truncated) return ret;
  }
}

Deno.test("with the true dynamics, random shooting keeps CartPole up for 500 steps", () => {
  const mpc = new RandomShootingMPC(options(0));
  assertEquals(episodeReturn((obs) => mpc.getAction(obs) as number, 0), 500);
  const stats = mpc.takeStats();
  assertEquals(stats.steps, 500);
  // 100 sequences x 10 steps per planning step.
  assertEquals(stats.modelEvaluations, 500 * 100 * 10);
  assertGreater(stats.plannedReturnMean, 9);
});

Deno.test("with the true dynamics, CEM (continuous u, sign picks the push) keeps CartPole up", () => {
  const mpc = new CEM_MPC({ ...options(1, { numSamples: 60 }), numIterations: 3, numElite: 6 });
  assertEquals(episodeReturn((obs) => mpc.getAction(obs) as number, 1), 500);
});

Deno.test("with the true dynamics, discrete-native random shooting keeps CartPole up", () => {
  // The env id alone supplies the action space, the true rules and the default shaping.
  const mpc = new RandomShootingMPC({
    dynamicsModel: new TrueDynamicsModel({ env: new CartPoleEnv() }),
    envId: "CartPole-v1",
    numSamples: 100,
    actionMode: "discrete",
    rng: new Rng(2).stream("planner"),
  });
  assertEquals(mpc.horizon, 10);
  assertEquals(episodeReturn((obs) => mpc.getAction(obs) as number, 2), 500);
});

Deno.test("TrueDynamicsModel matches the env step on every env, from the observation alone", () => {
  const env = new CartPoleEnv();
  const s = env.reset({ seed: 5 }).observation;
  const next = env.step(0);
  const predicted = new TrueDynamicsModel({ env: new CartPoleEnv() }).predict(
    s,
    Float32Array.of(0),
  );
  assertEquals(Array.from(predicted.mean), Array.from(next.observation));
  assertEquals(Array.from(predicted.reward), [next.reward]);
  // Pendulum and Acrobot observe cos/sin of their angles: the model recovers the state.
  const envs = ["Pendulum-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0"] as const;
  for (const id of envs) {
    const real = makeEnv(id);
    let obs = real.reset({ seed: 3 }).observation;
    const model = new TrueDynamicsModel({ env: makeEnv(id) });
    for (let t = 0; t < 20; t++) {
      const action = real.actionSpace.kind === "discrete" ? t % 3 : [Math.sin(t)];
      const step = real.step(action as never);
      const pred = model.predict(
        obs,
        Float32Array.of(typeof action === "number" ? action : action[0]!),
      );
      for (let j = 0; j < obs.length; j++) {
        // float32 observations: the recovered angle is within float32 rounding of the state
        assertGreater(1e-4, Math.abs(pred.mean[j]! - step.observation[j]!), `${id} t ${t} j ${j}`);
      }
      assertEquals(pred.reward[0], Math.fround(step.reward), `${id} reward`);
      obs = step.observation;
    }
  }
  assertThrows(
    () => stateFromObservation("LunarLander-v3" as EnvId, new Float32Array(8)),
    RangeError,
    "one of CartPole-v1",
  );
});

Deno.test("a random policy falls within 100 steps: the true-dynamics tests can fail", () => {
  const rng = new Rng(0);
  assertGreater(100, episodeReturn(() => rng.int(2), 0));
});

Deno.test("MPC classes validate their settings with clear RangeErrors", () => {
  assertThrows(() => new RandomShootingMPC(options(0, { horizon: 0 })), RangeError, "horizon");
  assertThrows(
    () => new RandomShootingMPC(options(0, { numSamples: -5 })),
    RangeError,
    "numSamples",
  );
  assertThrows(
    () => new CEM_MPC({ ...options(0), numSamples: 50, numElite: 100 }),
    RangeError,
    "numElite",
  );
  assertThrows(() => new MPPIMPC({ ...options(0), temperature: 0 }), RangeError, "temperature");
  assertThrows(
    () => new RandomShootingMPC(options(0, { shaping: { weights: [1, 2] } })),
    RangeError,
    "shaping",
  );
  assertThrows(
    () => new RandomShootingMPC({ ...options(0), envId: undefined, rules: undefined }),
    RangeError,
    "rules",
  );
});
