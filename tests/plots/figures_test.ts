import {
  assert,
  assertEquals,
  assertFalse,
  assertGreater,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import * as Plot from "@observablehq/plot";
import {
  calibration,
  cartPoleStrip,
  errorHistogram,
  Figure,
  isWeights,
  jupyterDisplay,
  learningCurve,
  learningCurveSummary,
  md,
  mdTable,
  methodColor,
  metricVsSetting,
  pendulumTrajectory,
  plannedReturn,
  planningTime,
  plotElement,
  predictedVsActual,
  refitLoss,
  returnHistogram,
  returnVsSetting,
  rolloutErrorVsHorizon,
  runReturns,
  samplingHistogram,
  stepsToSolveFigure,
  trainingCurves,
  wallClockVsSamples,
} from "../../lib/plots/mod.ts";
import { Rng } from "../../lib/rng.ts";
import { parseSvg } from "./svg_check.ts";

const rng = new Rng(7);
const methods = ["mbrl", "dqn"];
const seeds = [0, 1, 2];
const steps = [100, 200, 400, 800];
const dims = ["x", "x_dot", "theta", "theta_dot"];

const learning = methods.flatMap((method) =>
  seeds.flatMap((seed) =>
    steps.map((envSteps) => ({ method, seed, envSteps, return: envSteps / 2 + 10 * rng.normal() }))
  )
);
const predictions = dims.flatMap((dim) =>
  Array.from({ length: 30 }, () => {
    const actual = rng.normal();
    return { dim, actual, predicted: actual + 0.1 * rng.normal(), model: "ensemble" };
  })
);

/** Every figure function with small synthetic rows. */
const figures: Record<string, () => Figure> = {
  runReturns: () =>
    runReturns([
      { run: "on", envSteps: 10, return: 20, kind: "evaluation" },
      { run: "on", envSteps: 30, return: 480, kind: "evaluation" },
      { run: "off", envSteps: 25, return: 60, kind: "mpc" },
    ], { solved: [{ run: "on", envSteps: 30 }], reference: { value: 22, label: "random" } }),
  refitLoss: () =>
    refitLoss([
      { run: "on", envSteps: 10, valLoss: 0.3 },
      { run: "on", envSteps: 20, valLoss: 0.05 },
    ]),
  learningCurve: () => learningCurve(learning, { logX: true, band: "iqr", title: "Learning" }),
  stepsToSolveFigure: () =>
    stepsToSolveFigure([
      { method: "mbrl", seed: 0, stepsToSolve: 300 },
      { method: "mbrl", seed: 1, stepsToSolve: 500 },
      { method: "dqn", seed: 0, stepsToSolve: 35000 },
      { method: "dqn", seed: 1, stepsToSolve: null },
    ]),
  wallClockVsSamples: () =>
    wallClockVsSamples(learning.map((r) => ({ ...r, wallSeconds: r.envSteps / 100 }))),
  trainingCurves: () =>
    trainingCurves(
      ["deterministic", "ensemble"].flatMap((model) =>
        Array.from({ length: 10 }, (_, epoch) => ({
          model,
          epoch,
          trainLoss: 1 / (epoch + 1),
          valLoss: 1.2 / (epoch + 1),
        }))
      ),
    ),
  predictedVsActual: () => predictedVsActual(predictions, { title: "Predicted vs actual" }),
  errorHistogram: () =>
    errorHistogram(predictions.map((r) => ({ dim: r.dim, error: r.predicted - r.actual }))),
  errorHistogramSeveralModels: () =>
    errorHistogram(predictions.map((r, i) => ({
      dim: r.dim,
      error: r.predicted - r.actual,
      model: i % 2 ? "deterministic" : "ensemble",
    }))),
  rolloutErrorVsHorizon: () =>
    rolloutErrorVsHorizon([1, 5, 10, 20].flatMap((horizon) => [
      { model: "deterministic", horizon, error: 0.01 * horizon },
      { model: "ensemble", horizon, error: 0.008 * horizon },
    ])),
  calibration: () =>
    calibration([
      { model: "probabilistic", expected: 0.68, observed: 0.6 },
      { model: "probabilistic", expected: 0.95, observed: 0.9 },
    ]),
  samplingHistogram: () =>
    samplingHistogram(
      ["uniform", "prioritized"].flatMap((sampler) =>
        Array.from({ length: 20 }, (_, index) => ({ sampler, index, count: 1 + rng.int(10) }))
      ),
    ),
  isWeights: () =>
    isWeights(Array.from({ length: 20 }, (_, i) => ({
      series: "beta=0.4",
      priority: i + 1,
      weight: (i + 1) ** -0.4,
    }))),
  plannedReturn: () =>
    plannedReturn(Array.from({ length: 20 }, (_, step) => ({
      planner: "cem",
      step,
      plannedReturn: 10 - step * 0.1,
    }))),
  planningTime: () =>
    planningTime(
      ["cem", "mppi"].flatMap((planner) =>
        Array.from({ length: 20 }, () => ({ planner, ms: 5 + rng.uniform() * 10 }))
      ),
    ),
  returnVsSetting: () =>
    returnVsSetting(
      [5, 10, 20].flatMap((value) =>
        seeds.map((seed) => ({
          planner: "random-shooting",
          value,
          seed,
          return: value * 10 + seed,
        }))
      ),
      { setting: "horizon" },
    ),
  returnHistogram: () =>
    returnHistogram(
      ["random", "lean"].flatMap((policy) =>
        Array.from({ length: 40 }, () => ({ policy, return: 10 + 40 * rng.uniform() }))
      ),
      { threshold: 475 },
    ),
  metricVsSetting: () =>
    metricVsSetting(
      [250, 1000, 4000].map((value) => ({
        series: "deterministic",
        value,
        metric: 1 / value,
      })),
      { logX: true, logY: true },
    ),
  trainingCurvesValidationOnly: () =>
    trainingCurves([1, 2, 3].map((epoch) => ({ model: "ensemble", epoch, valLoss: 1 / epoch }))),
  cartPoleStrip: () =>
    cartPoleStrip(Array.from({ length: 30 }, (_, t) => [0.05 * t, 0, 0.01 * t, 0]), {
      title: "CartPole",
    }),
  pendulumTrajectory: () =>
    pendulumTrajectory(Array.from({ length: 50 }, (_, step) => ({
      step,
      theta: Math.PI - 0.05 * step,
      thetaDot: -0.5,
      torque: Math.sin(step),
    }))),
};

for (const [name, make] of Object.entries(figures)) {
  Deno.test(`${name} returns standalone SVG with marks and a display bundle`, () => {
    const figure = make();
    const svg = figure.toSvg();
    const parsed = parseSvg(svg);
    assertEquals(parsed.rootName, "svg");
    assertEquals(parsed.rootAttributes.xmlns, "http://www.w3.org/2000/svg");
    assertEquals(parsed.rootAttributes["xmlns:xlink"], "http://www.w3.org/1999/xlink");
    assertGreater(Number(parsed.rootAttributes.width), 0);
    assertGreater(Number(parsed.rootAttributes.height), 0);
    assertGreater(parsed.marks, 0);
    assert(!parsed.elements.some((e) => /^(figure|div|span|h2|h3|figcaption)$/i.test(e)));
    // Coordinates are rounded to 2 decimals (Plot writes 334.99999999999994).
    assertFalse(/="[^"]*\d\.\d{3,}/.test(svg));
    const bundle = figure[jupyterDisplay]();
    assertEquals(Object.keys(bundle).sort(), ["image/svg+xml", "text/plain"]);
    assertEquals(bundle["image/svg+xml"], svg);
    assertGreater(bundle["text/plain"]!.length, 0);
  });
}

