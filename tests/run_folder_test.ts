import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  createRunFolder,
  makeRunId,
  readMetrics,
  readMetricsReport,
  readRunStatus,
  readSummary,
  RunReadError,
  type RunSummary,
  RunWriteError,
  RunWriter,
  writeJsonAtomic,
} from "../lib/run_folder.ts";

const SUMMARY: RunSummary = {
  envId: "CartPole-v1",
  method: "test",
  seed: 0,
  envSteps: 20,
  solved: false,
  stepsToSolve: null,
  finalEvalMean: null,
  wallSeconds: 0.5,
  backend: "none",
};

function episode(i: number) {
  return { kind: "episode" as const, episode: i, envSteps: 10 * (i + 1), return: 10, length: 10 };
}

function ls(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("a second writer on the same run folder is refused and the first run's files stay", () => {
  const out = Deno.makeTempDirSync();
  const dir = `${out}/x`;
  const first = RunWriter.create(dir, { writer: 1 });
  first.append(episode(0));
  assertThrows(
    () => RunWriter.create(dir, { writer: 2 }),
    Deno.errors.AlreadyExists,
    `Run folder ${dir} already exists; pass overwrite (--overwrite) to replace it`,
  );
  assertEquals(JSON.parse(Deno.readTextFileSync(`${dir}/config.json`)), { writer: 1 });
  assertEquals(readMetrics(dir).length, 1);
  // An explicit overwrite replaces the old run.
  RunWriter.create(dir, { writer: 3 }, { overwrite: true });
  assertEquals(JSON.parse(Deno.readTextFileSync(`${dir}/config.json`)), { writer: 3 });
  assertEquals(readMetrics(dir), []);
  assertEquals(ls(out), ["x"]);
  Deno.removeSync(out, { recursive: true });
});

Deno.test("overwrite never deletes a folder that is not a run folder", () => {
  const out = Deno.makeTempDirSync();
  Deno.mkdirSync(`${out}/notes`);
  Deno.writeTextFileSync(`${out}/notes/keep.txt`, "mine");
  assertThrows(
    () => RunWriter.create(`${out}/notes`, {}, { overwrite: true }),
    Deno.errors.AlreadyExists,
    "is not a run folder",
  );
  assertEquals(Deno.readTextFileSync(`${out}/notes/keep.txt`), "mine");
  Deno.removeSync(out, { recursive: true });
});

Deno.test("two processes racing to create one run folder: exactly one gets it", async () => {
  const out = Deno.makeTempDirSync();
  const url = new URL("../lib/run_folder.ts", import.meta.url).href;
  const start = Date.now() + 1500;
  const code = `import { RunWriter } from ${JSON.stringify(url)};
    while (Date.now() < ${start}) {}
    try { RunWriter.create(${
    JSON.stringify(`${out}/same`)
  }, { pid: Deno.pid }); console.log("created"); }
    catch (e) { console.log(e instanceof Deno.errors.AlreadyExists ? "refused" : String(e)); }`;
  const outputs = await Promise.all(
    [0, 1, 2].map(() =>
      new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" }).output()
    ),
  );
  const said = outputs.map((o) => new TextDecoder().decode(o.stdout).trim()).sort();
  assertEquals(said, ["created", "refused", "refused"]);
  assertEquals(ls(`${out}/same`), ["config.json", "metrics.jsonl"]);
  Deno.removeSync(out, { recursive: true });
});

Deno.test("createRunFolder: auto ids move on to a fresh name, explicit ids are refused", () => {
  const out = Deno.makeTempDirSync();
  const now = new Date("2026-11-26T03:10:00Z");
  const options = { method: "mbrl", seed: 0, now };
  const a = createRunFolder(out, { a: 1 }, options);
  const b = createRunFolder(out, { b: 1 }, options);
  const c = createRunFolder(out, { c: 1 }, options);
  const id = makeRunId("mbrl", 0, now);
  assertEquals([a.dir, b.dir, c.dir], [`${out}/${id}`, `${out}/${id}-2`, `${out}/${id}-3`]);
  assertEquals(JSON.parse(Deno.readTextFileSync(`${a.dir}/config.json`)), { a: 1 });
  createRunFolder(out, {}, { ...options, runId: "x" });
  assertThrows(
    () => createRunFolder(out, {}, { ...options, runId: "x" }),
    Deno.errors.AlreadyExists,
    "already exists; pass overwrite",
  );
  assertEquals(
    createRunFolder(out, {}, { ...options, runId: "x", overwrite: true }).dir,
    `${out}/x`,
  );
  Deno.removeSync(out, { recursive: true });
});

Deno.test("readMetrics skips a torn last line and readMetricsReport reports it", () => {
  const dir = `${Deno.makeTempDirSync()}/r`;
  const writer = RunWriter.create(dir, {});
  writer.append(episode(0));
  writer.append(episode(1));
  Deno.writeTextFileSync(`${dir}/metrics.jsonl`, '{"kind":"episode","epis', { append: true });
  assertEquals(readMetrics(dir), [episode(0), episode(1)]);
  assertEquals(readMetricsReport(dir).tornLastLine, '{"kind":"episode","epis');
  // A complete last row that only lost its newline is a row.
  Deno.writeTextFileSync(`${dir}/metrics.jsonl`, JSON.stringify(episode(0)));
  assertEquals(readMetricsReport(dir), { rows: [episode(0)], tornLastLine: null });
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a corrupt line before the last one is an error naming the file and line", () => {
  const dir = Deno.makeTempDirSync();
  const good = JSON.stringify(episode(0));
  Deno.writeTextFileSync(`${dir}/metrics.jsonl`, `${good}\n{"kind":\n${good}\n`);
  assertThrows(() => readMetrics(dir), RunReadError, `Line 2 of ${dir}/metrics.jsonl`);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a disk-full append ends with one RunWriteError and the rows before stay readable", () => {
  const dir = `${Deno.makeTempDirSync()}/r`;
  let room = 100; // bytes left on the fake disk
  const writer = RunWriter.create(dir, {}, {
    fs: {
      appendText(path, text) {
        const fits = text.slice(0, room);
        Deno.writeTextFileSync(path, fits, { append: true });
        room -= fits.length;
        if (fits.length < text.length) {
          throw new Error(`No space left on device (os error 28): writefile '${path}'`);
        }
      },
    },
  });
  writer.append(episode(0));
  const error = assertThrows(() => writer.append(episode(1)), RunWriteError);
  assertEquals(
    error.message,
    `Could not write ${dir}/metrics.jsonl: No space left on device (os error 28)`,
  );
  // The writer stays failed, so the torn line remains the last one.
  room = 1000;
  assertThrows(() => writer.append(episode(2)), RunWriteError, "No space left");
  assertThrows(() => writer.writeSummary(SUMMARY), RunWriteError, "No space left");
  const report = readMetricsReport(dir);
  assertEquals(report.rows, [episode(0)]);
  assert(report.tornLastLine !== null);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name: "a real ENOSPC (metrics.jsonl pointing at /dev/full) is a RunWriteError",
  ignore: Deno.build.os !== "linux",
  fn() {
    const dir = `${Deno.makeTempDirSync()}/r`;
    const writer = RunWriter.create(dir, {});
    Deno.removeSync(`${dir}/metrics.jsonl`);
    Deno.symlinkSync("/dev/full", `${dir}/metrics.jsonl`);
    assertThrows(
      () => writer.append(episode(0)),
      RunWriteError,
      `Could not write ${dir}/metrics.jsonl: No space left on device (os error 28)`,
    );
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test("a summary write that fails leaves the old summary and no temporary file", () => {
  const dir = `${Deno.makeTempDirSync()}/r`;
  const writer = RunWriter.create(dir, {});
  writer.writeSummary(SUMMARY);
  const failing = RunWriter.create(`${dir}-b`, {}, {
    fs: {
      writeAtomic(path, text) {
        if (path.endsWith("summary.json")) {
          throw new Deno.errors.PermissionDenied("Permission denied (os error 13): open 'x'");
        }
        writeJsonAtomic(path, JSON.parse(text));
      },
    },
  });
  assertThrows(
    () => failing.writeSummary(SUMMARY),
    RunWriteError,
    `Could not write ${dir}-b/summary.json: Permission denied (os error 13)`,
  );
  // writeJsonAtomic over a path it cannot replace (a folder) fails cleanly.
  Deno.mkdirSync(`${dir}/blocked.json`);
  assertThrows(
    () => writeJsonAtomic(`${dir}/blocked.json`, { a: 1 }),
    RunWriteError,
    "blocked.json",
  );
  assertEquals(ls(dir), ["blocked.json", "config.json", "metrics.jsonl", "summary.json"]);
  assertEquals(readSummary(dir).envSteps, 20);
  Deno.removeSync(dir, { recursive: true });
  Deno.removeSync(`${dir}-b`, { recursive: true });
});

Deno.test("writeJsonAtomic replaces a file whole and leaves no temporary file", () => {
  const dir = Deno.makeTempDirSync();
  writeJsonAtomic(`${dir}/c.json`, { v: 1 });
  writeJsonAtomic(`${dir}/c.json`, { v: 2, nested: [1, 2] });
  assertEquals(
    Deno.readTextFileSync(`${dir}/c.json`),
    '{\n  "v": 2,\n  "nested": [\n    1,\n    2\n  ]\n}\n',
  );
  assertEquals(ls(dir), ["c.json"]);
  assertThrows(() => writeJsonAtomic(`${dir}/missing/c.json`, {}), RunWriteError, "missing/c.json");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("readRunStatus: missing, unfinished, finished, interrupted", () => {
  const dir = `${Deno.makeTempDirSync()}/r`;
  assertEquals(readRunStatus(dir), "missing");
  const writer = RunWriter.create(dir, {});
  writer.append(episode(0));
  // config.json without summary.json: hard-killed, or still running.
  assertEquals(readRunStatus(dir), "unfinished");
  writer.writeSummary(SUMMARY, "interrupted");
  assertEquals(readRunStatus(dir), "interrupted");
  assertEquals(readSummary(dir).status, "interrupted");
  writer.writeSummary(SUMMARY);
  assertEquals(readRunStatus(dir), "finished");
  // A summary written before `status` existed counts as finished.
  Deno.writeTextFileSync(`${dir}/summary.json`, JSON.stringify(SUMMARY));
  assertEquals(readRunStatus(dir), "finished");
  Deno.writeTextFileSync(`${dir}/summary.json`, '{"envId": "CartPole-v1"');
  assertThrows(() => readRunStatus(dir), RunReadError, "summary.json is not valid JSON");
  Deno.removeSync(dir, { recursive: true });
});
