/**
 * Figures about learning: return vs real environment steps, steps to solve, wall clock.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import { type FigureLayout, figureLayout, logOrLinear } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows, groupBy, mean, median, quantile } from "./stats.ts";

/** One evaluation of one seed of one method. */
export interface LearningCurveRow {
  method: string;
  seed: number;
  /** Real environment steps so far (evaluation excluded). */
  envSteps: number;
  /** Mean evaluation return at that point. */
  return: number;
}

/** Options of {@linkcode learningCurve}. */
export interface LearningCurveOptions extends FigureLayout {
  /** Logarithmic x axis. @default {false} */
  logX?: boolean;
  /** The band across seeds: min-max or the interquartile range. @default {"minmax"} */
  band?: "minmax" | "iqr";
  /** A horizontal "solved" rule; `null` for none. @default {475} */
  threshold?: number | null;
  /** Rounds `envSteps` to a multiple of this before grouping seeds (for misaligned evals). @default {1} */
  stepBin?: number;
  /** Also draw each seed as a thin line. @default {false} */
  showSeeds?: boolean;
  /** y-axis label. @default {"evaluation return"} */
  yLabel?: string;
}

/** The per-(method, steps) summary drawn by {@linkcode learningCurve}. */
export interface LearningCurveSummaryRow {
  method: string;
  envSteps: number;
  median: number;
  lo: number;
  hi: number;
  seeds: number;
}

/**
 * Median across seeds at each (method, binned `envSteps`) with a min-max or IQR band.
 *
 * @example
 * ```ts
 * learningCurveSummary([{ method: "cem", seed: 0, envSteps: 100, return: 20 }]);
 * ```
 */
export function learningCurveSummary(
  rows: readonly LearningCurveRow[],
  options: Pick<LearningCurveOptions, "band" | "stepBin"> = {},
): LearningCurveSummaryRow[] {
  const { band = "minmax", stepBin = 1 } = options;
  if (!(stepBin > 0)) throw new RangeError(`Expected stepBin to be positive but found ${stepBin}`);
  const bin = (steps: number) => Math.round(steps / stepBin) * stepBin;
  const out: LearningCurveSummaryRow[] = [];
  for (const group of groupBy(rows, (r) => `${r.method}\u0000${bin(r.envSteps)}`).values()) {
    const values = group.map((r) => r.return);
    out.push({
      method: group[0]!.method,
      envSteps: bin(group[0]!.envSteps),
      median: median(values),
      lo: band === "iqr" ? quantile(values, 0.25) : Math.min(...values),
      hi: band === "iqr" ? quantile(values, 0.75) : Math.max(...values),
      seeds: new Set(group.map((r) => r.seed)).size,
    });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method) || a.envSteps - b.envSteps);
}

/**
 * Evaluation return vs real environment steps per method: the median across seeds as a line,
 * a band (min-max by default, or IQR), and the solved threshold as a dashed rule.
 *
 * @example
 * ```ts
 * const rows = [0, 1].flatMap((seed) =>
 *   [100, 200, 300].map((envSteps) => ({ method: "mbrl", seed, envSteps, return: envSteps + seed }))
 * );
 * learningCurve(rows, { logX: true, band: "iqr", threshold: 475 });
 * ```
 */
export function learningCurve(
  rows: readonly LearningCurveRow[],
  options: LearningCurveOptions = {},
): Figure {
  assertRows(rows, "learningCurve");
  const { logX = false, band = "minmax", threshold = 475, showSeeds = false } = options;
  const summary = learningCurveSummary(rows, options);
  const methods = summary.map((r) => r.method);
  const bandName = band === "iqr" ? "interquartile range" : "min-max";
  const element = plotElement({
    ...figureLayout(options, { height: 360 }),
    subtitle: `median across seeds, band: ${bandName}`,
    grid: true,
    x: { type: logX ? "log" : "linear", label: "real environment steps" },
    y: { label: options.yLabel ?? "evaluation return" },
    color: methodColorScale(methods),
    marks: [
      Plot.areaY(summary, {
        x: "envSteps",
        y1: "lo",
        y2: "hi",
        fill: "method",
        fillOpacity: 0.18,
        z: "method",
      }),
      showSeeds
        ? Plot.line(rows, {
          x: "envSteps",
          y: "return",
          stroke: "method",
          z: (r: LearningCurveRow) => `${r.method}/${r.seed}`,
          strokeOpacity: 0.3,
          strokeWidth: 0.8,
        })
        : null,
      Plot.line(summary, { x: "envSteps", y: "median", stroke: "method", strokeWidth: 2 }),
      Plot.dot(summary, { x: "envSteps", y: "median", fill: "method", r: 2 }),
      threshold === null ? null : Plot.ruleY([threshold], { strokeDasharray: "4,3" }),
    ],
  });
  return new Figure(element, {
    description: `Learning curve: ${new Set(methods).size} method(s), ${rows.length} evaluations`,
  });
}

