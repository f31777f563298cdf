/**
 * Figures of single model-based RL runs: returns vs real steps with the solving moment marked,
 * and the model's validation loss after each refit.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { methodColorScale } from "./colors.ts";
import type { FigureLayout } from "./common.ts";
import { plotElement } from "./document.ts";
import { Figure } from "./figure.ts";
import { assertRows } from "./stats.ts";

/** One return of one run: a training episode or an evaluation mean. */
export interface RunReturnRow {
  /** The run's label; one colour per run. */
  run: string;
  /** Real environment steps so far (evaluation steps excluded). */
  envSteps: number;
  /** Episode return or evaluation mean. */
  return: number;
  /** `"evaluation"` draws a line; anything else (the training policy) hollow dots. */
  kind: string;
}

/** Where one run was solved. */
export interface SolvedMark {
  run: string;
  /** Real steps when solved. */
  envSteps: number;
}

/** Options of {@linkcode runReturns}. */
export interface RunReturnsOptions extends FigureLayout {
  /** A horizontal "solved" rule; `null` for none. @default {475} */
  threshold?: number | null;
  /** Vertical rules with a label where runs were solved. @default {[]} */
  solved?: readonly SolvedMark[];
  /** The label's words before the step count. @default {"solved at"} */
  solvedText?: string;
  /** Logarithmic x axis. @default {false} */
  logX?: boolean;
  /** y label. @default {"return"} */
  yLabel?: string;
  /** A labelled dotted reference line (e.g. the random policy's mean return). */
  reference?: { value: number; label: string };
}

/**
 * Returns vs real environment steps for one or more runs: evaluation means as a line with
 * dots, training-episode returns as hollow dots, the threshold dashed, and each run's solving
 * moment as a vertical rule labelled "solved at N"; optionally a labelled reference line.
 *
 * @example
 * ```ts
 * runReturns([{ run: "default", envSteps: 50, return: 480, kind: "evaluation" }], {
 *   solved: [{ run: "default", envSteps: 50 }],
 * });
 * ```
 */
export function runReturns(rows: readonly RunReturnRow[], options: RunReturnsOptions = {}): Figure {
  assertRows(rows, "runReturns");
  const { threshold = 475, solved = [], reference, solvedText = "solved at" } = options;
  const maxX = Math.max(...rows.map((r) => r.envSteps));
  const evals = rows.filter((r) => r.kind === "evaluation");
  const episodes = rows.filter((r) => r.kind !== "evaluation");
  const element = plotElement({
    title: options.title,
    subtitle: episodes.length > 0
      ? "line: evaluation mean (true env return); hollow dots: training episodes"
      : "evaluation mean (true env return)",
    caption: options.caption,
    width: options.width ?? 640,
    height: options.height ?? 340,
    grid: true,
    x: { type: options.logX ? "log" : "linear", label: "real environment steps" },
    y: { label: options.yLabel ?? "return" },
    color: methodColorScale(rows.map((r) => r.run)),
    marks: [
      threshold === null ? null : Plot.ruleY([threshold], { strokeDasharray: "4,3" }),
      reference === undefined
        ? null
        : Plot.ruleY([reference.value], { stroke: "#777", strokeDasharray: "1,3" }),
      reference === undefined ? null : Plot.text([reference], {
        y: "value",
        text: "label",
        frameAnchor: "right",
        textAnchor: "end",
        dy: -6,
        fill: "#555",
      }),
      Plot.dot(episodes, { x: "envSteps", y: "return", stroke: "run", r: 3 }),
      Plot.line(evals, { x: "envSteps", y: "return", stroke: "run", strokeWidth: 2 }),
      Plot.dot(evals, { x: "envSteps", y: "return", fill: "run", r: 3 }),
      Plot.ruleX(solved, { x: "envSteps", stroke: "run", strokeDasharray: "2,2" }),
      // One label per mark, stacked upwards, right-aligned in the right part of the plot.
      ...solved.map((mark, i) =>
        Plot.text([mark], {
          x: "envSteps",
          text: (d: SolvedMark) => `${d.run}: ${solvedText} ${d.envSteps}`,
          frameAnchor: "bottom",
          textAnchor: mark.envSteps > 0.6 * maxX ? "end" : "start",
          dx: mark.envSteps > 0.6 * maxX ? -4 : 4,
          dy: -6 - 14 * i,
          fill: "run",
        })
      ),
    ],
  });
  return new Figure(element, {
    description: `Run returns: ${evals.length} evaluations, ${episodes.length} training episodes`,
  });
}

/** The model's validation loss after one refit of one run. */
export interface RefitLossRow {
  run: string;
  /** Real transitions the model was fitted on. */
  envSteps: number;
  valLoss: number;
}

/** Options of {@linkcode refitLoss}. */
export interface RefitLossOptions extends FigureLayout {
  /** Logarithmic y axis. @default {true} */
  logY?: boolean;
  /** y label. @default {"validation loss (normalised)"} */
  yLabel?: string;
}

/**
 * The model's best validation loss after each refit vs the real transitions it was fitted on,
 * one line per run.
 *
 * @example
 * ```ts
 * refitLoss([{ run: "default", envSteps: 10, valLoss: 0.2 }]);
 * ```
 */
export function refitLoss(rows: readonly RefitLossRow[], options: RefitLossOptions = {}): Figure {
  assertRows(rows, "refitLoss");
  const logY = options.logY ?? true;
  const element = plotElement({
    title: options.title,
    caption: options.caption,
    width: options.width ?? 640,
    height: options.height ?? 280,
    grid: true,
    x: { label: "real transitions in the buffer" },
    y: {
      type: logY ? "log" : "linear",
      label: options.yLabel ?? "validation loss (normalised)",
      tickFormat: logY ? "~g" : undefined,
    },
    color: methodColorScale(rows.map((r) => r.run)),
    marks: [
      Plot.line(rows, { x: "envSteps", y: "valLoss", stroke: "run" }),
      Plot.dot(rows, { x: "envSteps", y: "valLoss", fill: "run", r: 2.5 }),
    ],
  });
  return new Figure(element, { description: `Model loss after ${rows.length} refits` });
}
