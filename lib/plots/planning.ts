/**
 * Figures about planners: planned return over time, planning time per step, sweeps.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import { type FigureLayout, figureLayout, logOrLinear } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows } from "./stats.ts";

/** The planner's predicted return of its chosen plan at one real step. */
export interface PlannedReturnRow {
  planner: string;
  step: number;
  plannedReturn: number;
  seed?: number;
}

/**
 * Planned (imagined) return of the chosen plan at each real step, one line per planner.
 *
 * @example
 * ```ts
 * plannedReturn([{ planner: "cem", step: 0, plannedReturn: 9.5 }]);
 * ```
 */
export function plannedReturn(
  rows: readonly PlannedReturnRow[],
  options: FigureLayout = {},
): Figure {
  assertRows(rows, "plannedReturn");
  const element = plotElement({
    ...figureLayout(options, { height: 300 }),
    grid: true,
    marginLeft: 50,
    x: { label: "real step" },
    y: { label: "planned return" },
    color: methodColorScale(rows.map((r) => r.planner)),
    marks: [
      Plot.line(rows, {
        x: "step",
        y: "plannedReturn",
        stroke: "planner",
        z: (r: PlannedReturnRow) => `${r.planner}/${r.seed ?? 0}`,
      }),
    ],
  });
  return new Figure(element, { description: `Planned return: ${rows.length} steps` });
}

/** Milliseconds one planner spent on one planning step. */
export interface PlanningTimeRow {
  planner: string;
  ms: number;
}

/**
 * Distribution of planning time per step per planner (box plot; dots are outliers).
 *
 * @example
 * ```ts
 * planningTime([{ planner: "mppi", ms: 12 }]);
 * ```
 */
export function planningTime(
  rows: readonly PlanningTimeRow[],
  options: FigureLayout & { logX?: boolean } = {},
): Figure {
  assertRows(rows, "planningTime");
  const planners = [...new Set(rows.map((r) => r.planner))];
  const element = plotElement({
    ...figureLayout(options, { height: 60 + 40 * planners.length }),
    marginLeft: Math.max(60, 10 + 6 * Math.max(...planners.map((p) => p.length))),
    grid: true,
    x: { label: "planning time per step (ms)", type: options.logX ? "log" : "linear" },
    y: { label: null, domain: planners },
    color: methodColorScale(planners, false),
    marks: [Plot.boxX(rows, { x: "ms", y: "planner", fill: "planner", fillOpacity: 0.4 })],
  });
  return new Figure(element, { description: `Planning time: ${rows.length} steps` });
}

/** The return one planner reached at one setting of a swept hyperparameter. */
export interface SweepRow {
  planner: string;
  /** The swept value (horizon, number of samples, ...). */
  value: number;
  return: number;
  seed?: number;
}

/** Options of {@linkcode returnVsSetting}. */
export interface SweepOptions extends FigureLayout {
  /** The swept hyperparameter's name, for the x label. @default {"setting"} */
  setting?: string;
  /** Logarithmic x axis (sample counts). @default {false} */
  logX?: boolean;
  /** y label. @default {"episode return"} */
  yLabel?: string;
}

/**
 * Return vs a swept hyperparameter (planning horizon, sample count): dots per seed, a line
 * through the means.
 *
 * @example
 * ```ts
 * returnVsSetting([{ planner: "cem", value: 10, return: 500 }], { setting: "horizon" });
 * ```
 */
export function returnVsSetting(rows: readonly SweepRow[], options: SweepOptions = {}): Figure {
  assertRows(rows, "returnVsSetting");
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    grid: true,
    x: { label: options.setting ?? "setting", type: options.logX ? "log" : "linear" },
    y: { label: options.yLabel ?? "episode return" },
    color: methodColorScale(rows.map((r) => r.planner)),
    marks: [
      Plot.dot(rows, { x: "value", y: "return", fill: "planner", r: 3, fillOpacity: 0.5 }),
      Plot.line(
        rows,
        Plot.groupX({ y: "mean" }, { x: "value", y: "return", stroke: "planner", sort: "value" }),
      ),
    ],
  });
  return new Figure(element, { description: `Return vs ${options.setting ?? "setting"}` });
}

/** One value of a metric for one series at one setting (data size, horizon, ...). */
export interface MetricRow {
  series: string;
  /** The setting (x). */
  value: number;
  /** The metric (y). */
  metric: number;
  seed?: number;
}

/** Options of {@linkcode metricVsSetting}. */
export interface MetricVsSettingOptions extends FigureLayout {
  /** x label. @default {"setting"} */
  setting?: string;
  /** y label. @default {"metric"} */
  yLabel?: string;
  /** Logarithmic x axis. @default {false} */
  logX?: boolean;
  /** Logarithmic y axis. @default {false} */
  logY?: boolean;
}

/**
 * Any metric vs any setting: dots per seed and a line through the means of each series.
 *
 * @example
 * ```ts
 * metricVsSetting([{ series: "deterministic", value: 1000, metric: 0.01 }], { setting: "transitions" });
 * ```
 */
export function metricVsSetting(
  rows: readonly MetricRow[],
  options: MetricVsSettingOptions = {},
): Figure {
  assertRows(rows, "metricVsSetting");
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    grid: true,
    x: { label: options.setting ?? "setting", type: options.logX ? "log" : "linear" },
    y: logOrLinear(options.yLabel ?? "metric", options.logY),
    color: methodColorScale(rows.map((r) => r.series)),
    marks: [
      Plot.dot(rows, { x: "value", y: "metric", fill: "series", r: 3, fillOpacity: 0.5 }),
      Plot.line(
        rows,
        Plot.groupX({ y: "mean" }, { x: "value", y: "metric", stroke: "series", sort: "value" }),
      ),
    ],
  });
  return new Figure(element, { description: `${options.yLabel ?? "metric"} vs setting` });
}
