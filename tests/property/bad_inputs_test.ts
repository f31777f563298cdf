// Random bad inputs (NaN, infinities, values beyond float32, wrong lengths, wrong types,
// out-of-range actions) thrown at the public entry points. Each call must either work with
// finite results or throw a TypeError/RangeError whose message names the argument; a refused
// call leaves the object as it was. Never a silent NaN.
//
// Env and buffer cases cover engineer V's checks. Model, planner and agent cases call the
// public APIs as they are; a case whose check has not landed yet is `ignore: true` with a
// comment naming what is missing (the assertion is never weakened).
import fc from "fast-check";
import { assert, assertEquals } from "@std/assert";
import { assertEnvId, ENV_IDS, type EnvId, envMetadata, makeEnv } from "../../lib/envs/mod.ts";
import { ReplayBuffer, type Transition, type TransitionBatch } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";

const RUNS = { numRuns: 60, seed: 20260 };

// ---------------------------------------------------------------------------------------
// Shared: the outcome rule.

/** Throws unless `error` is a TypeError/RangeError whose message names one of `names`. */
function assertNamedRefusal(error: unknown, names: readonly string[], what: string): void {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    throw new Error(`${what}: expected a TypeError or RangeError but got ${error}`);
  }
  if (!names.some((name) => error.message.includes(name))) {
    throw new Error(
      `${what}: the message does not name ${names.join(" or ")}: ${error.message}`,
    );
  }
}

/** True when every number reachable in `value` (typed arrays, arrays, objects) is finite. */
function allFinite(value: unknown, depth = 0): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (depth > 4 || value === null || typeof value !== "object") return true;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>).every((x) => Number.isFinite(x));
  }
  return Object.values(value).every((v) => allFinite(v, depth + 1));
}

/**
 * Runs `call`; passes when it returns a value with only finite numbers, or throws a named
 * TypeError/RangeError. Returns whether it was refused.
 */
function refusedOrFinite(call: () => unknown, names: readonly string[], what: string): boolean {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    assertNamedRefusal(error, names, what);
    return true;
  }
  if (!allFinite(result)) throw new Error(`${what}: accepted and returned non-finite numbers`);
  return false;
}

/** The same for async calls. */
async function refusedOrFiniteAsync(
  call: () => Promise<unknown>,
  names: readonly string[],
  what: string,
): Promise<boolean> {
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    assertNamedRefusal(error, names, what);
    return true;
  }
  if (!allFinite(result)) throw new Error(`${what}: accepted and returned non-finite numbers`);
  return false;
}

function show(value: unknown): string {
  try {
    return Deno.inspect(value, { depth: 2, colors: false }).slice(0, 120);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------
// Generators.

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity, 1e39, -1e39, Number.MAX_VALUE);
const wrongType = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant({}),
  fc.constant({ length: 1, 0: 0 }),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.constant(() => 0),
);
/** A scalar that is bad as a number: non-finite, or of another type. */
const badScalar = fc.oneof(nonFinite, wrongType);
/** Any number, including non-integers, out-of-range integers and non-finite values. */
const anyNumber = fc.oneof(fc.integer({ min: -4, max: 6 }), fc.double(), nonFinite);
/** Vectors of roughly the right size with bad entries, of wrong sizes, or not vectors. */
function vectorLike(length: number) {
  const good = fc.double({ min: -1, max: 1, noNaN: true });
  const entry = fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: badScalar });
  return fc.oneof(
    fc.array(entry, { minLength: length, maxLength: length }),
    fc.array(good, { minLength: 0, maxLength: length + 2 }),
    fc.array(entry, { minLength: length, maxLength: length }).map((xs) =>
      Float32Array.from(xs.map((x) => (typeof x === "number" ? x : NaN)))
    ),
    wrongType,
    nonFinite,
  );
}

// ---------------------------------------------------------------------------------------
// Environments.

Deno.test("env.step: bad actions are refused naming the action; the step is not taken", () => {
  const action = fc.oneof(
    anyNumber,
    fc.array(anyNumber, { maxLength: 3 }),
    fc.array(fc.double(), { maxLength: 3 }).map((xs) => Float32Array.from(xs)),
    fc.array(fc.double(), { maxLength: 3 }).map((xs) => Float64Array.from(xs)),
    wrongType,
  );
  fc.assert(
    fc.property(fc.constantFrom(...ENV_IDS), action, (id, a) => {
      const env = makeEnv(id);
      env.reset({ seed: 0 });
      const before = env.getState();
      const refused = refusedOrFinite(
        () => env.step(a as number),
        ["action"],
        `${id}.step(${show(a)})`,
      );
      if (refused) {
        assertEquals(env.elapsedSteps, 0, `${id}: a refused step counted`);
        assertEquals(env.getState(), before, `${id}: a refused step moved the state`);
      }
    }),
    RUNS,
  );
});

