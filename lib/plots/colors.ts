/**
 * One colour per method (or model, planner, sampler), shared by every figure, so a name keeps
 * its colour across a notebook and across notebooks.
 *
 * @module
 */

/** Plot's default categorical scheme ("observable10"). */
const PALETTE = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
] as const;

/** Fixed colours of the names the workbook uses; other names take free colours on first use. */
const KNOWN: Record<string, string> = {
  "mbrl": "#4269d0",
  "random-shooting": "#4269d0",
  "deterministic": "#4269d0",
  "uniform": "#4269d0",
  "cem": "#efb118",
  "probabilistic": "#efb118",
  "prioritized": "#efb118",
  "mppi": "#ff725c",
  "ensemble": "#ff725c",
  "sequential": "#ff725c",
  "dqn": "#6cc5b0",
  "ppo": "#a463f2",
  "sac": "#ff8ab7",
  "true-dynamics": "#9498a0",
  "true": "#9498a0",
  "random": "#9c6b4e",
};

const assigned = new Map<string, string>(Object.entries(KNOWN));
let next = 0;

/**
 * The colour of `name` (case-insensitive). Known names have fixed colours; a new name takes the
 * next palette colour and keeps it for the life of the process (one notebook kernel).
 *
 * @example
 * ```ts
 * methodColor("cem"); // "#efb118"
 * ```
 */
export function methodColor(name: string): string {
  const key = name.toLowerCase();
  const known = assigned.get(key);
  if (known) return known;
  const colour = PALETTE[next % PALETTE.length]!;
  next++;
  assigned.set(key, colour);
  return colour;
}

/**
 * Plot `color` scale options for the given names: an ordinal scale whose range follows
 * {@linkcode methodColor}, in first-seen order.
 *
 * @example
 * ```ts
 * methodColorScale(["cem", "mppi", "cem"]);
 * // { type: "ordinal", domain: ["cem", "mppi"], range: ["#efb118", "#ff725c"], legend: true }
 * ```
 */
export function methodColorScale(
  names: Iterable<string>,
  legend = true,
): { type: "ordinal"; domain: string[]; range: string[]; legend: boolean } {
  const domain = [...new Set(names)];
  return { type: "ordinal", domain, range: domain.map(methodColor), legend };
}
