import { assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { resolveMbrlConfig } from "../../lib/agents/mbrl_config.ts";
import { trainOptionsFromArgs } from "../../lib/cli/train.ts";
import { ENV_IDS } from "../../lib/envs/registry.ts";

const TRAIN = new URL("../../lib/cli/train.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stderr: decode(out.stderr), stdout: decode(out.stdout) };
}

Deno.test("bad flags exit non-zero with one line naming the flag and what is allowed", async () => {
  const cases: [string[], RegExp][] = [
    [["--horizon", "0"], /--horizon must be a positive integer but found "0"/],
    [["--samples", "-5"], /--samples must be a positive integer/],
    [["--seed", "1.5"], /--seed must be an integer/],
    [["--env", "Nope-v0"], /--env must be one of CartPole-v1, .*Acrobot-v1/],
    [["--bogus"], /Unknown flag --bogus; allowed flags: --env, --seed/],
    [["--planner", "genetic"], /--planner must be one of random_shooting, cem, mppi/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr, stdout } = await run(args);
    assertNotEquals(code, 0, args.join(" "));
    assertMatch(stderr, pattern);
    assertEquals(stderr.trim().split("\n").length, 1, stderr);
    assertEquals(stdout, "");
  }
});

Deno.test("flags map onto the configuration's fields", () => {
  const command = trainOptionsFromArgs([
    "--env=CartPole-v1",
    "--seed",
    "3",
    "--max-steps",
    "3000",
    "--out",
    "/tmp/x",
    "--model",
    "ensemble",
    "--planner",
    "cem",
    "--horizon",
    "15",
    "--samples",
    "500",
    "--hidden",
    "32,32",
    "--no-shaping",
  ]);
  const config = resolveMbrlConfig(command.config);
  assertEquals(config.seed, 3);
  assertEquals(config.loop.maxSteps, 3000);
  assertEquals(command.outDir, "/tmp/x");
  assertEquals(config.model.type, "ensemble");
  assertEquals(config.planner.type, "cem");
  assertEquals(config.planner.horizon, 15);
  assertEquals(config.planner.numSamples, 500);
  assertEquals(config.objective.shaping, null);
  assertEquals(config.model.hiddenSizes, [32, 32]);
});

Deno.test("--config applies a JSON file of overrides before the flags", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/overrides.json`;
  Deno.writeTextFileSync(file, JSON.stringify({ planner: { horizon: 4, numSamples: 9 } }));
  const config = resolveMbrlConfig(
    trainOptionsFromArgs(["--config", file, "--samples", "7"]).config,
  );
  assertEquals(config.planner.horizon, 4);
  assertEquals(config.planner.numSamples, 7);
  Deno.writeTextFileSync(file, JSON.stringify({ planer: {} }));
  const { code, stderr } = await run(["--config", file]);
  assertEquals(code, 2);
  assertMatch(stderr, /Unknown field "planer"/);
});

Deno.test("contradictory or truncating settings are refused before any work", async () => {
  const cases: [string[], RegExp][] = [
    [["--warmup", "5000", "--max-steps", "100"], /warmupSteps \(5000\).*maxSteps \(100\)/],
    [["--model", "deterministic", "--ensemble-size", "3"], /numModels to be 1 for a determ/],
    [["--planner", "cem", "--samples", "10", "--elites", "20"], /numElite.*\(10\) but found 20/],
    [["--shaping", "1,2"], /objective.shaping .* 4 numbers/],
    [["--dynamics", "true", "--workers", "1"], /--dynamics true needs --workers 0/],
    [["--env", "Acrobot-v1", "--dynamics", "true"], /no ensemble for the exploration bonus/],
    [["--env", "Pendulum-v1", "--dynamics", "true-mean"], /needs --model ensemble/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await run(args);
    assertEquals(code, 2, args.join(" "));
    assertMatch(stderr, pattern);
    assertEquals(stderr.trim().split("\n").length, 1, stderr);
  }
});

Deno.test("a tiny run writes its folder to --out and ends with one line of JSON summary", async () => {
  const out = await Deno.makeTempDir();
  // A run of seconds: 100 random steps, one refit of a small model, one short evaluation.
  const tiny = [
    "--max-steps",
    "110",
    "--warmup",
    "100",
    "--samples",
    "30",
    "--horizon",
    "5",
    "--hidden",
    "16,16",
    "--epochs",
    "5",
    "--eval-episodes",
    "1",
  ];
  const { code, stdout } = await run([
    "--seed",
    "0",
    ...tiny,
    "--run-id",
    "cli",
    "--out",
    out,
  ]);
  assertEquals(code, 0);
  const lines = stdout.trim().split("\n");
  const summary = JSON.parse(lines.at(-1)!);
  for (const key of ["envId", "seed", "envSteps", "solved", "stepsToSolve", "finalEvalMean"]) {
    assertEquals(key in summary, true, key);
  }
  assertEquals(summary.envId, "CartPole-v1");
  const written = JSON.parse(Deno.readTextFileSync(`${out}/cli/summary.json`));
  assertEquals(written, summary);
  // The control experiments: the true physics alone, and with a learned ensemble's disagreement.
  const oracles = [
    ["true", [], "given"],
    ["true-mean", ["--model", "ensemble", "--ensemble-size", "2"], "ensemble (wrapped)"],
  ] as const;
  for (const [dynamics, extra, modelType] of oracles) {
    const oracle = await run([
      ...tiny,
      ...extra,
      "--workers",
      "0",
      "--dynamics",
      dynamics,
      "--run-id",
      dynamics,
      "--out",
      out,
    ]);
    assertEquals(oracle.code, 0, oracle.stderr);
    assertEquals(JSON.parse(oracle.stdout.trim().split("\n").at(-1)!).modelType, modelType);
  }
});

Deno.test("SIGINT during a run ends it with exit 130 and an interrupted summary", async () => {
  const out = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      TRAIN,
      "--max-steps",
      "5000",
      "--eval-every",
      "50",
      "--out",
      out,
      "--run-id",
      "sig",
      "--no-stop",
      "--samples",
      "50",
      "--horizon",
      "5",
      "--hidden",
      "16,16",
      "--epochs",
      "5",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Wait for the first evaluation's progress (plain lines: stderr is not a terminal), then
  // interrupt it mid-evaluation.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/eval/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  reader.releaseLock();
  await child.stderr.cancel().catch(() => {});
  const status = await child.status;
  const stdout = new TextDecoder().decode(
    new Uint8Array(await new Response(child.stdout).arrayBuffer()),
  );
  assertEquals(status.code, 130);
  const summary = JSON.parse(Deno.readTextFileSync(`${out}/sig/summary.json`));
  assertEquals(summary.status, "interrupted");
  assertEquals(JSON.parse(stdout.trim().split("\n").at(-1)!).status, "interrupted");
});

Deno.test("deno task train runs every env id at a tiny budget and records it", async () => {
  const out = await Deno.makeTempDir();
  for (const envId of ENV_IDS) {
    const { code, stdout, stderr } = await run([
      "--env",
      envId,
      "--max-steps",
      "30",
      "--warmup",
      "20",
      "--eval-every",
      "10",
      "--eval-episodes",
      "1",
      "--samples",
      "8",
      "--horizon",
      "2",
      "--hidden",
      "8",
      "--epochs",
      "2",
      "--run-id",
      envId,
      "--out",
      out,
    ]);
    assertEquals(code, 0, `${envId}: ${stderr}`);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assertEquals(summary.envId, envId);
    assertEquals(summary.envSteps, 30);
    assertEquals(summary.status, "finished");
    const written = JSON.parse(Deno.readTextFileSync(`${out}/${envId}/config.json`));
    assertEquals(written.config.envId, envId);
    assertEquals(written.config.planner.numSamples, 8);
  }
});
