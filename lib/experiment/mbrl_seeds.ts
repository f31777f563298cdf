/**
 * The seed table of `deno task train:seeds` (`lib/cli/train_seeds.ts`): one row per seed's
 * `deno task train` summary (stepsToSolve, finalEvalMean, wallSeconds, evaluation time, planning
 * time), then the solved count and median.
 *
 * @module
 */

/** One seed's summary, as `deno task train` printed it. */
export interface SeedResult {
  seed: number;
  stepsToSolve: number | null;
  finalEvalMean: number | null;
  wallSeconds: number;
  envSteps: number;
  planMsMean: number | null;
  evalPlanMsMean: number | null;
  evalSeconds: number;
}

/** The markdown table of `results`, with the median stepsToSolve (unsolved counted as never). */
export function seedTable(results: readonly SeedResult[]): string {
  const lines = [
    "| seed | stepsToSolve | finalEvalMean | wallSeconds | of which eval s | plan ms/step (train / eval) |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.seed} | ${r.stepsToSolve ?? "not solved"} | ${r.finalEvalMean?.toFixed(1) ?? "-"} | ` +
        `${r.wallSeconds.toFixed(1)} | ${r.evalSeconds.toFixed(1)} | ` +
        `${r.planMsMean?.toFixed(1) ?? "-"} / ${r.evalPlanMsMean?.toFixed(1) ?? "-"} |`,
    );
  }
  const solved = results.filter((r) => r.stepsToSolve !== null).length;
  const steps = results.map((r) => r.stepsToSolve ?? Infinity).sort((a, b) => a - b);
  const median = steps.length % 2 === 1
    ? steps[(steps.length - 1) / 2]!
    : (steps[steps.length / 2 - 1]! + steps[steps.length / 2]!) / 2;
  lines.push(
    "",
    `solved ${solved}/${results.length}; median stepsToSolve ${
      Number.isFinite(median) ? median : "not solved"
    }`,
  );
  return lines.join("\n");
}
