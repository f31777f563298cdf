import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { PrioritizedReplayBuffer, ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { snapshotToJson } from "../../lib/buffer/serialization.ts";
import { makeTransition } from "./helpers.ts";

/** A wrapped buffer with awkward float values and both kinds of episode end. */
function filledBuffer(): ReplayBuffer {
  const buffer = new ReplayBuffer(37, { stateDim: 3, actionDim: 2, rng: new Rng(1) });
  for (let id = 0; id < 50; id++) {
    const t = makeTransition(id, { terminated: id % 9 === 8, truncated: id % 13 === 12 });
    buffer.add({ ...t, reward: Math.PI * id - 1e-7, state: [id / 3, -1e30, 1e-40] });
  }
  return buffer;
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "buffer_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("save/load round trip is exact, ring layout included", async () => {
  await withTempDir(async (dir) => {
    const buffer = filledBuffer();
    const path = join(dir, "nested", "run", "buffer.bin");
    await buffer.save(path);
    const loaded = await ReplayBuffer.load(path, { rng: new Rng(4), stateDim: 3, actionDim: 2 });
    assertEquals(
      [loaded.capacity, loaded.size, loaded.writePosition],
      [buffer.capacity, buffer.size, buffer.writePosition],
    );
    assertEquals(loaded.all(), buffer.all());
    assertEquals(loaded.toJSON(), buffer.toJSON());
    // Same slots, so the same stream draws the same batches.
    const again = await ReplayBuffer.load(path, { rng: new Rng(4) });
    assertEquals(again.sample(16), loaded.sample(16));
    assertEquals(again.sampleSequences(4, 3), loaded.sampleSequences(4, 3));
    // Compact: the raw arrays (37 x (3 + 2 + 3 + 1) float32 + 2 x 37 flags) plus a header.
    const raw = 37 * 9 * 4 + 2 * 37;
    const bytes = (await Deno.stat(path)).size;
    assert(bytes > raw && bytes < raw + 1024, `${bytes} bytes`);
  });
});

Deno.test("toJSON/fromJSON round trip is exact, through a string too", () => {
  const buffer = filledBuffer();
  const text = JSON.stringify(buffer);
  const fromText = ReplayBuffer.fromJSON(text);
  const fromObject = ReplayBuffer.fromJSON(JSON.parse(text));
  assertEquals(fromText.all(), buffer.all());
  assertEquals(fromObject.toJSON(), buffer.toJSON());
  const empty = new ReplayBuffer(5, { stateDim: 1, actionDim: 1, rng: new Rng(0) });
  const emptyAgain = ReplayBuffer.fromJSON(empty.toJSON());
  assertEquals([emptyAgain.size, emptyAgain.capacity], [0, 5]);
});

Deno.test("a prioritized buffer round-trips priorities and its beta schedule", async () => {
  await withTempDir(async (dir) => {
    const buffer = new PrioritizedReplayBuffer(20, {
      stateDim: 3,
      actionDim: 2,
      rng: new Rng(2),
      alpha: 0.7,
      beta: 0.5,
      betaAnnealSamples: 10,
    });
    for (let id = 0; id < 26; id++) buffer.add(makeTransition(id));
    buffer.updatePriorities([0, 3, 7], [5, 0.5, 2]);
    buffer.sample(4);
    buffer.sample(4);
    const path = join(dir, "per.bin");
    await buffer.save(path);
    const loaded = await PrioritizedReplayBuffer.load(path, { rng: new Rng(9) });
    assertInstanceOf(loaded, PrioritizedReplayBuffer);
    assertEquals([loaded.alpha, loaded.beta, loaded.epsilon], [0.7, buffer.beta, 1e-6]);
    for (let slot = 0; slot < 20; slot++) {
      assertEquals(loaded.priority(slot), buffer.priority(slot));
    }
    const twin = PrioritizedReplayBuffer.fromJSON(JSON.stringify(buffer), { rng: new Rng(9) });
    assertEquals(twin.sample(32), loaded.sample(32));
    // Plain loading keeps the data and drops the priorities; the reverse starts them at 1.
    const plain = await ReplayBuffer.load(path);
    assertEquals(plain.all(), buffer.all());
    const promoted = PrioritizedReplayBuffer.fromJSON(plain.toJSON(), { alpha: 0.5 });
    assertEquals([promoted.alpha, promoted.priority(0), promoted.priority(19)], [0.5, 1, 1]);
  });
});

