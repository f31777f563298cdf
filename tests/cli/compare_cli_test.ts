import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { type Comparison, runComparison } from "../../lib/experiment/compare.ts";
import { parseCompareArgs } from "../../lib/cli/compare.ts";
import { parseCompareJobArgs } from "../../lib/cli/compare_job.ts";
import { TINY_MBRL } from "../experiment/compare_helpers.ts";
import { MBRL_PRESETS } from "../../lib/agents/mbrl_config.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}lib/cli/${script}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** One `error: ...` line on stderr, a non-zero exit, no stack trace. */
function assertOneLine(
  result: { code: number; stderr: string },
  code: number,
  includes: string,
): void {
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, result.stderr);
  assertMatch(lines[0]!, /^error: /);
  assertStringIncludes(lines[0]!, includes);
  assert(!/\n\s+at /.test(result.stderr), result.stderr);
  assertEquals(result.code, code, result.stderr);
}

Deno.test("compare flags: one parser, generated help, modes, and one-line refusals", async () => {
  const full = parseCompareArgs(["--out", "d", "--env", "Acrobot-v1"]);
  assert(full !== "help" && full.mode === "run");
  assertEquals(full.options.envId, "Acrobot-v1");
  const agg = parseCompareArgs(["--aggregate", "a", "b", "--out", "c"]);
  assertEquals(agg, { mode: "aggregate", dirs: ["a", "b"], outDir: "c" });
  assertEquals(parseCompareArgs(["--summary", "data/comparison"]), {
    mode: "summary",
    dir: "data/comparison",
  });
  const help = await run("compare.ts", ["--help"]);
  assertEquals(help.code, 0);
  for (const flag of ["--plan", "--aggregate", "--summary", "--mbrl-config", "--budget-sac"]) {
    assertStringIncludes(help.stdout, flag);
  }
  assertOneLine(await run("compare.ts", ["--frobnicate"]), 2, "Unknown flag --frobnicate");
  assertOneLine(await run("compare.ts", ["--out", "d", "--seeds", "1,x"]), 2, "--seeds");
  assertOneLine(
    await run("compare.ts", ["--out", "d", "--env", "Pendulum-v1", "--methods", "dqn"]),
    2,
    "among mbrl,ppo,sac (DQN needs discrete actions)",
  );
  assertOneLine(await run("compare.ts", ["--plan", "--aggregate", "x"]), 2, "do not go together");
  assertOneLine(
    await run("compare.ts", ["--out", "d", "--mbrl-config", "{bad"]),
    2,
    "--mbrl-config must be a JSON object",
  );
  const job = parseCompareJobArgs([
    "--env",
    "Acrobot-v1",
    "--method",
    "dqn",
    "--seed",
    "3",
    "--out",
    "o",
  ]);
  assert(job !== "help");
  assertEquals([job.budget, job.evalEvery, job.evalEpisodes, job.runId], [
    100_000,
    500,
    10,
    "dqn_s3",
  ]);
  assertOneLine(
    await run("compare_job.ts", [
      "--env",
      "Pendulum-v1",
      "--method",
      "dqn",
      "--seed",
      "0",
      "--out",
      "o",
    ]),
    2,
    "DQN needs discrete actions",
  );
});

Deno.test("compare CLI errors: --out a file or unwritable, --budget-mbrl 1, --figures-only on a missing folder", async () => {
  const tmp = await Deno.makeTempDir();
  const file = `${tmp}/a_file`;
  await Deno.writeTextFile(file, "x");
  assertOneLine(
    await run("compare.ts", ["--out", file, "--methods", "dqn", "--budget-mf", "64"]),
    2,
    `Expected --out to be a folder but found a file: ${file}`,
  );
  // /proc refuses new folders even to root.
  assertOneLine(
    await run("compare.ts", ["--out", "/proc/compare_test_out", "--methods", "dqn"]),
    1,
    "Could not create --out folder /proc/compare_test_out",
  );
  assertOneLine(
    await run("compare.ts", ["--out", `${tmp}/m`, "--budget-mbrl", "1"]),
    2,
    // The default env's preset warm-up (CartPole-v1's), whatever it is.
    `Expected loop.warmupSteps (${
      MBRL_PRESETS["CartPole-v1"].loop.warmupSteps
    }) to be less than loop.maxSteps (1)`,
  );
  assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), ["a_file"]); // nothing started
  assertOneLine(
    await run("compare.ts", ["--out", `${tmp}/missing`, "--figures-only"]),
    1,
    `No comparison.json in ${tmp}/missing`,
  );
  assertOneLine(await run("compare.ts", ["--aggregate", `${tmp}/missing`]), 1, "No folder");
  assertOneLine(
    await run("compare_job.ts", [
      ...["--env", "CartPole-v1", "--method", "dqn", "--seed", "0", "--out", file],
    ]),
    2,
    "Expected --out to be a folder",
  );
  await Deno.remove(tmp, { recursive: true });
});

/** A comparison without what may differ between two runs of the same jobs. */
function comparable(c: Comparison): unknown {
  const methods = Object.fromEntries(
    Object.entries(c.methods).map(([m, b]) => [m, {
      ...b,
      medianWallSeconds: 0,
      perSeed: b!.perSeed.map((s) => ({ ...s, wallSeconds: 0 })),
    }]),
  );
  return { ...c, createdWith: "", versions: {}, methods };
}

Deno.test("plan -> job lines (as a scheduler runs them) -> aggregate equals a direct run's comparison.json", async () => {
  const tmp = await Deno.makeTempDir();
  const flags = [
    ...["--env", "CartPole-v1", "--seeds", "0,1", "--methods", "mbrl,dqn,ppo"],
    ...["--budget-mbrl", "40", "--budget-dqn", "64", "--budget-ppo", "256"],
    ...["--eval-every", "20", "--eval-episodes", "2", "--mbrl-config", JSON.stringify(TINY_MBRL)],
  ];
  const direct = await runComparison({
    ...((parseCompareArgs([...flags, "--out", `${tmp}/direct`]) as { options: object }).options),
    outDir: `${tmp}/direct`,
    inProcess: true,
    onProgress: () => {},
  });
  const plan = await run("compare.ts", [...flags, "--out", `${tmp}/jobs`, "--plan"]);
  assertEquals(plan.code, 0, plan.stderr);
  const lines = plan.stdout.trim().split("\n");
  assertEquals(lines.length, 6);
  for (const line of lines) {
    assertMatch(line, /^deno task compare:job --env CartPole-v1 --method \w+ --seed \d /);
    // Each line alone, through a shell, as GNU parallel or a Slurm array task would run it.
    const out = await new Deno.Command("sh", {
      args: ["-c", line],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assertEquals(result.envId, "CartPole-v1");
  }
  const agg = await run("compare.ts", ["--aggregate", `${tmp}/jobs`]);
  assertEquals(agg.code, 0, agg.stderr);
  const fromJobs: Comparison = JSON.parse(await Deno.readTextFile(`${tmp}/jobs/comparison.json`));
  assertEquals(comparable(fromJobs), comparable(direct));
  assertEquals(fromJobs.methods.mbrl!.perSeed.map((s) => s.runDir), ["mbrl_s0", "mbrl_s1"]);
  for (const svg of ["learning_curves.svg", "steps_to_solve.svg", "wall_clock.svg"]) {
    assert(Deno.statSync(`${tmp}/jobs/${svg}`).isFile);
  }
  await Deno.remove(tmp, { recursive: true });
});
