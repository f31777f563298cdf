/**
 * Figures about value-guided planning and exploration: a learned value over two state
 * dimensions, the states runs visited, and state components over an episode.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import { type FigureLayout, figureLayout } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure, formatValue } from "./figure.ts";
import { assertRows, groupBy } from "./stats.ts";

/** One grid point of a value map. */
export interface ValueMapRow {
  x: number;
  y: number;
  value: number;
}

/** Options of {@linkcode valueMap}. */
export interface ValueMapOptions extends FigureLayout {
  /** x label. @default {"x"} */
  xLabel?: string;
  /** y label. @default {"y"} */
  yLabel?: string;
  /** The colour bar's label. @default {"V(s)"} */
  valueLabel?: string;
  /** Colour domain `[low, high]`. @default {the rows' range} */
  domain?: readonly [number, number];
  /** A sequential colour scheme of Plot. @default {"viridis"} */
  scheme?: Plot.ColorScheme;
  /** A path drawn over the map (e.g. an episode's states in the same two dimensions). */
  path?: readonly { x: number; y: number }[];
  /** The path's legend text. @default {"episode"} */
  pathLabel?: string;
}

/** Distinct sorted values and the grid spacing (smallest gap) of one coordinate. */
function gridOf(values: readonly number[], axis: string): { lo: number; hi: number; step: number } {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length < 2) {
    throw new TypeError(
      `Expected valueMap rows on a grid with at least 2 distinct ${axis} values but found ${sorted.length}`,
    );
  }
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i]! - sorted[i - 1]!);
  return { lo: sorted[0]!, hi: sorted[sorted.length - 1]!, step };
}

/**
 * A value `V` over two state dimensions as a heatmap: one cell per grid point of tidy rows
 * `{ x, y, value }` (e.g. from `valueGridRows`), with a colour bar below (Plot's continuous
 * legends need a canvas, so the bar is drawn as its own small plot). An optional `path` (an
 * episode's states) is drawn on top.
 *
 * @example
 * ```ts
 * valueMap(
 *   [{ x: 0, y: 0, value: 1 }, { x: 1, y: 0, value: 2 }, { x: 0, y: 1, value: 3 }, { x: 1, y: 1, value: 4 }],
 *   { xLabel: "cart position x", yLabel: "pole angle θ", title: "V(s)" },
 * );
 * ```
 * @throws {TypeError} on empty rows, a non-finite coordinate or value, or fewer than two
 *   distinct values of x or of y.
 */
export function valueMap(rows: readonly ValueMapRow[], options: ValueMapOptions = {}): Figure {
  assertRows(rows, "valueMap");
  for (const r of rows) {
    if (!(Number.isFinite(r?.x) && Number.isFinite(r?.y) && Number.isFinite(r?.value))) {
      throw new TypeError(
        `Expected valueMap rows with finite x, y and value but found ${JSON.stringify(r)}`,
      );
    }
  }
  const gx = gridOf(rows.map((r) => r.x), "x");
  const gy = gridOf(rows.map((r) => r.y), "y");
  const values = rows.map((r) => r.value);
  const lo = options.domain?.[0] ?? Math.min(...values);
  const hiRaw = options.domain?.[1] ?? Math.max(...values);
  const hi = hiRaw > lo ? hiRaw : lo + 1;
  const color: Plot.ScaleOptions = {
    type: "linear",
    scheme: options.scheme ?? "viridis",
    domain: [lo, hi],
  };
  const layout = figureLayout(options, { height: 360 });
  const map = plotElement({
    ...layout,
    caption: undefined,
    x: { label: options.xLabel ?? "x", domain: [gx.lo - gx.step / 2, gx.hi + gx.step / 2] },
    y: { label: options.yLabel ?? "y", domain: [gy.lo - gy.step / 2, gy.hi + gy.step / 2] },
    color,
    marks: [
      Plot.rect(rows, {
        x1: (r: ValueMapRow) => r.x - gx.step / 2,
        x2: (r: ValueMapRow) => r.x + gx.step / 2,
        y1: (r: ValueMapRow) => r.y - gy.step / 2,
        y2: (r: ValueMapRow) => r.y + gy.step / 2,
        fill: "value",
        inset: 0,
      }),
      options.path && options.path.length > 0
        ? Plot.line(options.path, { x: "x", y: "y", stroke: "white", strokeWidth: 1.5 })
        : null,
      options.path && options.path.length > 0
        ? Plot.dot([options.path[0]!], { x: "x", y: "y", fill: "white", r: 4 })
        : null,
      Plot.frame(),
    ],
  });
  const bins = 60;
  const bar = Array.from({ length: bins }, (_, i) => ({
    a: lo + (hi - lo) * i / bins,
    b: lo + (hi - lo) * (i + 1) / bins,
  }));
  const legend = plotElement({
    width: layout.width,
    height: 56,
    caption: options.caption,
    marginTop: 6,
    marginLeft: 40,
    marginRight: 40,
    x: {
      label: options.valueLabel ?? "V(s)",
      domain: [lo, hi],
    },
    y: { axis: null },
    color,
    marks: [
      Plot.rect(bar, {
        x1: "a",
        x2: "b",
        y1: 0,
        y2: 1,
        fill: (d: { a: number; b: number }) => (d.a + d.b) / 2,
        inset: 0,
      }),
      options.path && options.path.length > 0
        ? Plot.text([`white line: ${options.pathLabel ?? "episode"} (dot: start)`], {
          frameAnchor: "top-right",
          dy: -2,
          fontSize: 10,
        })
        : null,
    ],
  });
  return new Figure([map, legend], {
    columns: 1,
    gap: 0,
    description: `Value map: ${rows.length} grid points, ${options.valueLabel ?? "V(s)"} from ${
      formatValue(lo)
    } to ${formatValue(hi)}`,
  });
}

