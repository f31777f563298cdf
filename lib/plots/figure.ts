/**
 * A displayable, saveable figure.
 *
 * @module
 */
import { dirname } from "node:path";
import { type ComposeOptions, toStandaloneSvg } from "./compose.ts";

/**
 * `Symbol.for("Jupyter.display")`: Deno's kernel displays the MIME bundle an object's method
 * under this key returns. Typed as a unique symbol so `figure[jupyterDisplay]()` type-checks.
 *
 * @example
 * ```ts
 * md`**done**`[jupyterDisplay](); // { "text/markdown": "**done**", "text/plain": "**done**" }
 * ```
 */
export const jupyterDisplay: unique symbol = Symbol.for("Jupyter.display") as never;

/** Options of {@linkcode Figure}. */
export interface FigureOptions extends ComposeOptions {
  /** The `text/plain` fallback shown where SVG cannot be. @default {"Figure"} */
  description?: string;
}

/**
 * A finished figure: a standalone SVG string plus a plain-text description. Displays inline in
 * a Deno Jupyter kernel through `Symbol.for("Jupyter.display")` (so `lib/` never touches
 * `Deno.jupyter`) and saves as a `.svg` file.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { plotElement } from "./document.ts";
 * const figure = new Figure(plotElement({ marks: [Plot.frame()] }), { description: "A frame" });
 * figure.toSvg().startsWith("<svg"); // true
 * await figure.save(`${await Deno.makeTempDir()}/frame.svg`);
 * ```
 */
export class Figure {
  #svg: string;
  /** The `text/plain` fallback. */
  readonly description: string;

  /**
   * @param elements Plot output (`<svg>` or `<figure>`), several for a grid, or an SVG string
   * that already is a standalone document.
   */
  constructor(elements: Element | readonly Element[] | string, options: FigureOptions = {}) {
    const { description = "Figure", ...compose } = options;
    this.description = description;
    if (typeof elements === "string") {
      if (!/^<svg[^>]*\sxmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(elements)) {
        throw new TypeError(
          `Expected a standalone SVG string with xmlns but found ${elements.slice(0, 40)}`,
        );
      }
      this.#svg = elements;
    } else {
      this.#svg = toStandaloneSvg(elements, compose);
    }
  }

  /** The standalone SVG document (root `<svg>` with `xmlns` and `xmlns:xlink`). */
  toSvg(): string {
    return this.#svg;
  }

  /** Writes the SVG to `path` (parent folders are created) and returns the path. */
  async save(path: string): Promise<string> {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, `<?xml version="1.0" encoding="UTF-8"?>\n${this.#svg}\n`);
    return path;
  }

  /** The MIME bundle a Jupyter kernel displays. */
  [jupyterDisplay](): Record<string, string> {
    return { "image/svg+xml": this.#svg, "text/plain": this.description };
  }
}

/**
 * Markdown that displays as rendered text in a notebook (`text/markdown`) and as itself in
 * plain text. Returned by {@linkcode md}.
 *
 * @example
 * ```ts
 * const note = new Markdown("Solved after **300** steps.");
 * note.toString(); // "Solved after **300** steps."
 * ```
 */
export class Markdown {
  /** The Markdown source. */
  readonly text: string;

  /** @param text Markdown source. */
  constructor(text: string) {
    this.text = text;
  }

  /** The MIME bundle a Jupyter kernel displays. */
  [jupyterDisplay](): Record<string, string> {
    return { "text/markdown": this.text, "text/plain": this.text };
  }

  /** The Markdown source. */
  toString(): string {
    return this.text;
  }
}

/**
 * A Markdown display value from a template literal, so a notebook's closing cell can state
 * numbers it just computed (Markdown cells cannot).
 *
 * @example
 * ```ts
 * const solvedAt = 300;
 * md`The agent solved CartPole after **${solvedAt}** real steps.`;
 * ```
 */
export function md(strings: TemplateStringsArray | string, ...values: unknown[]): Markdown {
  if (typeof strings === "string") return new Markdown(strings);
  let text = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) text += formatValue(values[i]) + (strings[i + 1] ?? "");
  return new Markdown(text);
}

/**
 * Numbers with at most 4 significant digits (integers with thousands separators), other values
 * as strings.
 *
 * @example
 * ```ts
 * formatValue(0.123456); // "0.1235"
 * formatValue(12000); // "12,000"
 * formatValue("cem"); // "cem"
 * ```
 */
export function formatValue(value: unknown): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return Number(value.toPrecision(4)).toString();
  }
  return String(value);
}

/**
 * A Markdown table from tidy rows (columns default to the first row's keys).
 *
 * @example
 * ```ts
 * mdTable([{ method: "cem", ms: 12.3 }]).text; // "| method | ms |\n|---|---|\n| cem | 12.3 |"
 * ```
 */
export function mdTable(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
): Markdown {
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  const lines = [
    `| ${columns.map(escape).join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${columns.map((c) => escape(formatValue(row[c]))).join(" | ")} |`),
  ];
  return new Markdown(lines.join("\n"));
}