Deno.test("a figure with title, subtitle, caption and legend is composed into one SVG", () => {
  const element = plotElement({
    title: "A title & more",
    subtitle: "sub <title>",
    caption: "a caption",
    color: { legend: true },
    marks: [Plot.dot([{ x: 1, y: 2, m: "a" }, { x: 2, y: 1, m: "b" }], {
      x: "x",
      y: "y",
      fill: "m",
    })],
  });
  assertEquals(element.tagName.toUpperCase(), "FIGURE");
  const svg = new Figure(element).toSvg();
  const parsed = parseSvg(svg);
  assertEquals(parsed.rootName, "svg");
  assertEquals(parsed.marks, 2);
  assertStringIncludes(svg, "A title &amp; more");
  assertStringIncludes(svg, "sub &lt;title&gt;");
  assertStringIncludes(svg, ">a caption</text>");
  // The two legend swatches keep their colours and labels.
  assertStringIncludes(svg, ">a</text>");
  assertStringIncludes(svg, ">b</text>");
  assertEquals(parsed.elements.filter((e) => e === "svg").length >= 4, true);
});

Deno.test("save writes a standalone file that parses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await figures.learningCurve!().save(`${dir}/nested/curve.svg`);
    const text = await Deno.readTextFile(path);
    assert(text.startsWith("<?xml"));
    const parsed = parseSvg(text);
    assertEquals(parsed.rootAttributes.xmlns, "http://www.w3.org/2000/svg");
    assertGreater(parsed.marks, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the svg check rejects malformed SVG", () => {
  assertThrows(() => parseSvg("<svg><g></svg>"), SyntaxError);
  assertThrows(() => parseSvg("<svg>a & b</svg>"), SyntaxError);
  assertThrows(() => parseSvg('<svg a="1" a="2"></svg>'), SyntaxError);
  assertThrows(() => parseSvg("<svg></svg><svg></svg>"), SyntaxError);
  assertThrows(() => parseSvg("<svg width=1></svg>"), SyntaxError);
  assertEquals(parseSvg('<svg><g aria-label="dot"><circle/></g></svg>').marks, 1);
  assertEquals(parseSvg('<svg><g aria-label="x-axis tick"><path/></g></svg>').marks, 0);
});

