import { assertEquals, assertLess, assertRejects } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../../lib/backend.ts";
import { ProbabilisticDynamicsModel } from "../../lib/models/mod.ts";
import { Rng } from "../../lib/rng.ts";

Deno.test("setupBackend: wasm with SIMD on one thread by default, idempotent", async () => {
  const info = await setupBackend();
  assertEquals(info, { backend: "wasm", simd: true, threads: 1 });
  assertEquals(await setupBackend(), info);
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("setupBackend: a model predicts the same on cpu as on wasm", async () => {
  await setupBackend({ backend: "wasm" });
  const model = new ProbabilisticDynamicsModel({
    stateDim: 2,
    actionDim: 1,
    hiddenSizes: [8],
    rng: new Rng(0),
  });
  const states = new Float32Array([0.1, -0.2, 0.3, 0.4]);
  const actions = new Float32Array([1, -1]);
  const onWasm = model.predict(states, actions);
  try {
    assertEquals((await setupBackend({ backend: "cpu" })).backend, "cpu");
    const onCpu = model.predict(states, actions);
    for (let i = 0; i < 4; i++) {
      assertLess(Math.abs(onCpu.mean[i]! - onWasm.mean[i]!), 1e-5);
      assertLess(Math.abs(onCpu.std![i]! - onWasm.std![i]!), 1e-5);
    }
  } finally {
    await setupBackend({ backend: "wasm" });
    model.dispose();
  }
});

Deno.test("setupBackend: MBRL_BACKEND chooses the backend and unknown names are rejected", async () => {
  const previous = Deno.env.get("MBRL_BACKEND");
  try {
    Deno.env.set("MBRL_BACKEND", "cpu");
    assertEquals((await setupBackend()).backend, "cpu");
    // An explicit option wins over the variable.
    assertEquals((await setupBackend({ backend: "wasm" })).backend, "wasm");
    Deno.env.set("MBRL_BACKEND", "webgpu");
    await assertRejects(() => setupBackend(), TypeError, "MBRL_BACKEND");
    await assertRejects(
      () => setupBackend({ backend: "gpu" as "cpu" }),
      TypeError,
      "Expected backend",
    );
  } finally {
    if (previous === undefined) Deno.env.delete("MBRL_BACKEND");
    else Deno.env.set("MBRL_BACKEND", previous);
    await setupBackend({ backend: "wasm" });
  }
});
