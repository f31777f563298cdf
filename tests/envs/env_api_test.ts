import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertFalse,
  assertGreater,
  assertInstanceOf,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import {
  assertEnvId,
  CartPoleEnv,
  ENV_IDS,
  type EnvId,
  envMetadata,
  envRules,
  evaluationCannotSolve,
  evaluationSolves,
  makeEnv,
  MountainCarContinuousEnv,
  observationOf,
  PendulumEnv,
  ResetNeededError,
} from "../../lib/envs/mod.ts";
import { Rng } from "../../lib/rng.ts";

/** A state from which one step with any action cannot end the episode. */
const SAFE_STATE: Record<EnvId, number[]> = {
  "CartPole-v1": [0, 0, 0, 0],
  "Pendulum-v1": [1, 0],
  "MountainCar-v0": [-0.5, 0],
  "MountainCarContinuous-v0": [-0.5, 0],
  "Acrobot-v1": [0, 0, 0, 0],
};

function validAction(id: EnvId, t: number): number {
  return envMetadata(id).actionSpace.kind === "discrete" ? t % 2 : (t % 3) - 1;
}

Deno.test("metadata: ids, time limits, reward thresholds, spaces", () => {
  assertEquals([...ENV_IDS], [
    "CartPole-v1",
    "Pendulum-v1",
    "MountainCar-v0",
    "MountainCarContinuous-v0",
    "Acrobot-v1",
  ]);
  assertEquals(ENV_IDS.map((id) => makeEnv(id).maxEpisodeSteps), [500, 200, 200, 999, 500]);
  assertEquals(ENV_IDS.map((id) => envMetadata(id).rewardThreshold), [
    475,
    undefined,
    -110,
    90,
    -100,
  ]);
  assertEquals(ENV_IDS.map((id) => envMetadata(id).observationDim), [4, 3, 2, 2, 6]);
  assertEquals(makeEnv("CartPole-v1").actionSpace, { kind: "discrete", n: 2 });
  assertEquals(makeEnv("Pendulum-v1").actionSpace, {
    kind: "box",
    low: [-2],
    high: [2],
    shape: [1],
  });
  const cartPoleObs = makeEnv("CartPole-v1").observationSpace;
  assertEquals(cartPoleObs.high[2], Math.fround(0.41887903));
  assertEquals(cartPoleObs.high[1], Infinity);
  assertThrows(() => makeEnv("CartPole-v0" as EnvId), RangeError, "CartPole-v1");
  assertThrows(() => envRules("Nope" as EnvId), RangeError);
});

Deno.test("a misspelt env id names envId and lists the supported ids wherever it enters", () => {
  const message = `Expected envId to be one of ${ENV_IDS.join(", ")} but found "CartPol-v1"`;
  const bad = "CartPol-v1" as EnvId;
  assertThrows(() => makeEnv(bad), RangeError, message);
  assertThrows(() => envRules(bad), RangeError, message);
  assertThrows(() => envMetadata(bad), RangeError, message);
  assertThrows(() => observationOf(bad, [0, 0]), RangeError, message);
  assertThrows(() => evaluationSolves(bad, [1], 1), RangeError, message);
  assertThrows(() => assertEnvId("CartPol-v1"), RangeError, message);
  assertThrows(() => assertEnvId(7, "env"), TypeError, "Expected env to be one of");
  assertThrows(() => makeEnv(undefined as unknown as EnvId), TypeError, "found undefined");
  assertEnvId("Acrobot-v1");
});

Deno.test("observationOf and the solved rule reject bad inputs instead of returning NaN", () => {
  assertThrows(() => observationOf("CartPole-v1", [0, 0, NaN, 0]), RangeError, "state[2]");
  assertThrows(() => observationOf("Pendulum-v1", [0]), TypeError, "length 2");
  assertThrows(() => evaluationSolves("CartPole-v1", [500, NaN], 2), RangeError, "returns[1]");
  assertThrows(() => evaluationSolves("CartPole-v1", [500], 0), RangeError, "episodes");
  assertThrows(() => evaluationCannotSolve("CartPole-v1", [NaN], 2), RangeError, "returns[0]");
});