Deno.test("env.reset: bad seeds and bounds are refused naming the option", () => {
  const goodBound = fc.double({ min: -0.1, max: 0.1, noNaN: true });
  const option = fc.oneof(
    fc.record({ seed: fc.oneof(badScalar, fc.double()) }, { requiredKeys: [] }),
    fc.record({ low: fc.oneof(badScalar, goodBound), high: fc.oneof(badScalar, goodBound) }, {
      requiredKeys: [],
    }),
    fc.record({ x_init: fc.oneof(badScalar, goodBound), y_init: fc.oneof(badScalar, goodBound) }, {
      requiredKeys: [],
    }),
    wrongType.filter((v) => v !== undefined),
  );
  fc.assert(
    fc.property(fc.constantFrom(...ENV_IDS), option, (id, options) => {
      const env = makeEnv(id);
      refusedOrFinite(
        () => env.reset(options as never),
        ["seed", "reset option", "x_init", "y_init"],
        `${id}.reset(${show(options)})`,
      );
    }),
    RUNS,
  );
});

Deno.test("env.setState: bad states are refused naming the state; the state is unchanged", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ENV_IDS).chain((id) =>
        fc.tuple(fc.constant(id), vectorLike(envMetadata(id).stateDim))
      ),
      ([id, state]) => {
        const env = makeEnv(id);
        env.reset({ seed: 1 });
        const before = env.getState();
        const refused = refusedOrFinite(
          () => env.setState(state as number[]),
          ["state"],
          `${id}.setState(${show(state)})`,
        );
        if (refused) assertEquals(env.getState(), before);
        else assert(env.getState().every(Number.isFinite));
      },
    ),
    RUNS,
  );
});

// ---------------------------------------------------------------------------------------
// Replay buffers.

const STATE_DIM = 3;

function goodTransition(): Transition {
  return {
    state: [0.1, -0.2, 0.3],
    action: 1,
    nextState: [0.2, -0.1, 0.25],
    reward: 1,
    terminated: false,
    truncated: false,
  };
}

function makeBuffer(discrete: boolean): ReplayBuffer {
  return new ReplayBuffer(16, {
    stateDim: STATE_DIM,
    actionDim: 1,
    rng: new Rng(3),
    actionSpace: discrete ? { kind: "discrete", n: 2 } : undefined,
  });
}

Deno.test("buffer.add: bad fields are refused naming the field; nothing is stored", () => {
  const field = fc.constantFrom(
    "state",
    "nextState",
    "action",
    "reward",
    "terminated",
    "truncated",
  );
  const value = fc.oneof(vectorLike(STATE_DIM), vectorLike(1), anyNumber, badScalar);
  fc.assert(
    fc.property(fc.boolean(), field, value, (discrete, key, bad) => {
      const buffer = makeBuffer(discrete);
      buffer.add(goodTransition());
      const before = buffer.all();
      const transition = { ...goodTransition(), [key]: bad } as Transition;
      const refused = refusedOrFinite(
        () => buffer.add(transition),
        [key],
        `add({ ${key}: ${show(bad)} }) (${discrete ? "Discrete(2)" : "no space"})`,
      );
      if (refused) assertEquals(buffer.all(), before);
      else {
        assert(allFinite(buffer.all()));
        if (discrete) {
          const actions = buffer.all().actions;
          assert(actions.every((a) => a === 0 || a === 1), `stored actions ${actions}`);
        }
      }
    }),
    RUNS,
  );
  // Never silently whole: a transition that is not an object at all.
  for (const bad of [null, undefined, 3, "x"]) {
    refusedOrFinite(() => makeBuffer(false).add(bad as never), ["transition"], show(bad));
  }
});

Deno.test("buffer.addBatch: bad arrays are refused naming the field; nothing is stored", () => {
  const source = makeBuffer(false);
  for (let i = 0; i < 4; i++) source.add({ ...goodTransition(), action: i % 2 });
  const good = source.all();
  const field = fc.constantFrom(
    "states",
    "actions",
    "nextStates",
    "rewards",
    "terminated",
    "truncated",
    "size",
    "stateDim",
  );
  const value = fc.oneof(
    fc.array(fc.oneof(fc.double(), nonFinite), { maxLength: 14 }).map((xs) =>
      Float32Array.from(xs)
    ),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }).map((xs) => Uint8Array.from(xs)),
    anyNumber,
    wrongType,
  );
  fc.assert(
    fc.property(fc.boolean(), field, value, (discrete, key, bad) => {
      const buffer = makeBuffer(discrete);
      const batch = { ...good, [key]: bad } as TransitionBatch;
      const refused = refusedOrFinite(
        () => buffer.addBatch(batch),
        ["batch"],
        `addBatch({ ${key}: ${show(bad)} })`,
      );
      if (refused) assertEquals(buffer.size, 0);
      else assert(allFinite(buffer.all()));
    }),
    RUNS,
  );
});

