import { assertEquals, assertStringIncludes } from "@std/assert";
import { MBRL_PRESETS } from "../../lib/agents/mbrl_config.ts";
import { ENV_IDS } from "../../lib/envs/registry.ts";
import { presetRows } from "../../lib/demos/preset_rows.ts";

Deno.test("presetRows: one row per env, read from the presets", () => {
  const rows = presetRows();
  assertEquals(rows.map((r) => r.env), [...ENV_IDS]);
  for (const row of rows) {
    const preset = MBRL_PRESETS[row.env];
    assertEquals(row.budget, preset.loop.maxSteps);
    assertEquals(row["eval every"], preset.eval.every);
    assertStringIncludes(row.planner, `H${preset.planner.horizon} x ${preset.planner.numSamples}`);
    assertStringIncludes(row.model, preset.model.type);
    assertStringIncludes(row.objective, `discount ${preset.planner.discount}`);
  }
  const byEnv = Object.fromEntries(rows.map((r) => [r.env, r]));
  assertEquals(byEnv["CartPole-v1"]!.actions, "Discrete(2)");
  assertEquals(byEnv["Pendulum-v1"]!.actions, "Box(1)");
  assertEquals(byEnv["Pendulum-v1"]!["solved at"], -200);
});