Deno.test("env options are checked: an rng must be an Rng", () => {
  assertThrows(
    () => makeEnv("CartPole-v1", { rng: {} as unknown as Rng }),
    TypeError,
    "Expected rng to be an Rng",
  );
  assertThrows(() => makeEnv("CartPole-v1", { seed: 0.5 }), TypeError, "seed");
});

Deno.test("step before reset and after the episode ended throws ResetNeededError", () => {
  for (const id of ENV_IDS) {
    const env = makeEnv(id);
    const error = assertThrows(() => env.step(validAction(id, 0)), ResetNeededError);
    assertInstanceOf(error, TypeError);
    assertThrows(() => env.getState(), ResetNeededError);
  }
  const env = new CartPoleEnv();
  env.reset({ seed: 1 });
  env.setState([2.4, 1, 0, 0]);
  const last = env.step(1);
  assert(last.terminated);
  assertFalse(last.truncated);
  assertThrows(() => env.step(1), ResetNeededError, "after the episode ended");
  env.setState([0, 0, 0, 0]);
  assertThrows(() => env.step(1), ResetNeededError);
  env.reset();
  env.step(1);
});

Deno.test("Discrete actions: wrong types are TypeErrors, out of range is a RangeError", () => {
  for (const id of ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"] as const) {
    const env = makeEnv(id);
    env.reset({ seed: 0 });
    const n = (env.actionSpace as { n: number }).n;
    assertThrows(() => env.step([1]), TypeError, "integer");
    assertThrows(() => env.step(Float32Array.of(1)), TypeError);
    assertThrows(() => env.step(0.5), TypeError);
    assertThrows(() => env.step(NaN), TypeError, "NaN");
    assertThrows(() => env.step("1" as unknown as number), TypeError);
    assertThrows(() => env.step(n), RangeError, `[0, ${n})`);
    assertThrows(() => env.step(-1), RangeError);
    // A rejected action does not count as a step.
    assertEquals(env.elapsedSteps, 0);
    env.step(n - 1);
    assertEquals(env.elapsedSteps, 1);
  }
});

Deno.test("Box actions: NaN, infinities and wrong lengths throw; numbers and arrays work", () => {
  for (const id of ["Pendulum-v1", "MountainCarContinuous-v0"] as const) {
    const env = makeEnv(id);
    env.reset({ seed: 0 });
    assertThrows(() => env.step(NaN), RangeError, "NaN");
    assertThrows(() => env.step([NaN]), RangeError, "NaN");
    assertThrows(() => env.step(Float32Array.of(NaN)), RangeError);
    assertThrows(() => env.step(Infinity), RangeError);
    assertThrows(() => env.step([0, 0]), TypeError, "length 1");
    // Beyond float32 (the space's dtype) the env would compute with an infinite action.
    assertThrows(() => env.step(Number.MAX_VALUE), RangeError, "finite in float32");
    assertThrows(() => env.step([-1e39]), RangeError, "finite in float32");
    assertThrows(() => env.step([]), TypeError);
    assertThrows(() => env.step(["0"] as unknown as number[]), TypeError);
    assertThrows(() => env.step({} as unknown as number), TypeError);
    const start = env.getState();
    const a = env.step(0.5);
    env.setState(start);
    const b = env.step([0.5]);
    env.setState(start);
    const c = env.step(Float32Array.of(0.5));
    assertEquals(b.observation, a.observation);
    assertEquals(c.observation, a.observation);
    assertEquals(b.reward, a.reward);
  }
});