Deno.test("buffer.sample, sampleSequences, gather and split refuse bad arguments by name", () => {
  const buffer = makeBuffer(true);
  for (let i = 0; i < 6; i++) buffer.add({ ...goodTransition(), action: i % 2 });
  fc.assert(
    fc.property(anyNumber, fc.oneof(anyNumber, wrongType), (n, other) => {
      refusedOrFinite(() => buffer.sample(n), ["batchSize"], `sample(${n})`);
      refusedOrFinite(
        () => buffer.sample(2, { replace: other } as never),
        ["replace", "options"],
        `sample(2, { replace: ${show(other)} })`,
      );
      refusedOrFinite(
        () => buffer.sampleSequences(2, n),
        ["length", "window"],
        `sampleSequences(2, ${n})`,
      );
      refusedOrFinite(() => buffer.gather([0, n]), ["indices"], `gather([0, ${n}])`);
      refusedOrFinite(() => buffer.split(n), ["validationFraction"], `split(${n})`);
      refusedOrFinite(
        () => buffer.sample(other as number),
        ["batchSize"],
        `sample(${show(other)})`,
      );
    }),
    RUNS,
  );
});

// ---------------------------------------------------------------------------------------
// Models, planners, agents (their owners' checks; the cases call the public APIs as they are).

/** A trained linear model for CartPole-v1 (cheap: closed form, no tensors). */
async function cartPoleLinearModel() {
  const { LinearDynamicsModel } = await import("../../lib/models/mod.ts");
  const model = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
  const env = makeEnv("CartPole-v1");
  const buffer = new ReplayBuffer(200, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
  const rng = new Rng(5);
  let { observation } = env.reset({ seed: 0 });
  for (let t = 0; t < 100; t++) {
    const action = rng.int(2);
    const step = env.step(action);
    buffer.add({ ...step, state: observation, action, nextState: step.observation });
    observation = step.observation;
    if (step.terminated || step.truncated) observation = env.reset().observation;
  }
  await model.train(buffer);
  return model;
}

function observationLike(id: EnvId) {
  return vectorLike(envMetadata(id).observationDim).map((v) =>
    Array.isArray(v) && v.every((x) => typeof x === "number") ? Float32Array.from(v) : v
  );
}

Deno.test("model.predict: bad states and actions are refused naming them", async () => {
  const model = await cartPoleLinearModel();
  fc.assert(
    fc.property(observationLike("CartPole-v1"), fc.oneof(vectorLike(1), anyNumber), (s, a) => {
      const actions = Array.isArray(a) && a.every((x) => typeof x === "number")
        ? Float32Array.from(a)
        : a;
      refusedOrFinite(
        () => model.predict(s as Float32Array, actions as Float32Array),
        ["states", "actions"],
        `predict(${show(s)}, ${show(actions)})`,
      );
    }),
    RUNS,
  );
});

Deno.test({
  name: "model.train: batches with bad values are refused naming the field",
  fn: async () => {
    const model = await cartPoleLinearModel();
    const good = new ReplayBuffer(8, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
    for (let i = 0; i < 8; i++) {
      good.add({
        state: [0, 0, 0.01 * i, 0],
        action: i % 2,
        nextState: [0, 0.1, 0.01 * i, 0],
        reward: 1,
        terminated: false,
        truncated: false,
      });
    }
    const batch = good.all();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("states", "actions", "nextStates", "rewards"),
        fc.integer({ min: 0, max: 7 }),
        nonFinite,
        async (key, i, bad) => {
          const copy = { ...batch, [key]: batch[key as "states"].slice() } as TransitionBatch;
          (copy[key as "states"] as Float32Array)[i] = bad;
          await refusedOrFiniteAsync(
            () => {
              const promise = model.train(copy);
              assert(promise instanceof Promise, "train must return a promise");
              return promise;
            },
            [key],
            `train({ ${key}[${i}]: ${bad} })`,
          );
        },
      ),
      { ...RUNS, numRuns: 20 },
    );
  },
});

/** Float32Array observations of CartPole with bad entries or a wrong length. */
const badFloatStates = fc.oneof(
  fc.array(fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), nonFinite), {
    minLength: 4,
    maxLength: 4,
  }),
  fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 7 }),
).map((xs) => Float32Array.from(xs));
/** States of the wrong type: plain arrays, other typed arrays, strings, null, ... */
const wrongTypeStates = fc.oneof(
  wrongType,
  fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
);

async function cartPolePlanner() {
  const { RandomShootingMPC } = await import("../../lib/planners/mod.ts");
  return new RandomShootingMPC({
    dynamicsModel: await cartPoleLinearModel(),
    envId: "CartPole-v1",
    horizon: 2,
    numSamples: 8,
    rng: new Rng(0),
  });
}

