/**
 * Drawings of environment states.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import type { FigureLayout } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows } from "./stats.ts";

/** Gymnasium CartPole geometry in metres: the pole is 2 x `length` = 1.0 m long. */
const POLE = 1.0;
const CART_WIDTH = 0.4;
const CART_HEIGHT = 0.24;
const X_LIMIT = 2.4;

/** Options of {@linkcode cartPoleStrip}. */
export interface CartPoleStripOptions extends FigureLayout {
  /** Indices of the states to draw. @default evenly spaced, at most 6 */
  frames?: readonly number[];
  /** Label of each frame. @default {"t = index"} */
  label?: (index: number) => string;
}

/**
 * A strip of CartPole frames drawn to scale (metres on both axes), from states
 * `[x, xDot, theta, thetaDot]` (theta in radians, positive leaning right), with the track
 * limits at x = ±2.4 as dashed red lines.
 *
 * @example
 * ```ts
 * cartPoleStrip([[0, 0, 0.05, 0], [0.1, 0.2, 0.1, 0.3]]);
 * ```
 */
export function cartPoleStrip(
  states: readonly (readonly number[] | Float32Array)[],
  options: CartPoleStripOptions = {},
): Figure {
  assertRows(states as unknown[], "cartPoleStrip");
  const count = Math.min(6, states.length);
  const frames = options.frames ??
    Array.from(
      { length: count },
      (_, i) => Math.round(i * (states.length - 1) / Math.max(1, count - 1)),
    );
  const label = options.label ?? ((i: number) => `t = ${i}`);
  const rows = frames.map((i) => {
    const state = states[i];
    if (!state) throw new RangeError(`Expected frame ${i} to be < ${states.length}`);
    const x = state[0]!;
    const theta = state[2]!;
    const axle = CART_HEIGHT;
    return {
      frame: label(i),
      x,
      axle,
      tipX: x + POLE * Math.sin(theta),
      tipY: axle + POLE * Math.cos(theta),
      out: Math.abs(x) > X_LIMIT || Math.abs(theta) > 0.2095,
    };
  });
  const width = options.width ?? 640;
  const [xLo, xHi] = [-2.8, 2.8];
  const [yLo, yHi] = [-0.1, 1.35];
  const marginLeft = 70;
  const marginRight = 10;
  const pxPerMetre = (width - marginLeft - marginRight) / (xHi - xLo);
  const panel = Math.round((yHi - yLo) * pxPerMetre);
  const element = plotElement({
    title: options.title,
    caption: options.caption,
    width,
    height: rows.length * panel + 30,
    marginLeft,
    marginRight,
    marginTop: 0,
    marginBottom: 30,
    x: { domain: [xLo, xHi], label: "cart position x (m)" },
    y: { domain: [yLo, yHi], axis: null },
    fy: { label: null, domain: rows.map((r) => r.frame), padding: 0 },
    marks: [
      Plot.ruleY(rows, { fy: "frame", y: 0, stroke: "#888" }),
      Plot.ruleX(
        rows.flatMap((r) => [
          { frame: r.frame, x: -X_LIMIT },
          { frame: r.frame, x: X_LIMIT },
        ]),
        { fy: "frame", x: "x", stroke: "#d33", strokeDasharray: "4,3", y1: yLo, y2: yHi },
      ),
      Plot.rect(rows, {
        fy: "frame",
        x1: (r: { x: number }) => r.x - CART_WIDTH / 2,
        x2: (r: { x: number }) => r.x + CART_WIDTH / 2,
        y1: 0,
        y2: CART_HEIGHT,
        fill: "#333",
      }),
      Plot.link(rows, {
        fy: "frame",
        x1: "x",
        y1: "axle",
        x2: "tipX",
        y2: "tipY",
        stroke: (r: { out: boolean }) => (r.out ? "#d33" : "#c8a064"),
        strokeWidth: Math.max(3, 0.08 * pxPerMetre),
        strokeLinecap: "round",
      }),
      Plot.dot(rows, { fy: "frame", x: "x", y: "axle", r: 3, fill: "#7f9fcf" }),
    ],
  });
  return new Figure(element, {
    description: `CartPole: ${rows.length} frames (${rows.map((r) => r.frame).join(", ")})`,
  });
}

/** One step of a Pendulum trajectory. */
export interface PendulumRow {
  step: number;
  /** Angle in radians (0 = upright), wrapped to [-pi, pi). */
  theta: number;
  /** Angular velocity (rad/s). */
  thetaDot: number;
  /** Applied torque (N m), when known. */
  torque?: number;
  /** Series name (e.g. a policy). @default {"trajectory"} */
  series?: string;
}

/**
 * Pendulum trajectories: angle, angular velocity and (when given) torque vs step, one panel
 * each, coloured by series.
 *
 * @example
 * ```ts
 * pendulumTrajectory([{ step: 0, theta: 3, thetaDot: 0, torque: 1 }]);
 * ```
 */
export function pendulumTrajectory(
  rows: readonly PendulumRow[],
  options: FigureLayout = {},
): Figure {
  assertRows(rows, "pendulumTrajectory");
  const named = rows.map((r) => ({ ...r, series: r.series ?? "trajectory" }));
  const fields: [keyof PendulumRow, string][] = [
    ["theta", "angle θ (rad, 0 = up)"],
    ["thetaDot", "angular velocity (rad/s)"],
  ];
  if (rows.some((r) => r.torque !== undefined)) fields.push(["torque", "torque (N m)"]);
  const series = named.map((r) => r.series);
  const panels = fields.map(([field, label], panel) =>
    plotElement({
      width: options.width ?? 640,
      height: options.height ?? 160,
      grid: true,
      x: { label: "step" },
      y: { label },
      color: methodColorScale(series, panel === 0),
      marks: [
        field === "theta" ? Plot.ruleY([0], { stroke: "#999" }) : null,
        Plot.line(named.filter((r) => r[field] !== undefined), {
          x: "step",
          y: field,
          stroke: "series",
        }),
      ],
    })
  );
  return new Figure(panels, {
    columns: 1,
    gap: 4,
    title: options.title,
    description: `Pendulum trajectory: ${rows.length} steps`,
  });
}