Deno.test("Box actions are clipped to the space; MountainCarContinuous rewards the unclipped action", () => {
  const pendulum = new PendulumEnv();
  pendulum.reset({ seed: 3 });
  const start = pendulum.getState();
  const clipped = pendulum.step(3);
  pendulum.setState(start);
  const atBound = pendulum.step(2);
  assertEquals(clipped.observation, atBound.observation);
  assertEquals(clipped.reward, atBound.reward);

  const car = new MountainCarContinuousEnv();
  car.reset({ seed: 3 });
  const carStart = car.getState();
  const big = car.step(2);
  const bigState = car.getState();
  car.setState(carStart);
  const one = car.step(1);
  // The same force, though Gymnasium computes a clipped force in float64 and an in-range
  // float32 one in float32, so the states may differ in the last float32 bit.
  const oneState = car.getState();
  assertAlmostEquals(bigState[0]!, oneState[0]!, 1e-7);
  assertAlmostEquals(bigState[1]!, oneState[1]!, 1e-9);
  assertNotEquals(bigState, carStart);
  assertAlmostEquals(big.reward, -0.4, 1e-12);
  assertAlmostEquals(one.reward, -0.1, 1e-12);
});

Deno.test("truncated exactly at maxEpisodeSteps; setState does not restart the count", () => {
  for (const id of ENV_IDS) {
    const env = makeEnv(id);
    env.reset({ seed: 5 });
    for (let t = 1; t <= env.maxEpisodeSteps; t++) {
      env.setState(SAFE_STATE[id]);
      const result = env.step(validAction(id, t));
      assertEquals(env.elapsedSteps, t);
      assertFalse(result.terminated, `${id} step ${t}`);
      assertEquals(result.truncated, t === env.maxEpisodeSteps, `${id} step ${t}`);
    }
    assertThrows(() => env.step(validAction(id, 0)), ResetNeededError);
    env.reset();
    assertEquals(env.elapsedSteps, 0);
    assertFalse(env.step(validAction(id, 0)).truncated);
  }
});

Deno.test("terminating on the last allowed step sets both flags", () => {
  const env = makeEnv("MountainCar-v0");
  env.reset({ seed: 0 });
  for (let t = 1; t < 200; t++) {
    env.setState([-0.5, 0]);
    assertFalse(env.step(1).truncated);
  }
  env.setState([0.49, 0.05]);
  const last = env.step(2);
  assert(last.terminated);
  assert(last.truncated);
  assertEquals(last.reward, -1);
});

Deno.test("same seed gives the same reset; other seeds and unseeded resets differ", () => {
  for (const id of ENV_IDS) {
    const a = makeEnv(id);
    const b = makeEnv(id);
    const first = a.reset({ seed: 123 });
    assertEquals(b.reset({ seed: 123 }).observation, first.observation);
    assertEquals(b.getState(), a.getState());
    assertNotEquals(b.reset({ seed: 124 }).observation, first.observation);
    const next = a.reset();
    assertNotEquals(next.observation, first.observation);
    // Reseeding restarts the stream whatever happened before.
    assertEquals(a.reset({ seed: 123 }).observation, first.observation);
    assertEquals(a.reset().observation, next.observation);
    // Constructor seeds and streams drive unseeded resets.
    assertEquals(makeEnv(id, { seed: 9 }).reset(), makeEnv(id, { seed: 9 }).reset());
    assertNotEquals(
      makeEnv(id, { seed: 9 }).reset().observation,
      makeEnv(id, { seed: 10 }).reset().observation,
    );
    assertEquals(
      makeEnv(id, { rng: new Rng(4).stream("env") }).reset().observation,
      makeEnv(id, { rng: new Rng(4).stream("env") }).reset().observation,
    );
    assertThrows(() => a.reset({ seed: 1.5 }), TypeError);
  }
});

