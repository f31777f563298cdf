/**
 * Figures about dynamics models: training curves, predicted vs actual, error distributions,
 * rollout error vs horizon, calibration.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import { type FigureLayout, figureLayout, logOrLinear } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows, groupBy } from "./stats.ts";

/** One epoch of one model's training; either loss may be left out. */
export interface TrainingCurveRow {
  model: string;
  epoch: number;
  trainLoss?: number;
  valLoss?: number;
}

/** Options of {@linkcode trainingCurves}. */
export interface TrainingCurvesOptions extends FigureLayout {
  /** Logarithmic loss axis. @default {true} */
  logY?: boolean;
  /** Loss axis label. @default {"loss"} */
  yLabel?: string;
}

/**
 * Train (solid) and validation (dashed) loss per epoch, coloured by model type. Losses of
 * different kinds (MSE vs Gaussian NLL) are not comparable in value: compare their shapes, or
 * pass rows with a common metric.
 *
 * @example
 * ```ts
 * trainingCurves([{ model: "deterministic", epoch: 1, trainLoss: 0.5, valLoss: 0.6 }]);
 * ```
 */
export function trainingCurves(
  rows: readonly TrainingCurveRow[],
  options: TrainingCurvesOptions = {},
): Figure {
  assertRows(rows, "trainingCurves");
  const { logY = true } = options;
  const positive = (v: number | undefined) =>
    v !== undefined && (logY ? v > 0 : Number.isFinite(v));
  const train = rows.filter((r) => positive(r.trainLoss));
  const val = rows.filter((r) => positive(r.valLoss));
  const parts = [
    train.length > 0 ? "solid: training" : "",
    val.length > 0 ? "dashed: validation" : "",
  ];
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    subtitle: parts.filter((p) => p !== "").join(", "),
    grid: true,
    x: { label: "epoch" },
    y: logOrLinear(options.yLabel ?? "loss", logY),
    color: methodColorScale(rows.map((r) => r.model)),
    marks: [
      Plot.line(train, { x: "epoch", y: "trainLoss", stroke: "model" }),
      Plot.line(val, { x: "epoch", y: "valLoss", stroke: "model", strokeDasharray: "5,3" }),
    ],
  });
  if (train.length + val.length === 0) {
    throw new TypeError("Expected trainingCurves rows with a finite trainLoss or valLoss");
  }
  return new Figure(element, { description: `Training curves: ${rows.length} epochs` });
}

/** One prediction of one state dimension. */
export interface PredictionRow {
  /** State dimension name, e.g. "theta". */
  dim: string;
  actual: number;
  predicted: number;
  /** Model name; colours the dots. @default {"model"} */
  model?: string;
}

/** Options of multi-panel figures. */
export interface PanelOptions extends FigureLayout {
  /** Panels per row. @default {2} */
  columns?: number;
}

/**
 * Predicted vs actual next state, one panel per state dimension (each with its own scale), with
 * the identity line.
 *
 * @example
 * ```ts
 * predictedVsActual([{ dim: "x", actual: 0.1, predicted: 0.12 }]);
 * ```
 */
export function predictedVsActual(
  rows: readonly PredictionRow[],
  options: PanelOptions = {},
): Figure {
  assertRows(rows, "predictedVsActual");
  const width = options.width ?? 300;
  const models = rows.map((r) => r.model ?? "model");
  const several = new Set(models).size > 1;
  const panels = [...groupBy(rows, (r) => r.dim)].map(([dim, group], panel) => {
    const values = group.flatMap((r) => [r.actual, r.predicted]).filter(Number.isFinite);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return plotElement({
      width,
      height: options.height ?? width,
      grid: true,
      x: { label: `actual ${dim}`, domain: [lo, hi] },
      y: { label: `predicted ${dim}`, domain: [lo, hi] },
      color: methodColorScale(models, several && panel === 0),
      marks: [
        Plot.line([[lo, lo], [hi, hi]], { stroke: "#999", strokeDasharray: "4,3" }),
        Plot.dot(group, {
          x: "actual",
          y: "predicted",
          fill: (r: PredictionRow) => r.model ?? "model",
          r: 1.5,
          fillOpacity: 0.5,
        }),
      ],
    });
  });
  return new Figure(panels, {
    columns: options.columns ?? 2,
    title: options.title,
    description: `Predicted vs actual: ${rows.length} predictions over ${panels.length} dims`,
  });
}

/** One prediction error (predicted - actual) of one state dimension. */
export interface ErrorRow {
  dim: string;
  error: number;
  model?: string;
}

/** Options of {@linkcode errorHistogram}. */
export interface ErrorHistogramOptions extends PanelOptions {
  /** Approximate number of bins. @default {40} */
  bins?: number;
}

/**
 * Histogram of prediction errors per state dimension (one panel each): bars for one model,
 * overlaid frequency polygons (binned counts joined by lines) for several.
 *
 * @example
 * ```ts
 * errorHistogram([{ dim: "x", error: 0.01, model: "ensemble" }]);
 * ```
 */
