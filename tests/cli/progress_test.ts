import { assert, assertEquals } from "@std/assert";
import {
  formatEpisodeLine,
  formatEvalLine,
  formatResultLine,
  formatStatusLine,
  ProgressReporter,
  type ProgressStatus,
} from "../../lib/cli/progress.ts";

const TRAIN: ProgressStatus = {
  phase: "train",
  envSteps: 350,
  maxSteps: 1000,
  episode: 4,
  lastReturn: 187,
  modelLoss: 0.00213,
  planMs: 6.25,
  lastEvalMean: 212.3,
};
const EVAL: ProgressStatus = {
  ...TRAIN,
  phase: "eval",
  envSteps: 300,
  evalEpisode: 3,
  evalEpisodes: 10,
  evalMean: 487.5,
};

Deno.test("formatStatusLine at 80 columns drops the bar and plan time but keeps the evaluation progress", () => {
  assertEquals(
    formatStatusLine(TRAIN, 80),
    "training  350/1000 steps  ep 4  ret 187  loss 0.0021  last eval 212.3",
  );
  assertEquals(
    formatStatusLine(EVAL, 80),
    "evaluating 4/10, mean 487.5  300/1000 steps  ep 4  ret 187  last eval 212.3",
  );
});

Deno.test("formatStatusLine at 120 columns shows a progress bar and every field", () => {
  assertEquals(
    formatStatusLine(TRAIN, 120),
    "[########................]  training  350/1000 steps  ep 4  ret 187  loss 0.0021  " +
      "plan 6.3 ms  last eval 212.3",
  );
  assertEquals(
    formatStatusLine(EVAL, 120),
    "[####..........]  evaluating 4/10, mean 487.5  300/1000 steps  ep 4  ret 187  " +
      "loss 0.0021  plan 6.3 ms  last eval 212.3",
  );
});

Deno.test("formatStatusLine never reaches the last column, at any width and budget", () => {
  const statuses: ProgressStatus[] = [
    TRAIN,
    EVAL,
    { ...EVAL, envSteps: 100_000, maxSteps: 100_000, episode: 12_345, modelLoss: -3.21 },
    { ...TRAIN, phase: "warmup", lastReturn: null, modelLoss: null, planMs: null },
    { ...TRAIN, phase: "fit", maxSteps: 0 },
  ];
  for (const status of statuses) {
    for (let columns = 1; columns <= 200; columns++) {
      const line = formatStatusLine(status, columns);
      assert(line.length <= Math.max(1, columns - 1), `${columns}: ${line}`);
      assert(!line.includes("\n"));
    }
  }
  // The first evaluation episode is "1/10" with no mean yet.
  assertEquals(
    formatStatusLine({ ...EVAL, evalEpisode: 0, evalMean: null }, 20),
    "evaluating 1/10",
  );
});

Deno.test("result, episode and evaluation lines read as sentences", () => {
  const base = { finalEvalMean: 500, evalEpisodes: 10, wallSeconds: 12.34 };
  assertEquals(
    formatResultLine({ ...base, solved: true, stepsToSolve: 200, envSteps: 200 }),
    "solved at 200 steps: eval mean 500.0 over 10 episodes, 12.3 s",
  );
  assertEquals(
    formatResultLine({
      ...base,
      solved: true,
      stepsToSolve: 200,
      envSteps: 1000,
      finalEvalMean: 480,
    }),
    "solved at 200 steps (ran to 1000): final eval mean 480.0 over 10 episodes, 12.3 s",
  );
  assertEquals(
    formatResultLine({
      ...base,
      solved: false,
      stepsToSolve: null,
      envSteps: 1000,
      finalEvalMean: 212.3,
    }),
    "not solved in 1000 steps: final eval mean 212.3 over 10 episodes, 12.3 s",
  );
  assertEquals(
    formatResultLine({
      ...base,
      solved: false,
      stepsToSolve: null,
      envSteps: 350,
      finalEvalMean: null,
      status: "interrupted",
    }),
    "interrupted at 350 steps (not solved): no evaluation ran, 12.3 s",
  );
  assertEquals(
    formatEpisodeLine({ kind: "episode", episode: 0, envSteps: 23, return: 23, length: 23 }),
    "episode 0: return 23 in 23 steps, 23 steps so far",
  );
  assertEquals(
    formatEvalLine({
      kind: "eval",
      envSteps: 300,
      evalReturnMean: 9.5,
      evalReturnStd: 1,
      evalEpisodes: 2,
      evalSeconds: 0.25,
      evalStoppedEarly: true,
    }),
    "eval at 300 steps: mean 9.5 over 2 episodes (0.3 s, stopped early)",
  );
});

