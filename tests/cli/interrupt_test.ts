import { assert, assertEquals } from "@std/assert";
import { readRunStatus, readSummary } from "../../lib/run_folder.ts";
import { INTERRUPT_EXIT_CODES, Interrupted, interruptExitCode } from "../../lib/cli/interrupt.ts";

const repo = new URL("../../", import.meta.url);
const lib = (path: string) => JSON.stringify(new URL(`lib/${path}`, repo).href);

/** Starts `code` as a Deno script (with the repo's import map), stdout piped. */
function spawn(code: string, args: string[] = []): Deno.ChildProcess {
  const script = Deno.makeTempFileSync({ suffix: ".ts" });
  Deno.writeTextFileSync(script, code);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("deno.json", repo).pathname, script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  child.status.finally(() => Deno.removeSync(script));
  return child;
}

/** Reads the child's stdout until a line equal to `text`. */
async function waitForLine(child: Deno.ChildProcess, text: string): Promise<void> {
  let seen = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!seen.split("\n").includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended before printing ${text}; printed ${seen}`);
    seen += value;
  }
  reader.releaseLock();
}

Deno.test("interruptExitCode: 130 for SIGINT, 143 for SIGTERM, null when not aborted", () => {
  const controller = new AbortController();
  assertEquals(interruptExitCode(controller.signal), null);
  controller.abort(new Interrupted("SIGTERM"));
  assertEquals(interruptExitCode(controller.signal), 143);
  assertEquals(INTERRUPT_EXIT_CODES.SIGINT, 130);
});

Deno.test({
  name: "SIGTERM during a BaselineRun loop: summary.json says interrupted, exit code 143",
  ignore: Deno.build.os === "windows",
  async fn() {
    const out = Deno.makeTempDirSync();
    const child = spawn(
      `import { interruptExitCode, withInterruptSignal } from ${lib("cli/interrupt.ts")};
      import { BaselineRun } from ${lib("agents/baseline_run.ts")};
      const code = await withInterruptSignal(async (signal) => {
        const run = new BaselineRun("loop", {
          seed: 0, evalEpisodes: 1, outDir: Deno.args[0], runId: "r", config: {}, signal,
        });
        console.log("ready");
        let step = 0;
        while (!run.shouldStop) {
          step += 1;
          if (step % 5 === 0) run.episode(step, 5, 5);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        run.finish(step);
        return interruptExitCode(signal) ?? 0;
      });
      Deno.exit(code);`,
      [out],
    );
    await waitForLine(child, "ready");
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 143);
    assertEquals(readRunStatus(`${out}/r`), "interrupted");
    const summary = readSummary(`${out}/r`);
    assert(summary.envSteps >= 1, "counts so far are recorded");
    assertEquals(summary.status, "interrupted");
    Deno.removeSync(out, { recursive: true });
  },
});

Deno.test({
  name: "a second SIGINT exits at once with 130; the first only aborts the signal",
  ignore: Deno.build.os === "windows",
  async fn() {
    const child = spawn(
      `import { withInterruptSignal } from ${lib("cli/interrupt.ts")};
      await withInterruptSignal(async (signal) => {
        signal.addEventListener("abort", () => console.log("aborted " + signal.reason.signal));
        console.log("ready");
        await new Promise(() => setInterval(() => {}, 1000)); // ignores the abort
      });`,
    );
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const until = async (text: string) => {
      while (!seen.includes(text)) seen += (await lines.read()).value ?? "";
    };
    await until("ready");
    child.kill("SIGINT");
    await until("aborted SIGINT");
    child.kill("SIGINT");
    const status = await child.status;
    lines.releaseLock();
    await child.stderr.cancel();
    assertEquals(status.code, 130);
  },
});

Deno.test({
  name: "a signal during the last synchronous stretch is delivered, not lost",
  ignore: Deno.build.os === "windows",
  async fn() {
    const child = spawn(
      `import { withInterruptSignal } from ${lib("cli/interrupt.ts")};
      let seen;
      await withInterruptSignal(async (signal) => {
        seen = signal;
        console.log("ready");
        const end = performance.now() + 1500;
        while (performance.now() < end) {} // never awaits
      });
      console.log("aborted " + seen.aborted);`,
    );
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("ready")) seen += (await lines.read()).value ?? "";
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      seen += value;
    }
    await child.status;
    await child.stderr.cancel();
    assert(seen.includes("aborted true"), seen);
  },
});