Deno.test("reset draws from Gymnasium's ranges and honours low/high options", () => {
  const rng = new Rng(0);
  for (let i = 0; i < 200; i++) {
    const seed = rng.int(1_000_000);
    const cartPole = makeEnv("CartPole-v1");
    cartPole.reset({ seed });
    for (const v of cartPole.getState()) assert(v >= -0.05 && v < 0.05);
    const pendulum = makeEnv("Pendulum-v1");
    pendulum.reset({ seed });
    const [theta, thetaDot] = pendulum.getState();
    assert(theta! >= -Math.PI && theta! < Math.PI && thetaDot! >= -1 && thetaDot! < 1);
    for (const id of ["MountainCar-v0", "MountainCarContinuous-v0"] as const) {
      const car = makeEnv(id);
      car.reset({ seed });
      const [p, v] = car.getState();
      assert(p! >= -0.6 && p! < -0.4);
      assertEquals(v, 0);
      car.reset({ seed, low: 0.35, high: 0.44 });
      assert(car.getState()[0]! >= 0.35 && car.getState()[0]! < 0.44);
    }
    const acrobot = makeEnv("Acrobot-v1");
    acrobot.reset({ seed, low: -12, high: 12 });
    for (const v of acrobot.getState()) {
      assert(v >= -12 && v <= 12);
      assertEquals(Math.fround(v), v, "Acrobot's reset state is float32");
    }
  }
  // Consecutive small seeds must give unrelated starts: over seeds 0..399 the first component
  // of CartPole's start is uniform on [-0.05, 0.05) (sd 0.0289, so the mean's standard error
  // is 0.0014 and the fraction below 0 has standard error 0.025; the bounds are ~5 of them).
  const firsts = Array.from({ length: 400 }, (_, seed) => {
    return makeEnv("CartPole-v1").reset({ seed }).observation[0]!;
  });
  const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
  assertLess(Math.abs(mean), 0.007);
  const below = firsts.filter((x) => x < 0).length / firsts.length;
  assertGreater(below, 0.375);
  assertLess(below, 0.625);
  const pendulum = makeEnv("Pendulum-v1");
  pendulum.reset({ seed: 1, x_init: 0.1, y_init: 0.2 });
  const [theta, thetaDot] = pendulum.getState();
  assert(Math.abs(theta!) <= 0.1 && Math.abs(thetaDot!) <= 0.2);
  assertThrows(() => makeEnv("CartPole-v1").reset({ low: 1, high: 0 }), RangeError);
  assertThrows(
    () => makeEnv("Acrobot-v1").reset({ low: NaN }),
    RangeError,
    "Expected reset option low to be finite but found NaN",
  );
  assertThrows(
    () => makeEnv("CartPole-v1").reset({ high: "1" as unknown as number }),
    TypeError,
    "reset option high",
  );
  assertThrows(
    () => makeEnv("Pendulum-v1").reset({ x_init: Infinity }),
    RangeError,
    "x_init",
  );
  assertThrows(
    () => makeEnv("CartPole-v1").reset(3 as unknown as { seed: number }),
    TypeError,
    "reset options",
  );
});

Deno.test("setState validates its input and getState returns a copy", () => {
  for (const id of ENV_IDS) {
    const env = makeEnv(id);
    const dim = envMetadata(id).stateDim;
    assertThrows(() => env.setState(new Array(dim + 1).fill(0)), TypeError, `length ${dim}`);
    assertThrows(
      () => env.setState([...new Array(dim - 1).fill(0), NaN]),
      RangeError,
      `Expected state[${dim - 1}] to be finite but found NaN`,
    );
    assertThrows(() => env.setState(new Float32Array(dim).fill(Infinity)), RangeError, "state[0]");
    assertThrows(() => env.setState(5 as unknown as number[]), TypeError);
    assertThrows(
      () => env.setState([1e39, ...new Array(dim - 1).fill(0)]),
      RangeError,
      "Expected state[0] to be finite in float32 but found 1e+39",
    );
    assertThrows(() => env.setState(new Array(dim).fill("0")), TypeError, "state[0]");
    env.setState(SAFE_STATE[id]);
    const state = env.getState();
    state[0] = 123;
    assertEquals(env.getState(), SAFE_STATE[id]);
  }
});

