import { assertEquals, assertRejects } from "@std/assert";
import { cliFailure, runCli } from "../../lib/cli/run_cli.ts";
import { ArgsError } from "../../lib/cli/args.ts";
import { createRunFolder, readMetrics, RunReadError, RunWriteError } from "../../lib/run_folder.ts";

/** Runs `main` through runCli and returns [exit status, lines written]. */
async function run(main: () => Promise<number> | number): Promise<[number, string[]]> {
  const lines: string[] = [];
  const code = await runCli(main, { writeError: (line) => lines.push(line), trace: false });
  return [code, lines];
}

Deno.test("runCli passes main's exit status through", async () => {
  assertEquals(await run(() => 0), [0, []]);
  assertEquals(await run(() => Promise.resolve(130)), [130, []]);
});

Deno.test("runCli: bad flags and option values are one line and status 2", async () => {
  assertEquals(
    await run(() => {
      throw new ArgsError('--seed must be an integer but found "x"');
    }),
    [2, ['error: --seed must be an integer but found "x"']],
  );
  assertEquals(
    await run(() => {
      throw new RangeError("Expected horizon to be a positive integer but found 0");
    }),
    [2, ["error: Expected horizon to be a positive integer but found 0"]],
  );
  assertEquals(
    await run(() => {
      throw new TypeError("Expected a discrete action space for DQN but found Pendulum-v1");
    }),
    [2, ["error: Expected a discrete action space for DQN but found Pendulum-v1"]],
  );
});

Deno.test("runCli: --out at a file, an existing run id, a missing folder are one line and status 1", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/file`, "");
  const [code, lines] = await run(() => {
    createRunFolder(`${dir}/file`, {}, { method: "mbrl", seed: 0 });
    return 0;
  });
  assertEquals([code, lines], [1, [
    `error: Could not create ${dir}/file: it exists and is not a folder`,
  ]]);
  createRunFolder(dir, {}, { method: "mbrl", seed: 0, runId: "x" });
  assertEquals(
    await run(() => {
      createRunFolder(dir, {}, { method: "mbrl", seed: 0, runId: "x" });
      return 0;
    }),
    [1, [`error: Run folder ${dir}/x already exists; pass overwrite (--overwrite) to replace it`]],
  );
  const [missing, missingLines] = await run(() => readMetrics(`${dir}/nowhere`).length);
  assertEquals(missing, 1);
  assertEquals(missingLines.length, 1);
  assertEquals(missingLines[0]!.startsWith("error: No such file or directory (os error 2)"), true);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("runCli: write and read errors of run folders are one line and status 1", async () => {
  const disk = new Error("No space left on device (os error 28): writefile 'x'");
  assertEquals(
    await run(() => {
      throw new RunWriteError("data/runs/x/metrics.jsonl", disk);
    }),
    [1, [
      "error: Could not write data/runs/x/metrics.jsonl: No space left on device (os error 28)",
    ]],
  );
  assertEquals(
    await run(() => {
      throw new RunReadError("Line 2 of data/runs/x/metrics.jsonl is not a JSON row: {");
    }),
    [1, ["error: Line 2 of data/runs/x/metrics.jsonl is not a JSON row: {"]],
  );
  assertEquals(
    await run(() => {
      throw new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir '/ro/x'");
    }),
    [1, ["error: Permission denied (os error 13): mkdir '/ro/x'"]],
  );
});

Deno.test("runCli rethrows anything else (bugs keep their stack)", async () => {
  await assertRejects(
    () =>
      run(() => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      }),
    TypeError,
    "Cannot read properties",
  );
  await assertRejects(() => run(() => Promise.reject(new Error("boom"))), Error, "boom");
  assertEquals(cliFailure("a string"), null);
});

Deno.test("runCli prints the stack of a known error when tracing", async () => {
  const lines: string[] = [];
  const code = await runCli(() => {
    throw new RangeError("Expected x to be 1 but found 2");
  }, { writeError: (line) => lines.push(line), trace: true });
  assertEquals([code, lines.length, lines[1]!.startsWith("RangeError: Expected x")], [2, 2, true]);
});