/** A reporter writing into `out`, with a clock the test moves. */
function reporter(terminal: boolean, columns = 80) {
  const out: string[] = [];
  let now = 0;
  const r = new ProgressReporter({
    write: (text) => out.push(text),
    terminal,
    columns: () => columns,
    now: () => now,
  });
  return { r, out, tick: (ms: number) => (now += ms) };
}

Deno.test("on a terminal the line is redrawn in place, evaluations stay, the result ends it", () => {
  const { r, out, tick } = reporter(true);
  r.status(TRAIN);
  r.status({ ...TRAIN, envSteps: 375 }); // same phase within 100 ms: not redrawn
  tick(150);
  r.status({ ...TRAIN, envSteps: 400 });
  r.status({ ...EVAL, evalEpisode: 0, evalMean: null }); // a new phase: redrawn at once
  r.row({ kind: "eval", envSteps: 400, evalReturnMean: 500, evalReturnStd: 0, evalEpisodes: 10 });
  r.finish({
    solved: true,
    stepsToSolve: 400,
    finalEvalMean: 500,
    envSteps: 400,
    wallSeconds: 3,
    evalEpisodes: 10,
  });
  assertEquals(out.length, 6);
  assert(out.slice(0, 3).every((text) => text.startsWith("\r\x1b[2K") && !text.includes("\n")));
  assert(out[1]!.includes("400/1000 steps"));
  assert(out[2]!.includes("evaluating 1/10"));
  assertEquals(out[3], "\r\x1b[2Keval at 400 steps: mean 500.0 over 10 episodes\n");
  assert(out[4]!.includes("last eval 500.0"), out[4]);
  assertEquals(out[5], "\r\x1b[2Ksolved at 400 steps: eval mean 500.0 over 10 episodes, 3.0 s\n");
  assert(out.every((text) => text.replace("\r\x1b[2K", "").trimEnd().length < 80));
});

Deno.test("off a terminal: a line per episode and evaluation, evaluation progress every 5 s", () => {
  const { r, out, tick } = reporter(false);
  r.status(TRAIN); // nothing: statuses are for the terminal line
  r.row({ kind: "episode", episode: 4, envSteps: 400, return: 187, length: 187 });
  for (let k = 1; k <= 10; k++) {
    tick(2000);
    r.status({ ...EVAL, evalEpisode: k, evalMean: 480 });
  }
  r.row({ kind: "eval", envSteps: 400, evalReturnMean: 480, evalReturnStd: 0, evalEpisodes: 10 });
  r.finish({
    solved: false,
    stepsToSolve: null,
    finalEvalMean: 480,
    envSteps: 400,
    wallSeconds: 20,
    evalEpisodes: 10,
  });
  assertEquals(out, [
    "episode 4: return 187 in 187 steps, 400 steps so far\n",
    "eval at 300 steps: 1 of 10 episodes done, running mean 480.0\n",
    "eval at 300 steps: 4 of 10 episodes done, running mean 480.0\n",
    "eval at 300 steps: 7 of 10 episodes done, running mean 480.0\n",
    "eval at 400 steps: mean 480.0 over 10 episodes\n",
    "not solved in 400 steps: final eval mean 480.0 over 10 episodes, 20.0 s\n",
  ]);
  assert(out.every((text) => !text.includes("\x1b")));
});

Deno.test("quiet writes nothing", () => {
  const out: string[] = [];
  const r = new ProgressReporter({ write: (t) => out.push(t), terminal: true, quiet: true });
  r.status(TRAIN);
  r.row({ kind: "eval", envSteps: 1, evalReturnMean: 1, evalReturnStd: 0, evalEpisodes: 1 });
  r.finish({ solved: false, stepsToSolve: null, finalEvalMean: 1, envSteps: 1, wallSeconds: 1 });
  assertEquals(out, []);
});