Deno.test("learningCurveSummary takes the median and the chosen band across seeds", () => {
  const rows = [3, 1, 2, 10].map((value, seed) => ({
    method: "m",
    seed,
    envSteps: 100,
    return: value,
  }));
  const [minmax] = learningCurveSummary(rows);
  assertEquals([minmax!.median, minmax!.lo, minmax!.hi, minmax!.seeds], [2.5, 1, 10, 4]);
  const [iqr] = learningCurveSummary(rows, { band: "iqr" });
  assertEquals([iqr!.lo, iqr!.hi], [1.75, 4.75]);
});

Deno.test("a method keeps its colour in every figure", () => {
  assertEquals(methodColor("cem"), methodColor("CEM"));
  const fresh = methodColor("some-new-method");
  assertEquals(methodColor("some-new-method"), fresh);
  const a = learningCurve(learning).toSvg();
  const b = stepsToSolveFigure([{ method: "dqn", seed: 0, stepsToSolve: 10 }]).toSvg();
  assertStringIncludes(a, methodColor("dqn"));
  assertStringIncludes(b, methodColor("dqn"));
});

Deno.test("cartPoleStrip draws the cart and pole to scale", () => {
  const svg = cartPoleStrip([[1, 0, 0, 0]], { width: 640 }).toSvg();
  // x domain [-2.8, 2.8] over 560 px: 100 px per metre on both axes; the cart is 0.4 x 0.24 m.
  const group = svg.slice(svg.indexOf('aria-label="rect"'));
  const rect = group.slice(group.indexOf("<rect"), group.indexOf("/>"));
  const attr = (name: string) =>
    Math.round(Number(new RegExp(` ${name}="([\\d.]+)"`).exec(rect)?.[1]));
  assertEquals(attr("width"), 40);
  assertEquals(attr("height"), 24);
  assertEquals(attr("x"), Math.round(70 + 100 * (1 - 0.2 + 2.8)));
});

Deno.test("md and mdTable display as text/markdown", () => {
  const value = 0.123456;
  const bundle = md`solved at **${300}** steps, loss ${value}`[jupyterDisplay]();
  assertEquals(bundle["text/markdown"], "solved at **300** steps, loss 0.1235");
  assertEquals(
    mdTable([{ a: "x|y", b: 2 }]).text,
    "| a | b |\n|---|---|\n| x\\|y | 2 |",
  );
});

Deno.test("figure functions reject empty rows", () => {
  assertThrows(() => learningCurve([]), TypeError, "non-empty");
  assertThrows(() => new Figure("<div></div>"), TypeError);
  assertThrows(() => trainingCurves([{ model: "m", epoch: 1 }]), TypeError);
});