Deno.test("corrupt, truncated or mismatched files fail with a clear error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "buffer.bin");
    await filledBuffer().save(path);
    const good = await Deno.readFile(path);
    const write = (name: string, bytes: Uint8Array) => {
      const file = join(dir, name);
      Deno.writeFileSync(file, bytes);
      return file;
    };
    const flipped = good.slice();
    flipped[good.length - 100]! ^= 0x10;
    await assertRejects(() => ReplayBuffer.load(write("flip.bin", flipped)), Error, "checksum");
    await assertRejects(
      () => ReplayBuffer.load(write("short.bin", good.slice(0, good.length - 50))),
      Error,
      "truncated",
    );
    await assertRejects(
      () =>
        ReplayBuffer.load(write("long.bin", Uint8Array.from([...good, 0, 0, 0, 0, 0, 0, 0, 0]))),
      Error,
      "bytes",
    );
    await assertRejects(
      () => ReplayBuffer.load(write("text.bin", new TextEncoder().encode("hello, world"))),
      Error,
      "does not start with",
    );
    await assertRejects(
      () => ReplayBuffer.load(write("empty.bin", new Uint8Array(0))),
      Error,
      "Corrupt",
    );
    const badHeader = good.slice();
    badHeader[13] = "}".charCodeAt(0);
    await assertRejects(() => ReplayBuffer.load(write("header.bin", badHeader)), Error, "header");
    await assertRejects(
      () => ReplayBuffer.load(path, { stateDim: 4 }),
      Error,
      "expected stateDim 4 but found 3",
    );
    await assertRejects(() => ReplayBuffer.load(join(dir, "missing.bin")), Deno.errors.NotFound);
  });
});

Deno.test("corrupt or inconsistent JSON fails with a clear error", () => {
  const json = filledBuffer().toJSON();
  assertThrows(() => ReplayBuffer.fromJSON("{not json"), Error, "not valid JSON");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, format: "other" } as never), Error, "format");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, version: 2 }), Error, "version");
  assertThrows(
    () => ReplayBuffer.fromJSON({ ...json, size: 36, writePosition: 36 }),
    Error,
    "array states",
  );
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, size: 40 }), Error, "exceeds capacity");
  assertThrows(
    () => ReplayBuffer.fromJSON({ ...json, writePosition: 40 }),
    Error,
    "write position",
  );
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, stateDim: 0 }), Error, "stateDim");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, checksum: "00000000" }), Error, "checksum");
  const arrays = json.arrays.map((entry) =>
    entry.name === "rewards" ? { ...entry, data: entry.data!.slice(8) } : entry
  );
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, arrays }), Error, "array rewards has");
  assertThrows(
    () => ReplayBuffer.fromJSON({ ...json, actionDim: 1 }, { actionDim: 2 }),
    Error,
    "Mismatched",
  );
  // Well-formed files with impossible contents (valid checksum) are still rejected.
  const snapshot = {
    fields: {
      kind: "uniform" as const,
      capacity: 4,
      stateDim: 1,
      actionDim: 1,
      size: 2,
      writePosition: 2,
    },
    arrays: {
      states: Float32Array.of(0, 1),
      actions: Float32Array.of(0, 1),
      nextStates: Float32Array.of(1, 2),
      rewards: Float32Array.of(1, Number.NaN),
      terminated: Uint8Array.of(0, 0),
      truncated: Uint8Array.of(0, 0),
    },
  };
  assertThrows(
    () => ReplayBuffer.fromJSON(snapshotToJson(snapshot)),
    Error,
    "rewards has non-finite",
  );
  snapshot.arrays.rewards[1] = 0;
  assertEquals(ReplayBuffer.fromJSON(snapshotToJson(snapshot)).size, 2);
  snapshot.arrays.truncated[0] = 3;
  assertThrows(
    () => ReplayBuffer.fromJSON(snapshotToJson(snapshot)),
    Error,
    "truncated is not 0/1",
  );
});