/** One visited state in two dimensions. */
export interface VisitedRow {
  /** The run's label; one panel (or colour) each. */
  series: string;
  x: number;
  y: number;
}

/** Options of {@linkcode visitedStates}. */
export interface VisitedStatesOptions extends FigureLayout {
  /** x label. @default {"x"} */
  xLabel?: string;
  /** y label. @default {"y"} */
  yLabel?: string;
  /** x domain. @default {the rows' range} */
  xDomain?: readonly [number, number];
  /** y domain. @default {the rows' range} */
  yDomain?: readonly [number, number];
  /** One panel per series side by side (else one panel, coloured). @default {true} */
  facet?: boolean;
  /** Vertical reference lines, e.g. `{ x: 0.5, label: "flag" }`. */
  xRules?: readonly { x: number; label: string }[];
}

/**
 * The states each run visited, as dots in two dimensions, one panel per series (same scales)
 * or overlaid; colours from the shared method scale.
 *
 * @example
 * ```ts
 * visitedStates([
 *   { series: "without bonus", x: -0.5, y: 0 },
 *   { series: "with bonus", x: -0.9, y: 0.03 },
 * ], { xLabel: "position", yLabel: "velocity", xRules: [{ x: 0.5, label: "flag" }] });
 * ```
 * @throws {TypeError} on empty rows or a row without a series or finite x, y.
 */
export function visitedStates(
  rows: readonly VisitedRow[],
  options: VisitedStatesOptions = {},
): Figure {
  assertRows(rows, "visitedStates");
  for (const r of rows) {
    if (typeof r?.series !== "string" || !Number.isFinite(r.x) || !Number.isFinite(r.y)) {
      throw new TypeError(
        `Expected visitedStates rows with a series and finite x, y but found ${JSON.stringify(r)}`,
      );
    }
  }
  const series = [...new Set(rows.map((r) => r.series))];
  const facet = options.facet ?? true;
  const panels = facet ? series.length : 1;
  const layout = figureLayout(options, { height: 320, width: facet ? 320 * panels : 640 });
  const rules = options.xRules ?? [];
  const element = plotElement({
    ...layout,
    grid: true,
    x: { label: options.xLabel ?? "x", domain: options.xDomain as [number, number] | undefined },
    y: { label: options.yLabel ?? "y", domain: options.yDomain as [number, number] | undefined },
    fx: facet ? { label: null, domain: series } : undefined,
    color: methodColorScale(series),
    marks: [
      Plot.dot(rows, {
        x: "x",
        y: "y",
        fx: facet ? "series" : undefined,
        fill: "series",
        r: 1.3,
        fillOpacity: 0.35,
      }),
      Plot.ruleX(rules, { x: "x", stroke: "#d33", strokeDasharray: "4,3" }),
      Plot.text(rules, {
        x: "x",
        text: "label",
        frameAnchor: "top",
        dx: 4,
        textAnchor: "start",
        fill: "#d33",
      }),
      Plot.frame(),
    ],
  });
  const counts = [...groupBy(rows, (r) => r.series)].map(([s, g]) => `${s} ${g.length}`);
  return new Figure(element, { description: `Visited states: ${counts.join(", ")}` });
}

/** One state component at one step of one episode. */
export interface TraceRow {
  series: string;
  step: number;
  dim: string;
  value: number;
}

/** Options of {@linkcode stateTrace}. */
export interface StateTraceOptions extends FigureLayout {
  /** Dashed red lines per component, e.g. `{ x: [-2.4, 2.4] }` (termination bounds, a goal). */
  limits?: Readonly<Record<string, readonly number[]>>;
  /** Axis label per component. @default {the component's name} */
  labels?: Readonly<Record<string, string>>;
}

/**
 * State components over an episode's steps: one panel per component (each its own scale, in
 * first-seen order), one line per series, with the components' limits as dashed red lines.
 *
 * @example
 * ```ts
 * stateTrace([
 *   { series: "seed 0", step: 0, dim: "x", value: 0 },
 *   { series: "seed 0", step: 1, dim: "x", value: 0.1 },
 * ], { limits: { x: [-2.4, 2.4] } });
 * ```
 * @throws {TypeError} on empty rows.
 */
export function stateTrace(rows: readonly TraceRow[], options: StateTraceOptions = {}): Figure {
  assertRows(rows, "stateTrace");
  const series = rows.map((r) => r.series);
  const groups = [...groupBy(rows, (r) => r.dim)];
  const panels = groups.map(([dim, group], panel) => {
    const limits = (options.limits?.[dim] ?? []).map((y) => ({ y }));
    return plotElement({
      title: panel === 0 ? options.title : undefined,
      width: options.width ?? 640,
      height: options.height ?? 170,
      grid: true,
      x: { label: "step" },
      y: { label: options.labels?.[dim] ?? dim, domain: domainWith(group, limits) },
      color: methodColorScale(series, panel === 0),
      marks: [
        Plot.ruleY(limits, { y: "y", stroke: "#d33", strokeDasharray: "4,3" }),
        Plot.line(group, { x: "step", y: "value", stroke: "series" }),
      ],
    });
  });
  return new Figure(panels, {
    columns: 1,
    gap: 4,
    description: `State trace: ${groups.map(([d]) => d).join(", ")} over ${
      new Set(series).size
    } episode(s)`,
  });
}

/** The range of a panel's values and its limit lines, so the limits always show. */
function domainWith(
  group: readonly TraceRow[],
  limits: readonly { y: number }[],
): [number, number] {
  const all = [...group.map((r) => r.value), ...limits.map((l) => l.y)].filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = (hi - lo) * 0.05 || 0.5;
  return [lo - pad, hi + pad];
}