export function errorHistogram(
  rows: readonly ErrorRow[],
  options: ErrorHistogramOptions = {},
): Figure {
  assertRows(rows, "errorHistogram");
  const width = options.width ?? 300;
  const models = rows.map((r) => r.model ?? "model");
  const several = new Set(models).size > 1;
  const panels = [...groupBy(rows, (r) => r.dim)].map(([dim, group], panel) => {
    const data = group.map((r) => ({ error: r.error, model: r.model ?? "model" }));
    const bin = { x: "error", thresholds: options.bins ?? 40 } as const;
    return plotElement({
      width,
      height: options.height ?? 200,
      grid: true,
      x: { label: `error in ${dim}` },
      y: { label: "count" },
      color: methodColorScale(models, several && panel === 0),
      marks: [
        // One model: bars; several: frequency polygons, so overlapping models stay visible.
        several
          ? Plot.lineY(
            data,
            Plot.binX<Plot.LineYOptions>({ y: "count" }, { ...bin, stroke: "model" }),
          )
          : Plot.rectY(
            data,
            Plot.binX<Plot.RectYOptions>({ y: "count" }, { ...bin, fill: "model" }),
          ),
        Plot.ruleX([0], { stroke: "#555" }),
        Plot.ruleY([0]),
      ],
    });
  });
  return new Figure(panels, {
    columns: options.columns ?? 2,
    title: options.title,
    description: `Error histogram: ${rows.length} errors over ${panels.length} dims`,
  });
}

/** The error of a k-step open-loop rollout of one model. */
export interface RolloutErrorRow {
  model: string;
  /** Steps rolled out. */
  horizon: number;
  /** An error summary at that horizon (e.g. RMSE over starts, normalised units). */
  error: number;
  seed?: number;
}

/** Options of {@linkcode rolloutErrorVsHorizon}. */
export interface RolloutErrorOptions extends FigureLayout {
  /** Logarithmic error axis. @default {true} */
  logY?: boolean;
  /** Error axis label. @default {"rollout error"} */
  yLabel?: string;
}

/**
 * Open-loop rollout error vs horizon, one line per model (per seed when given).
 *
 * @example
 * ```ts
 * rolloutErrorVsHorizon([{ model: "ensemble", horizon: 1, error: 0.01 }]);
 * ```
 */
export function rolloutErrorVsHorizon(
  rows: readonly RolloutErrorRow[],
  options: RolloutErrorOptions = {},
): Figure {
  assertRows(rows, "rolloutErrorVsHorizon");
  const { logY = true } = options;
  const kept = rows.filter((r) => (logY ? r.error > 0 : Number.isFinite(r.error)));
  const element = plotElement({
    ...figureLayout(options, { height: 320 }),
    grid: true,
    x: { label: "rollout horizon (steps)" },
    y: logOrLinear(options.yLabel ?? "rollout error", logY),
    color: methodColorScale(rows.map((r) => r.model)),
    marks: [
      Plot.line(kept, {
        x: "horizon",
        y: "error",
        stroke: "model",
        z: (r: RolloutErrorRow) => `${r.model}/${r.seed ?? 0}`,
      }),
      Plot.dot(kept, { x: "horizon", y: "error", fill: "model", r: 2 }),
    ],
  });
  return new Figure(element, { description: `Rollout error vs horizon: ${rows.length} points` });
}

/** The observed coverage of one model's predicted interval at one nominal level. */
export interface CalibrationRow {
  model: string;
  /** Nominal coverage, e.g. 0.68 or 0.95. */
  expected: number;
  /** Fraction of actual values inside the interval. */
  observed: number;
  /** State dimension, when coverage is per dimension. */
  dim?: string;
}

/**
 * Calibration: observed coverage vs nominal coverage (e.g. 68% and 95% intervals), with the
 * diagonal of perfect calibration; below it a model is over-confident.
 *
 * @example
 * ```ts
 * calibration([{ model: "ensemble", expected: 0.95, observed: 0.9 }]);
 * ```
 */
export function calibration(
  rows: readonly CalibrationRow[],
  options: FigureLayout = {},
): Figure {
  assertRows(rows, "calibration");
  const element = plotElement({
    ...figureLayout(options, { height: 380, width: 420 }),
    subtitle: "below the diagonal: over-confident",
    grid: true,
    x: { label: "nominal coverage", domain: [0, 1] },
    y: { label: "observed coverage", domain: [0, 1] },
    color: methodColorScale(rows.map((r) => r.model)),
    symbol: rows.some((r) => r.dim !== undefined) ? { legend: true } : undefined,
    marks: [
      Plot.line([[0, 0], [1, 1]], { stroke: "#999", strokeDasharray: "4,3" }),
      Plot.line(rows, {
        x: "expected",
        y: "observed",
        stroke: "model",
        z: (r: CalibrationRow) => `${r.model}/${r.dim ?? ""}`,
        sort: "expected",
        strokeOpacity: 0.6,
      }),
      Plot.dot(rows, {
        x: "expected",
        y: "observed",
        stroke: "model",
        symbol: rows.some((r) => r.dim !== undefined) ? "dim" : undefined,
        r: 4,
      }),
    ],
  });
  return new Figure(element, { description: `Calibration: ${rows.length} points` });
}