/** When one seed of one method was solved (`stepsToSolve: null` if never). */
export interface StepsToSolveRow {
  method: string;
  seed: number;
  stepsToSolve: number | null;
}

/** Options of {@linkcode stepsToSolveFigure}. */
export interface StepsToSolveOptions extends FigureLayout {
  /** Logarithmic x axis. @default {false} */
  logX?: boolean;
}

/**
 * Real environment steps until solved: one dot per seed and a tick at the median per method;
 * the y label counts unsolved seeds.
 *
 * @example
 * ```ts
 * stepsToSolveFigure([{ method: "mbrl", seed: 0, stepsToSolve: 300 }]);
 * ```
 */
export function stepsToSolveFigure(
  rows: readonly StepsToSolveRow[],
  options: StepsToSolveOptions = {},
): Figure {
  assertRows(rows, "stepsToSolveFigure");
  const labelled = rows.map((r) => {
    const all = rows.filter((o) => o.method === r.method);
    const unsolved = all.filter((o) => o.stepsToSolve === null).length;
    return { ...r, label: `${r.method} (${all.length - unsolved}/${all.length} solved)` };
  });
  const solved = labelled.filter((r) => r.stepsToSolve !== null);
  const medians = [...groupBy(solved, (r) => r.label).values()].map((g) => ({
    label: g[0]!.label,
    method: g[0]!.method,
    median: median(g.map((r) => r.stepsToSolve as number)),
  }));
  const element = plotElement({
    ...figureLayout(options, {
      height: Math.max(120, 40 + 36 * new Set(rows.map((r) => r.method)).size),
    }),
    marginLeft: Math.max(60, 10 + 6 * Math.max(...labelled.map((r) => r.label.length))),
    grid: true,
    x: { type: options.logX ? "log" : "linear", label: "real environment steps to solve" },
    y: { label: null, domain: [...new Set(labelled.map((r) => r.label))] },
    color: methodColorScale(rows.map((r) => r.method), false),
    marks: [
      Plot.dot(solved, { x: "stepsToSolve", y: "label", fill: "method", r: 4, fillOpacity: 0.7 }),
      Plot.tickX(medians, { x: "median", y: "label", stroke: "method", strokeWidth: 3 }),
      Plot.text(medians, {
        x: "median",
        y: "label",
        text: (d: { median: number }) => `median ${Math.round(d.median)}`,
        dy: -12,
        fontSize: 9,
      }),
    ],
  });
  return new Figure(element, {
    description: `Steps to solve: ${solved.length} of ${rows.length} seeds solved`,
  });
}

/** Wall-clock time of one seed of one method at a number of real steps. */
export interface WallClockRow {
  method: string;
  seed: number;
  envSteps: number;
  wallSeconds: number;
}

/** Options of {@linkcode wallClockVsSamples}. */
export interface WallClockOptions extends FigureLayout {
  /** Logarithmic axes. @default {false} */
  log?: boolean;
}

/**
 * Wall-clock seconds vs real environment steps, one line per seed, coloured by method.
 *
 * @example
 * ```ts
 * wallClockVsSamples([{ method: "dqn", seed: 0, envSteps: 1000, wallSeconds: 4 }]);
 * ```
 */
export function wallClockVsSamples(
  rows: readonly WallClockRow[],
  options: WallClockOptions = {},
): Figure {
  assertRows(rows, "wallClockVsSamples");
  const type = options.log ? "log" : "linear";
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    grid: true,
    x: { type, label: "real environment steps" },
    y: { type, label: "wall clock (s)" },
    color: methodColorScale(rows.map((r) => r.method)),
    marks: [
      Plot.line(rows, {
        x: "envSteps",
        y: "wallSeconds",
        stroke: "method",
        z: (r: WallClockRow) => `${r.method}/${r.seed}`,
      }),
      Plot.dot(rows, { x: "envSteps", y: "wallSeconds", fill: "method", r: 1.5 }),
    ],
  });
  return new Figure(element, { description: `Wall clock vs samples: ${rows.length} points` });
}

/** The return of one episode of one policy (or method). */
export interface ReturnRow {
  policy: string;
  return: number;
}

/** Options of {@linkcode returnHistogram}. */
export interface ReturnHistogramOptions extends FigureLayout {
  /** Approximate number of bins. @default {30} */
  bins?: number;
  /** A vertical "solved" rule; `null` for none. @default {null} */
  threshold?: number | null;
}

/**
 * Histogram of episode returns, one panel row per policy (same x scale), with the mean marked.
 *
 * @example
 * ```ts
 * returnHistogram([{ policy: "random", return: 22 }]);
 * ```
 */
