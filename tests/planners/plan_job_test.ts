import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  chunkBounds,
  claimChunk,
  createJobBuffer,
  jobBytes,
  readJob,
  SPEC_BYTES,
  writeJob,
} from "../../lib/planners/plan_job.ts";
import {
  NOISE_BLOCK_ROWS,
  type RolloutBatch,
  type RolloutSpec,
} from "../../lib/planners/rollout.ts";

const SPEC: RolloutSpec = {
  stateDim: 3,
  envDim: 2,
  horizon: 4,
  discount: 0.9,
  shaping: Float32Array.of(0, 0.05, 0.1),
  rewardSource: "model",
  terminationSource: "env",
  call: "sample",
  bonusWeight: 2,
  terminal: true,
};

/** A batch of `R` rows whose every entry names its array, step, row and column. */
function labelled(R: number): RolloutBatch {
  const { stateDim: d, envDim: e, horizon: H } = SPEC;
  return {
    rows: R,
    states: Float32Array.from({ length: R * d }, (_, i) => 1000 + i),
    actions: Float32Array.from({ length: H * R * e }, (_, i) => 2000 + i),
    members: Int32Array.from({ length: H * R }, (_, i) => 3000 + i),
    // Three jobs: rows [0, 2), [2, R - 1), [R - 1, R).
    noise: { seeds: Int32Array.of(11, 22, 33), starts: Int32Array.of(0, 2, R - 1, R) },
  };
}

Deno.test("a job round-trips the spec, every array and the chunk bounds", () => {
  const buffer = createJobBuffer();
  for (const R of [7, 3]) {
    const batch = labelled(R);
    const bounds = R === 7 ? Int32Array.of(0, 4, 6, 7) : Int32Array.of(0, 3);
    writeJob(buffer, SPEC, batch, bounds);
    const { spec, batch: got, chunks } = readJob(buffer);
    assertEquals({ ...spec, shaping: Array.from(spec.shaping!) }, {
      ...SPEC,
      shaping: Array.from(SPEC.shaping!),
    });
    assertEquals(got.rows, R);
    assertEquals(Array.from(got.states), Array.from(batch.states));
    assertEquals(Array.from(got.actions), Array.from(batch.actions));
    assertEquals(Array.from(got.members!), Array.from(batch.members!));
    assertEquals(Array.from(got.noise!.seeds), [11, 22, 33]);
    assertEquals(Array.from(got.noise!.starts), [0, 2, R - 1, R]);
    assertEquals(Array.from(chunks), Array.from(bounds));
  }
});

Deno.test("each chunk is claimed once, in order; writing the next job resets the claims", () => {
  const buffer = createJobBuffer();
  writeJob(buffer, SPEC, labelled(7), Int32Array.of(0, 4, 6, 7));
  assertEquals([0, 1, 2, 3, 4].map(() => claimChunk(buffer)), [0, 1, 2, 3, 4]);
  writeJob(buffer, SPEC, labelled(7), Int32Array.of(0, 7));
  assertEquals([claimChunk(buffer), claimChunk(buffer)], [0, 1]);
});

Deno.test("a job without optional arrays reads back without them; the buffer grows as needed", () => {
  const { members: _m, noise: _n, ...plain } = labelled(3);
  const big = { ...labelled(3000) };
  const buffer = createJobBuffer();
  const start = buffer.byteLength;
  writeJob(buffer, { ...SPEC, shaping: null }, plain, Int32Array.of(0, 3));
  const read = readJob(buffer);
  assertEquals(read.spec.shaping, null);
  assertEquals([read.batch.members, read.batch.noise], [undefined, undefined]);
  const bounds = chunkBounds(3000, 2, 32);
  writeJob(buffer, SPEC, big, bounds);
  assertEquals(buffer.byteLength >= jobBytes(SPEC, big, bounds), true);
  assertEquals(buffer.byteLength > start, true);
  assertEquals(readJob(buffer).batch.members![4 * 3000 - 1], big.members![4 * 3000 - 1]);
});

Deno.test("a spec too large for its region, or chunk bounds not from 0 to the rows, are refused", () => {
  const shaping = new Float32Array(SPEC_BYTES).fill(0.123456);
  assertThrows(
    () =>
      writeJob(
        createJobBuffer(),
        { ...SPEC, stateDim: SPEC_BYTES, shaping },
        labelled(0),
        Int32Array.of(0),
      ),
    RangeError,
    "planning spec",
  );
  for (const bounds of [Int32Array.of(0, 6), Int32Array.of(1, 7), new Int32Array(0)]) {
    assertThrows(
      () => writeJob(createJobBuffer(), SPEC, labelled(7), bounds),
      RangeError,
      "chunk bounds",
    );
  }
});

Deno.test("chunk bounds: cover the rows, shrink, whole noise blocks, at least minChunk", () => {
  for (
    const [rows, threads, minChunk] of [[1000, 2, 32], [5000, 2, 224], [1000, 3, 32], [77, 2, 64]]
  ) {
    const b = Array.from(chunkBounds(rows!, threads!, minChunk!));
    assertEquals([b[0], b[b.length - 1]], [0, rows]);
    const sizes = b.slice(1).map((v, i) => v - b[i]!);
    assert(sizes.every((s, i) => i === 0 || s <= sizes[i - 1]!), `not shrinking: ${sizes}`);
    const inner = sizes.slice(0, -1);
    assert(inner.every((s) => s >= minChunk! && s % NOISE_BLOCK_ROWS === 0), `sizes ${sizes}`);
    // The first chunk leaves every other thread its share of the rest.
    assert(sizes[0]! <= Math.max(minChunk!, rows! / threads!), `first ${sizes[0]}`);
  }
  assertEquals(Array.from(chunkBounds(0, 2, 32)), [0]);
  assertEquals(Array.from(chunkBounds(20, 2, 32)), [0, 20]);
  for (const bad of [[-1, 2, 32], [1.5, 2, 32], [10, 0, 32], [10, 2, 0], [10, 2, 2.5]]) {
    assertThrows(() => chunkBounds(bad[0]!, bad[1]!, bad[2]!), RangeError);
  }
});
