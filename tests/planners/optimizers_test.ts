import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../lib/rng.ts";
import {
  CemOptimizer,
  MppiOptimizer,
  RandomShootingOptimizer,
} from "../../lib/planners/optimizers.ts";
import type { SequenceObjective } from "../../lib/planners/types.ts";

/** -sum (x - target)^2 over each sequence: the optimum is `target`. */
function quadratic(target: readonly number[]): SequenceObjective {
  const width = target.length;
  return (seqs, n) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < width; j++) s -= (seqs[i * width + j]! - target[j]!) ** 2;
      out[i] = s;
    }
    return out;
  };
}

// horizon 3 x actionDim 2, an optimum inside the bounds [-1, 1].
const TARGET = [0.3, -0.5, 0.7, 0.1, -0.2, 0.45];

function assertNear(actual: Float32Array, expected: readonly number[], tol: number): void {
  assertEquals(actual.length, expected.length);
  for (let j = 0; j < expected.length; j++) assertAlmostEquals(actual[j]!, expected[j]!, tol);
}

Deno.test("random shooting finds a quadratic optimum to sampling tolerance", () => {
  const opt = new RandomShootingOptimizer({
    horizon: 1,
    actionDim: 2,
    numSamples: 4000,
    rng: new Rng(0),
  });
  const result = opt.optimize(quadratic([0.3, -0.5]));
  assertNear(result.sequence, [0.3, -0.5], 0.05);
  assertEquals(result.evaluations, 4000);
});

Deno.test("CEM finds a quadratic optimum, and warm start keeps it", () => {
  const opt = new CemOptimizer({
    horizon: 3,
    actionDim: 2,
    numSamples: 300,
    numElite: 30,
    numIterations: 8,
    rng: new Rng(1),
  });
  const first = opt.optimize(quadratic(TARGET));
  assertNear(first.sequence, TARGET, 0.03);
  assertNear(first.distribution, TARGET, 0.03);
  assertEquals(first.evaluations, 300 * 8);
  // Shifting moves step t+1 to step t and refills the last step with the midpoint.
  const shifted = opt.shift(first.distribution);
  assertNear(shifted.subarray(0, 4), Array.from(first.distribution.subarray(2)), 1e-7);
  assertNear(shifted.subarray(4), [0, 0], 1e-7);
});

Deno.test("MPPI finds a quadratic optimum over a few warm-started calls", () => {
  const opt = new MppiOptimizer({
    horizon: 3,
    actionDim: 2,
    numSamples: 500,
    temperature: 0.01,
    noiseSigma: 0.1,
    numIterations: 5,
    rng: new Rng(2),
  });
  const f = quadratic(TARGET);
  let result = opt.optimize(f);
  for (let k = 0; k < 8; k++) result = opt.optimize(f, { warmStart: result.distribution });
  assertNear(result.sequence, TARGET, 0.03);
});

Deno.test("an optimum on the boundary is reached and never exceeded", () => {
  const f = quadratic([2, -3]); // outside [-1, 1]: the best feasible point is (1, -1)
  for (
    const opt of [
      new CemOptimizer({
        horizon: 1,
        actionDim: 2,
        numSamples: 200,
        numElite: 20,
        rng: new Rng(3),
      }),
      new MppiOptimizer({
        horizon: 1,
        actionDim: 2,
        numSamples: 200,
        temperature: 0.01,
        numIterations: 5,
        rng: new Rng(3),
      }),
    ]
  ) {
    const { sequence } = opt.optimize(f);
    for (const v of sequence) assert(v >= -1 && v <= 1);
    assertNear(sequence, [1, -1], 0.1);
  }
});

/** Score = number of steps whose action equals the pattern's. */
function matchCount(pattern: readonly number[]): SequenceObjective {
  return (seqs, n) => {
    const h = pattern.length;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < h; t++) if (seqs[i * h + t] === pattern[t]) out[i]! += 1;
    }
    return out;
  };
}

Deno.test("categorical search samples only valid indices and finds the best pattern", () => {
  const pattern = [0, 2, 1, 1, 2, 0];
  const f = matchCount(pattern);
  const rs = new RandomShootingOptimizer({
    horizon: 6,
    categories: 3,
    numSamples: 3000,
    rng: new Rng(4),
  });
  const cem = new CemOptimizer({
    horizon: 6,
    categories: 3,
    numSamples: 200,
    numElite: 20,
    rng: new Rng(4),
  });
  const mppi = new MppiOptimizer({
    horizon: 6,
    categories: 3,
    numSamples: 200,
    temperature: 0.3,
    numIterations: 5,
    rng: new Rng(4),
  });
  for (const opt of [rs, cem, mppi]) {
    const { sequence } = opt.optimize(f);
    assertEquals(Array.from(sequence), pattern);
  }
  // CEM's probabilities keep the floor: no action is ever ruled out.
  const { distribution } = cem.optimize(f);
  for (const p of distribution) assert(p >= 0.2 / 3 - 1e-6);
});

Deno.test("optimisers reject bad settings with RangeErrors naming the setting", () => {
  const rng = new Rng(0);
  assertThrows(() => new RandomShootingOptimizer({ horizon: 0, rng }), RangeError, "horizon");
  assertThrows(
    () => new RandomShootingOptimizer({ numSamples: -5, rng }),
    RangeError,
    "numSamples",
  );
  assertThrows(
    () => new CemOptimizer({ numSamples: 50, numElite: 60, rng }),
    RangeError,
    "Expected numElite to be at most numSamples (50) but found 60",
  );
  assertThrows(() => new CemOptimizer({ numIterations: 0, rng }), RangeError, "numIterations");
  assertThrows(() => new CemOptimizer({ alpha: 1, rng }), RangeError, "alpha");
  assertThrows(() => new MppiOptimizer({ temperature: 0, rng }), RangeError, "temperature");
  assertThrows(() => new MppiOptimizer({ noiseSigma: -1, rng }), RangeError, "noiseSigma");
  assertThrows(
    () => new RandomShootingOptimizer({ actionBounds: [1, -1], rng }),
    RangeError,
    "low < high",
  );
  assertThrows(() => new RandomShootingOptimizer({ categories: 1, rng }), RangeError, "categories");
});