export function returnHistogram(
  rows: readonly ReturnRow[],
  options: ReturnHistogramOptions = {},
): Figure {
  assertRows(rows, "returnHistogram");
  const policies = [...new Set(rows.map((r) => r.policy))];
  const means = [...groupBy(rows, (r) => r.policy).values()].map((g) => ({
    policy: g[0]!.policy,
    mean: mean(g.map((r) => r.return)),
  }));
  const element = plotElement({
    ...figureLayout(options, { height: 50 + 110 * policies.length }),
    marginRight: 110,
    x: { label: "episode return" },
    y: { label: "episodes", grid: true },
    fy: { label: null, domain: policies },
    color: methodColorScale(policies, false),
    marks: [
      Plot.rectY(
        rows,
        Plot.binX<Plot.RectYOptions>({ y: "count" }, {
          x: "return",
          fy: "policy",
          fill: "policy",
          thresholds: options.bins ?? 30,
        }),
      ),
      Plot.ruleX(means, { x: "mean", fy: "policy", stroke: "black", strokeDasharray: "3,2" }),
      Plot.text(means, {
        x: "mean",
        fy: "policy",
        frameAnchor: "top",
        text: (d: { mean: number }) => `mean ${d.mean.toFixed(1)}`,
        textAnchor: "start",
        dx: 4,
        dy: 4,
      }),
      options.threshold == null ? null : Plot.ruleX([options.threshold], { stroke: "#d33" }),
      Plot.ruleY([0]),
    ],
  });
  return new Figure(element, {
    description: `Return histogram: ${rows.length} episodes of ${policies.join(", ")}`,
  });
}

/**
 * Steps to solve of one seed of one method on one env; a censored seed (not solved within its
 * budget) carries its budget as `steps`.
 */
export interface StepsByEnvRow {
  envId: string;
  method: string;
  seed: number;
  /** Steps to solve, or the budget when `censored`. */
  steps: number;
  /** True when the seed did not solve within its budget (`steps` is the budget). */
  censored: boolean;
}

/** Options of {@linkcode stepsToSolveByEnv}. */
export interface StepsByEnvOptions extends FigureLayout {
  /** Logarithmic x axis (steps span 100 to 1,000,000 across envs). @default {true} */
  logX?: boolean;
}

/**
 * Real steps to solve per env (one panel row each) and method: a filled dot per solved seed, an
 * open triangle at the budget per censored seed (it did not solve within it), and a tick at the
 * median with censored seeds counted as their budgets (a `>=` label when the median itself is
 * censored).
 *
 * @example
 * ```ts
 * stepsToSolveByEnv([
 *   { envId: "CartPole-v1", method: "mbrl", seed: 0, steps: 300, censored: false },
 *   { envId: "CartPole-v1", method: "dqn", seed: 0, steps: 50000, censored: true },
 * ]);
 * ```
 * @throws {TypeError} on empty rows.
 */
export function stepsToSolveByEnv(
  rows: readonly StepsByEnvRow[],
  options: StepsByEnvOptions = {},
): Figure {
  assertRows(rows, "stepsToSolveByEnv");
  const envs = [...new Set(rows.map((r) => r.envId))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const medians = [...groupBy(rows, (r) => `${r.envId}\u0000${r.method}`).values()].map((g) => {
    const sorted = g.map((r) => r.steps).sort((a, b) => a - b);
    const value = median(sorted);
    const solved = g.filter((r) => !r.censored).length;
    const censored = solved <= Math.floor(g.length / 2) && solved < g.length;
    return {
      envId: g[0]!.envId,
      method: g[0]!.method,
      median: value,
      label: `${censored ? ">=" : ""}${Math.round(value).toLocaleString("en-US")} ` +
        `(${solved}/${g.length})`,
    };
  });
  const solvedRows = rows.filter((r) => !r.censored);
  const censoredRows = rows.filter((r) => r.censored);
  const element = plotElement({
    ...figureLayout(options, { height: 40 + envs.length * (24 + 22 * methods.length) }),
    marginLeft: 60,
    marginRight: 150,
    grid: true,
    x: logOrLinear("real environment steps to solve", options.logX ?? true),
    y: { label: null, domain: methods },
    fy: { label: null, domain: envs },
    color: methodColorScale(methods),
    marks: [
      Plot.frame({ strokeOpacity: 0.2 }),
      Plot.dot(solvedRows, {
        x: "steps",
        y: "method",
        fy: "envId",
        fill: "method",
        r: 3.5,
        fillOpacity: 0.7,
      }),
      Plot.dot(censoredRows, {
        x: "steps",
        y: "method",
        fy: "envId",
        stroke: "method",
        symbol: "triangle",
        r: 4,
      }),
      Plot.tickX(medians, {
        x: "median",
        y: "method",
        fy: "envId",
        stroke: "method",
        strokeWidth: 3,
      }),
      Plot.text(medians, {
        x: "median",
        y: "method",
        fy: "envId",
        text: "label",
        textAnchor: "start",
        dx: 8,
        fontSize: 9,
      }),
    ],
  });
  return new Figure(element, {
    description: `Steps to solve by env: ${envs.length} env(s), ${methods.length} method(s), ` +
      `${censoredRows.length} of ${rows.length} seeds censored`,
  });
}
