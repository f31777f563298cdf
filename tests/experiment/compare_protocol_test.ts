import { assertEquals, assertThrows } from "@std/assert";
import { ENV_IDS, envMetadata } from "../../lib/envs/registry.ts";
import {
  assertMethodFor,
  COMPARISON_PROTOCOLS,
  methodsFor,
  protocolFor,
} from "../../lib/experiment/compare_protocol.ts";

Deno.test("protocol table: every env, frozen, 10 episodes, a reason for every value", () => {
  assertEquals(Object.keys(COMPARISON_PROTOCOLS).sort(), [...ENV_IDS].sort());
  for (const id of ENV_IDS) {
    const p = protocolFor(id);
    assertEquals(Object.isFrozen(p) && Object.isFrozen(p.budgets), true);
    assertEquals(p.evalEpisodes, 10);
    assertEquals(Object.keys(p.budgets), methodsFor(id));
    for (const key of ["evalEvery", "evalEpisodes", ...Object.keys(p.budgets)]) {
      assertEquals(typeof p.reasons[key], "string", `${id}: reason for ${key}`);
    }
  }
  // The model-based bars of issue 11 and the Zoo's n_timesteps.
  assertEquals(ENV_IDS.map((id) => protocolFor(id).budgets.mbrl), [
    500,
    1000,
    20_000,
    10_000,
    5000,
  ]);
  assertEquals(protocolFor("MountainCar-v0").budgets, {
    mbrl: 20_000,
    dqn: 120_000,
    ppo: 1_000_000,
  });
});

Deno.test("methods follow the action space: DQN discrete, SAC continuous, PPO and MBRL everywhere", () => {
  for (const id of ENV_IDS) {
    const discrete = envMetadata(id).actionSpace.kind === "discrete";
    assertEquals(methodsFor(id), discrete ? ["mbrl", "dqn", "ppo"] : ["mbrl", "ppo", "sac"]);
  }
  assertThrows(
    () => assertMethodFor("dqn", "MountainCarContinuous-v0"),
    TypeError,
    'Expected methods for MountainCarContinuous-v0 among mbrl,ppo,sac (DQN needs discrete actions) but found "dqn"',
  );
  assertThrows(() => assertMethodFor("a2c", "CartPole-v1"), TypeError, "among mbrl,dqn,ppo");
  assertThrows(() => protocolFor("CartPole-v0"), TypeError, "Expected env to be one of");
});

Deno.test("protocol agrees with the presets: MBRL_PRESETS' evaluation interval, the Zoo's budgets", async () => {
  const { MBRL_PRESETS } = await import("../../lib/agents/mbrl_config.ts");
  const { zooBudget } = await import("../../lib/agents/zoo_presets.ts");
  for (const id of ENV_IDS) {
    const p = protocolFor(id);
    assertEquals(p.evalEvery, MBRL_PRESETS[id].eval.every, id);
    assertEquals(p.evalEpisodes, MBRL_PRESETS[id].eval.episodes, id);
    for (const m of ["dqn", "ppo", "sac"] as const) {
      if (p.budgets[m] !== undefined) assertEquals(p.budgets[m], zooBudget(m, id), `${id} ${m}`);
    }
  }
});
