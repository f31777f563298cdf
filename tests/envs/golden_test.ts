import { assert, assertEquals } from "@std/assert";
import { ENV_IDS, type EnvId } from "../../lib/envs/mod.ts";
import {
  DEFAULT_TIER,
  float32Ulps,
  type GoldenFile,
  loadGolden,
  replayOpenLoop,
  replayPerStep,
  STRICT_TIER,
} from "./golden_support.ts";

const files = new Map<EnvId, GoldenFile>();
async function golden(id: EnvId): Promise<GoldenFile> {
  let file = files.get(id);
  if (file === undefined) {
    file = await loadGolden(id);
    files.set(id, file);
  }
  return file;
}

function firstFew(lines: string[], n = 5): string {
  return `${lines.length} mismatches; first ${Math.min(n, lines.length)}:\n  ` +
    lines.slice(0, n).join("\n  ");
}

Deno.test("float32Ulps counts float32 steps", () => {
  assertEquals(float32Ulps(1, 1), 0);
  const next = new Float32Array(new Int32Array([0x3f800001]).buffer)[0]!;
  assertEquals(float32Ulps(1, next), 1);
  assertEquals(float32Ulps(-1, -next), 1);
});

for (const id of ENV_IDS) {
  Deno.test(`${id}: every public golden step matches Gymnasium at the default tier`, async () => {
    const report = replayPerStep(await golden(id), [DEFAULT_TIER]);
    const expectedSteps = (await golden(id)).episodes.reduce((n, e) => n + e.steps.length, 0);
    assertEquals(report.steps, expectedSteps);
    assert(report.mismatches.default!.length === 0, firstFew(report.mismatches.default!));
  });

  Deno.test(`${id}: every public golden step matches Gymnasium at the strict tier`, async () => {
    const report = replayPerStep(await golden(id), [STRICT_TIER]);
    assert(report.mismatches.strict!.length === 0, firstFew(report.mismatches.strict!));
  });

  Deno.test(`${id}: open-loop replay stays within 1e-4 for open_loop_steps`, async () => {
    const file = await golden(id);
    const report = replayOpenLoop(file);
    assertEquals(report.steps, file.episodes.reduce((n, e) => n + e.open_loop_steps, 0));
    assert(report.mismatches.length === 0, firstFew(report.mismatches));
  });
}

Deno.test("golden files include the both-flags-true episodes the README promises", async () => {
  for (const id of ["CartPole-v1", "MountainCar-v0"] as const) {
    const file = await golden(id);
    const both = file.episodes.filter((e) => {
      const last = e.steps[e.steps.length - 1]!;
      return last.terminated && last.truncated;
    });
    assertEquals(both.length, 1, `${id} should have one episode ending with both flags`);
  }
});