/** Random states that exercise both outcomes of each termination rule. */
function randomState(id: EnvId, rng: Rng): number[] {
  const u = (lo: number, hi: number) => rng.uniformRange(lo, hi);
  switch (id) {
    case "CartPole-v1":
      return [u(-2.5, 2.5), u(-2, 2), u(-0.25, 0.25), u(-2, 2)];
    case "Pendulum-v1":
      return [u(-20, 20), u(-8, 8)];
    case "MountainCar-v0":
      return [u(-1.2, 0.6), u(-0.07, 0.07)];
    case "MountainCarContinuous-v0":
      // Post-step states are float32; the rules reproduce that (the common) case exactly.
      return [Math.fround(u(-1.2, 0.6)), Math.fround(u(-0.07, 0.07))];
    case "Acrobot-v1":
      return [u(-Math.PI, Math.PI), u(-Math.PI, Math.PI), u(-5, 5), u(-10, 10)];
  }
}

function randomAction(id: EnvId, rng: Rng): number {
  const space = envMetadata(id).actionSpace;
  if (space.kind === "discrete") return rng.int(space.n);
  // Half the actions outside the bounds, to exercise clipping.
  return Math.fround(rng.uniformRange(2 * space.low[0]!, 2 * space.high[0]!));
}

Deno.test("the batched rules agree with step() on random transitions", () => {
  const n = 2000;
  for (const id of ENV_IDS) {
    const rng = new Rng(42).stream(id);
    const env = makeEnv(id);
    const rules = envRules(id);
    const d = rules.observationDim;
    const observations = new Float32Array(n * d);
    const nextObservations = new Float32Array(n * d);
    const actions = new Float32Array(n);
    const rewards: number[] = [];
    const terminated: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const state = randomState(id, rng);
      const action = randomAction(id, rng);
      env.reset();
      env.setState(state);
      observations.set(observationOf(id, state), i * d);
      actions[i] = action;
      const result = env.step(action);
      nextObservations.set(result.observation, i * d);
      rewards.push(result.reward);
      terminated.push(result.terminated);
    }
    const ruleDone = rules.terminated(nextObservations, n);
    const ruleReward = rules.reward(observations, actions, nextObservations, n);
    assertEquals(ruleDone.length, n);
    assertEquals(ruleReward.length, n);
    const terminalCount = terminated.filter(Boolean).length;
    if (id !== "Pendulum-v1") {
      assert(terminalCount > 20 && terminalCount < n - 20, `${id}: ${terminalCount} terminal`);
    }
    for (let i = 0; i < n; i++) {
      assertEquals(ruleDone[i] === 1, terminated[i], `${id} transition ${i}: terminated`);
      // Pendulum's rule sees the angle through float32 cos/sin; the others are exact.
      const tol = id === "Pendulum-v1" ? 2e-5 : 0;
      assertAlmostEquals(ruleReward[i]!, Math.fround(rewards[i]!), tol, `${id} transition ${i}`);
    }
  }
});

Deno.test("the rules reject batches of the wrong length", () => {
  for (const id of ENV_IDS) {
    const rules = envRules(id);
    const d = rules.observationDim;
    assertThrows(() => rules.terminated(new Float32Array(d * 2 + 1), 2), TypeError, "length");
    assertThrows(
      () => rules.reward(new Float32Array(d), new Float32Array(2), new Float32Array(d), 1),
      TypeError,
      "actions",
    );
    assertThrows(() => rules.terminated(new Float32Array(0), -1), RangeError);
  }
});

Deno.test("observations are float32 views of the state", () => {
  assertEquals(observationOf("CartPole-v1", [0.1, 0, 0, 0])[0], Math.fround(0.1));
  assertEquals([...observationOf("Pendulum-v1", [0, 1])], [1, 0, 1]);
  assertEquals([...observationOf("Acrobot-v1", [0, 0, 0.5, -0.5])], [1, 0, 1, 0, 0.5, -0.5]);
});
