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

/** A score per whole sequence of `horizon` categorical steps, looked up in `table`. */
function tableObjective(table: Float64Array, horizon: number, k: number): SequenceObjective {
  return (seqs, n) =>
    Float32Array.from({ length: n }, (_, i) => {
      let key = 0;
      for (let t = 0; t < horizon; t++) key = key * k + seqs[i * horizon + t]!;
      return table[key]!;
    });
}

Deno.test("firstActionMean picks the first action a brute-force mean over all sequences picks", () => {
  // Horizon 2, two actions: [0, 0] scores 10 but [0, 1] scores 0 (mean 5), while both
  // sequences beginning with 1 score 6 (mean 6). The best single sequence starts with 0;
  // the mean over a uniformly random continuation prefers 1.
  const table = Float64Array.of(10, 0, 6, 6);
  const f = tableObjective(table, 2, 2);
  const best = new RandomShootingOptimizer({
    horizon: 2,
    categories: 2,
    numSamples: 400,
    rng: new Rng(0),
  });
  const mean = new RandomShootingOptimizer({
    horizon: 2,
    categories: 2,
    numSamples: 400,
    selection: "firstActionMean",
    rng: new Rng(0),
  });
  assertEquals(best.optimize(f).sequence[0], 0);
  const chosen = mean.optimize(f);
  assertEquals(chosen.sequence[0], 1);
  assertEquals(chosen.score, 6); // every sequence starting with 1 scores 6
  assertEquals(mean.settings, { selection: "firstActionMean" });
  assertEquals(best.settings, { selection: "best" });

  // Random tables over 3 actions x 3 steps: the chosen first action is the brute-force argmax
  // of the exact means (27 sequences enumerated), whenever the top two are well apart.
  const rng = new Rng(7);
  let checked = 0;
  for (let trial = 0; trial < 40; trial++) {
    const k = 3;
    const h = 3;
    const scores = Float64Array.from({ length: k ** h }, () => rng.normal());
    const exact = Array.from({ length: k }, (_, c) => {
      let s = 0;
      for (let rest = 0; rest < k ** (h - 1); rest++) s += scores[c * k ** (h - 1) + rest]!;
      return s / k ** (h - 1);
    });
    const sorted = [...exact].sort((a, b) => b - a);
    if (sorted[0]! - sorted[1]! < 0.3) continue;
    const opt = new RandomShootingOptimizer({
      horizon: h,
      categories: k,
      numSamples: 3000,
      selection: "firstActionMean",
      rng: rng.stream(`trial ${trial}`),
    });
    const result = opt.optimize(tableObjective(scores, h, k));
    assertEquals(result.sequence[0], exact.indexOf(sorted[0]!), `trial ${trial}`);
    checked++;
  }
  assert(checked >= 10, `only ${checked} trials had a clear best first action`);
});

Deno.test("firstActionMean: the sampled group means, best member of the group, NaN left out", () => {
  let seen: { seqs: Float32Array; scores: Float32Array } | undefined;
  const rng = new Rng(3);
  const f: SequenceObjective = (seqs, n) => {
    const scores = Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? NaN : rng.normal()));
    seen = { seqs: seqs.slice(), scores };
    return scores;
  };
  const opt = new RandomShootingOptimizer({
    horizon: 4,
    categories: 3,
    numSamples: 200,
    selection: "firstActionMean",
    rng: new Rng(1),
  });
  const result = opt.optimize(f);
  const { seqs, scores } = seen!;
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  for (let i = 0; i < 200; i++) {
    if (Number.isNaN(scores[i]!)) continue;
    sums[seqs[i * 4]!]! += scores[i]!;
    counts[seqs[i * 4]!]! += 1;
  }
  const means = sums.map((s, c) => s / counts[c]!);
  const c = means.indexOf(Math.max(...means));
  assertEquals(result.sequence[0], c);
  assertAlmostEquals(result.score, means[c]!, 1e-9);
  let bestInGroup = -Infinity;
  for (let i = 0; i < 200; i++) {
    if (seqs[i * 4] === c && scores[i]! > bestInGroup) bestInGroup = scores[i]!;
  }
  const row = Array.from({ length: 200 }, (_, i) => i).find((i) =>
    seqs[i * 4] === c && scores[i] === bestInGroup
  )!;
  assertEquals(Array.from(result.sequence), Array.from(seqs.subarray(row * 4, row * 4 + 4)));
});

Deno.test("firstActionMean is refused in continuous search and unknown rules are refused", () => {
  const rng = new Rng(0);
  assertThrows(
    () => new RandomShootingOptimizer({ selection: "firstActionMean", rng }),
    RangeError,
    "categorical",
  );
  assertThrows(
    () =>
      new RandomShootingOptimizer({
        categories: 2,
        selection: "median" as unknown as "best",
        rng,
      }),
    RangeError,
    "selection",
  );
});