function assertPlansOrRefuses(plan: (s: Float32Array) => unknown, s: unknown, what: string) {
  const refused = refusedOrFinite(() => plan(s as Float32Array), ["state"], `${what}(${show(s)})`);
  if (!refused) {
    const action = plan(s as Float32Array);
    assert(action === 0 || action === 1, `${what}: action ${action} outside Discrete(2)`);
  }
}

Deno.test("planner.getAction: non-finite or mis-sized states are refused naming the state", async () => {
  const planner = await cartPolePlanner();
  fc.assert(
    fc.property(
      badFloatStates,
      (s) => assertPlansOrRefuses((x) => planner.getAction(x), s, "getAction"),
    ),
    { ...RUNS, numRuns: 30 },
  );
});

Deno.test({
  name: "planner.getAction: states of the wrong type are refused naming the state",
  fn: async () => {
    const planner = await cartPolePlanner();
    fc.assert(
      fc.property(
        wrongTypeStates,
        (s) => assertPlansOrRefuses((x) => planner.getAction(x), s, "getAction"),
      ),
      { ...RUNS, numRuns: 30 },
    );
  },
});

async function cartPoleAgent() {
  const { ModelBasedRLAgent, resolveMbrlConfig } = await import("../../lib/agents/mod.ts");
  const dynamicsModel = await cartPoleLinearModel();
  return new ModelBasedRLAgent(
    resolveMbrlConfig({ envId: "CartPole-v1", planner: { horizon: 2, numSamples: 8 } }),
    { dynamicsModel, rng: new Rng(0) },
  );
}

Deno.test("agent.act: non-finite or mis-sized states are refused naming the state", async () => {
  const agent = await cartPoleAgent();
  fc.assert(
    fc.property(badFloatStates, (s) => assertPlansOrRefuses((x) => agent.act(x), s, "act")),
    { ...RUNS, numRuns: 30 },
  );
  agent.dispose();
});

Deno.test({
  name: "agent.act: states of the wrong type are refused naming the state",
  fn: async () => {
    const agent = await cartPoleAgent();
    fc.assert(
      fc.property(wrongTypeStates, (s) => assertPlansOrRefuses((x) => agent.act(x), s, "act")),
      { ...RUNS, numRuns: 30 },
    );
    agent.dispose();
  },
});

Deno.test("agent.observe: non-finite and mis-sized transitions are refused naming the field", async () => {
  const agent = await cartPoleAgent();
  const field = fc.constantFrom("state", "nextState", "reward", "terminated");
  const value = fc.oneof(vectorLike(4), badScalar);
  fc.assert(
    fc.property(field, value, (key, bad) => {
      const before = agent.buffer.size;
      const transition = {
        state: [0, 0, 0.01, 0],
        action: 1,
        nextState: [0, 0.1, 0.01, 0],
        reward: 1,
        terminated: false,
        truncated: false,
        [key]: bad,
      } as Transition;
      const refused = refusedOrFinite(
        () => agent.observe(transition),
        [key],
        `observe({ ${key}: ${show(bad)} })`,
      );
      if (refused) assertEquals(agent.buffer.size, before);
    }),
    { ...RUNS, numRuns: 40 },
  );
  agent.dispose();
});

Deno.test({
  name: "agent.observe: out-of-range Discrete actions are refused naming the action",
  fn: async () => {
    const agent = await cartPoleAgent();
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -3, max: 5 }), fc.double({ noNaN: true })), (a) => {
        const transition = {
          state: [0, 0, 0.01, 0],
          action: a,
          nextState: [0, 0.1, 0.01, 0],
          reward: 1,
          terminated: false,
          truncated: false,
        };
        const refused = refusedOrFinite(
          () => agent.observe(transition),
          ["action"],
          `observe({ action: ${a} })`,
        );
        if (!refused) assert(a === 0 || a === 1, `action ${a} stored for Discrete(2)`);
      }),
      { ...RUNS, numRuns: 40 },
    );
    agent.dispose();
  },
});

Deno.test({
  name: "planner options: a misspelt envId is refused naming envId and the supported ids",
  fn: async () => {
    const { RandomShootingMPC } = await import("../../lib/planners/mod.ts");
    const dynamicsModel = await cartPoleLinearModel();
    let expected = "";
    try {
      assertEnvId("CartPol-v1");
    } catch (error) {
      expected = (error as Error).message;
    }
    let message = "";
    try {
      new RandomShootingMPC({ dynamicsModel, envId: "CartPol-v1" });
    } catch (error) {
      assertNamedRefusal(error, ["envId"], 'RandomShootingMPC({ envId: "CartPol-v1" })');
      message = (error as Error).message;
    }
    assertEquals(message, expected);
  },
});
