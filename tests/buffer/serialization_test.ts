import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { PrioritizedReplayBuffer, ReplayBuffer } from "../../lib/buffer/mod.ts";
import { Rng } from "../../lib/rng.ts";
import {
  snapshotFromJson,
  snapshotToBytes,
  snapshotToJson,
} from "../../lib/buffer/serialization.ts";
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

/** The JSON of `filledBuffer()` with `fields` changed and a valid checksum (a forged file). */
function forged(fields: Record<string, unknown>) {
  const snapshot = snapshotFromJson(filledBuffer().toJSON());
  return snapshotToJson({ ...snapshot, fields: { ...snapshot.fields, ...fields } });
}

/** FNV-1a (32-bit) of byte arrays, as the format defines it (written out here independently). */
function fnv1a(parts: Uint8Array[]): string {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    for (const byte of part) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

Deno.test("the checksum covers the header: a changed digit there is rejected", async () => {
  const json = filledBuffer().toJSON();
  assertEquals(json.version, 2);
  for (const change of [{ capacity: 38 }, { size: 36, writePosition: 36 }, { stateDim: 4 }]) {
    assertThrows(
      () => ReplayBuffer.fromJSON({ ...json, ...change }),
      Error,
      "(the header or the arrays were changed)",
    );
  }
  const prioritized = new PrioritizedReplayBuffer(8, {
    stateDim: 3,
    actionDim: 2,
    rng: new Rng(0),
  });
  prioritized.add(makeTransition(0));
  const pjson = prioritized.toJSON();
  assertThrows(() => PrioritizedReplayBuffer.fromJSON({ ...pjson, alpha: 0.7 }), Error, "checksum");
  await withTempDir(async (dir) => {
    const path = join(dir, "buffer.bin");
    await filledBuffer().save(path);
    const bytes = await Deno.readFile(path);
    const text = new TextDecoder().decode(bytes.subarray(0, 400));
    const at = text.indexOf('"capacity":37') + '"capacity":3'.length;
    assert(at > 20);
    const edited = bytes.slice();
    edited[at] = "8".charCodeAt(0); // capacity 37 -> 38, same length, valid JSON
    Deno.writeFileSync(path, edited);
    await assertRejects(
      () => ReplayBuffer.load(path),
      Error,
      `Corrupt or incompatible replay buffer ${path}: checksum`,
    );
  });
});

Deno.test("version 1 files (checksum over the arrays only) still load", async () => {
  const buffer = filledBuffer();
  const json = buffer.toJSON();
  const arrays = snapshotFromJson(json).arrays;
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const v1 = {
    ...json,
    version: 1,
    checksum: fnv1a(json.arrays.map((e) => bytesOf(arrays[e.name]!))),
  };
  assertEquals(ReplayBuffer.fromJSON(v1).all(), buffer.all());
  assertThrows(() => ReplayBuffer.fromJSON({ ...v1, checksum: json.checksum }), Error, "checksum");
  await withTempDir(async (dir) => {
    // A v1 binary file: same layout, header with version 1 and the arrays-only checksum.
    const path = join(dir, "v1.bin");
    const snapshot = snapshotFromJson(json);
    const v2 = snapshotToBytes(snapshot);
    const length = new DataView(v2.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(v2.subarray(12, 12 + length)));
    const v1Header = new TextEncoder().encode(
      JSON.stringify({ ...header, version: 1, checksum: v1.checksum }),
    );
    const pad8 = (n: number) => Math.ceil(n / 8) * 8;
    const body = v2.subarray(pad8(12 + length));
    const file = new Uint8Array(pad8(12 + v1Header.length) + body.length);
    file.set(v2.subarray(0, 8), 0);
    new DataView(file.buffer).setUint32(8, v1Header.length, true);
    file.set(v1Header, 12);
    file.set(body, pad8(12 + v1Header.length));
    Deno.writeFileSync(path, file);
    assertEquals((await ReplayBuffer.load(path)).all(), buffer.all());
  });
});

Deno.test("corrupt or inconsistent JSON fails with a clear error", () => {
  const json = filledBuffer().toJSON();
  assertThrows(() => ReplayBuffer.fromJSON("{not json"), Error, "not valid JSON");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, format: "other" } as never), Error, "format");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, version: 3 }), Error, "version");
  // Forged headers (valid checksum) with contents that cannot be right are still rejected.
  assertThrows(
    () => ReplayBuffer.fromJSON(forged({ size: 36, writePosition: 36 })),
    Error,
    "array states",
  );
  assertThrows(() => ReplayBuffer.fromJSON(forged({ size: 40 })), Error, "exceeds capacity");
  assertThrows(() => ReplayBuffer.fromJSON(forged({ writePosition: 40 })), Error, "write position");
  assertThrows(() => ReplayBuffer.fromJSON(forged({ stateDim: 0 })), Error, "stateDim");
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, checksum: "00000000" }), Error, "checksum");
  const arrays = json.arrays.map((entry) =>
    entry.name === "rewards" ? { ...entry, data: entry.data!.slice(8) } : entry
  );
  assertThrows(() => ReplayBuffer.fromJSON({ ...json, arrays }), Error, "array rewards has");
  assertThrows(
    () => ReplayBuffer.fromJSON(json, { actionDim: 3 }),
    Error,
    "Mismatched",
  );
  // A buffer loaded with a Discrete action space checks the stored actions against it.
  assertThrows(
    () => ReplayBuffer.fromJSON(json, { actionSpace: { kind: "discrete", n: 2 } }),
    TypeError,
    "actionDim to be 1",
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
