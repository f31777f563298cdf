import { assertEquals, assertThrows } from "@std/assert";
import {
  createJobBuffer,
  jobBytes,
  readJob,
  SPEC_BYTES,
  writeJob,
} from "../../lib/planners/plan_job.ts";
import type { RolloutBatch, RolloutSpec } from "../../lib/planners/rollout.ts";

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

/** Rows `[lo, hi)` of `src`, step by step (what a worker's share must hold). */
function share<T extends Float32Array | Int32Array>(
  src: T,
  R: number,
  lo: number,
  hi: number,
  width: number,
): number[] {
  const out: number[] = [];
  for (let t = 0; t < SPEC.horizon; t++) {
    out.push(...src.subarray((t * R + lo) * width, (t * R + hi) * width));
  }
  return out;
}

Deno.test("a job round-trips the spec and a share's rows of every array, step by step", () => {
  const R = 7;
  const batch = labelled(R);
  const buffer = createJobBuffer();
  for (const [lo, hi] of [[0, 7], [2, 5], [6, 7]] as const) {
    writeJob(buffer, SPEC, batch, lo, hi);
    const { spec, batch: got } = readJob(buffer);
    assertEquals({ ...spec, shaping: Array.from(spec.shaping!) }, {
      ...SPEC,
      shaping: Array.from(SPEC.shaping!),
    });
    assertEquals(got.rows, hi - lo);
    assertEquals(Array.from(got.states), Array.from(batch.states.subarray(lo * 3, hi * 3)));
    assertEquals(Array.from(got.actions), share(batch.actions, R, lo, hi, 2));
    assertEquals(Array.from(got.members!), share(batch.members!, R, lo, hi, 1));
    assertEquals(Array.from(got.noise!.seeds), [11, 22, 33]);
    assertEquals(Array.from(got.noise!.starts), [0, 2, R - 1, R].map((s) => s - lo));
  }
});

Deno.test("a job without optional arrays reads back without them; the buffer grows as needed", () => {
  const { members: _m, noise: _n, ...plain } = labelled(3);
  const big = { ...labelled(3000) };
  const buffer = createJobBuffer();
  const start = buffer.byteLength;
  writeJob(buffer, { ...SPEC, shaping: null }, plain, 0, 3);
  const read = readJob(buffer);
  assertEquals(read.spec.shaping, null);
  assertEquals([read.batch.members, read.batch.noise], [undefined, undefined]);
  writeJob(buffer, SPEC, big, 0, 3000);
  assertEquals(buffer.byteLength >= jobBytes(SPEC, big, 0, 3000), true);
  assertEquals(buffer.byteLength > start, true);
  assertEquals(readJob(buffer).batch.members![4 * 3000 - 1], big.members![4 * 3000 - 1]);
});

Deno.test("a spec too large for its region is refused", () => {
  const shaping = new Float32Array(SPEC_BYTES).fill(0.123456);
  assertThrows(
    () =>
      writeJob(createJobBuffer(), { ...SPEC, stateDim: SPEC_BYTES, shaping }, labelled(0), 0, 0),
    RangeError,
    "planning spec",
  );
});
