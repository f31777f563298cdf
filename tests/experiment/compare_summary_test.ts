import { assert, assertEquals, assertThrows } from "@std/assert";
import { buildComparison, type JobResult } from "../../lib/experiment/compare.ts";
import { readComparison } from "../../lib/experiment/compare_rows.ts";
import {
  crossEnvMarkdown,
  crossEnvTable,
  readComparisons,
  stepsByEnvRows,
} from "../../lib/experiment/compare_summary.ts";
import { comparisonTable } from "../../lib/demos/compare_demo.ts";
import { stepsToSolveByEnv } from "../../lib/plots/rl.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function result(method: JobResult["method"], seed: number, steps: number | null): JobResult {
  return {
    method,
    seed,
    stepsToSolve: steps,
    solved: steps !== null,
    wallSeconds: 3,
    envSteps: steps ?? 1000,
    runDir: `${method}_s${seed}`,
    backend: "wasm",
    tfjs: "4.22.0",
    evalEvery: 200,
    evalEpisodes: 10,
    evalSteps: [200, 400],
  };
}

const pendulum = buildComparison(
  [result("mbrl", 0, 400), result("mbrl", 1, 600), result("sac", 0, null), result("sac", 1, null)],
  {
    envId: "Pendulum-v1",
    seeds: [0, 1],
    threshold: -200,
    budgets: { mbrl: 1000, sac: 20_000 },
    createdWith: "test",
    versions: {},
  },
);

Deno.test("a CartPole-v1 comparison written before the protocol stays readable", () => {
  // The comparison committed before the common protocol (46cd717), kept as a fixture.
  const old = readComparison(`${ROOT}tests/experiment/fixtures/cartpole_pre_protocol`);
  assertEquals([old.envId, old.methods.mbrl!.medianStepsToSolve], ["CartPole-v1", 200]);
  assertEquals(comparisonTable(old).map((r) => r["eval every (max gap)"]), ["-", "-", "-"]);
  const rows = crossEnvTable([old, pendulum]);
  assertEquals(rows.map((r) => [r.env, r.method, r["ratio to mbrl"]]), [
    ["CartPole-v1", "mbrl", "-"],
    ["CartPole-v1", "dqn", "153.6"],
    ["CartPole-v1", "ppo", "61.4"],
    ["Pendulum-v1", "mbrl", "-"],
    ["Pendulum-v1", "sac", ">=40"], // SAC censored at its budget: the ratio is a lower bound
  ]);
  assertEquals(rows[4]!["median steps to solve"], ">=20,000");
  assertEquals(rows[3]!["eval every (max gap)"], "200 (200)");
  const md = crossEnvMarkdown(rows).split("\n");
  assertEquals(md.length, 2 + rows.length);
  assert(md[0]!.startsWith("| env | method | budget | solved | median steps to solve |"));
  // The committed comparisons (one per env folder) read back in env order, each under the protocol.
  const committed = readComparisons(`${ROOT}data/comparison`);
  assert(committed.length >= 1);
  for (const c of committed) {
    assert(c.methods.mbrl !== undefined, `${c.envId} has a model-based row`);
    assert(comparisonTable(c).every((r) => r["eval every (max gap)"] !== "-"), c.envId);
  }
});

Deno.test("steps-to-solve-by-env rows and figure mark censored seeds at their budget", () => {
  const rows = stepsByEnvRows([pendulum]);
  assertEquals(rows.map((r) => [r.method, r.steps, r.censored]), [
    ["mbrl", 400, false],
    ["mbrl", 600, false],
    ["sac", 20_000, true],
    ["sac", 20_000, true],
  ]);
  const svg = stepsToSolveByEnv(rows).toSvg();
  assert(svg.includes("&gt;=20,000 (0/2)") || svg.includes(">=20,000 (0/2)"), svg.slice(0, 200));
  assertThrows(() => stepsToSolveByEnv([]), TypeError);
  assertThrows(() => readComparisons(`${ROOT}lib`), Error, "No <env-id>/comparison.json");
});
