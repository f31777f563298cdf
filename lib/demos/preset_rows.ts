/**
 * The per-environment presets of the model-based loop as table rows: what
 * `deno task train --env X` runs, one row per env, for the extensions notebook and the README.
 *
 * @module
 */
import { MBRL_PRESETS } from "../agents/mbrl_config.ts";
import { ENV_IDS, envMetadata } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";

/** One env's preset, flattened to what a reader compares across envs. */
export type PresetRow = {
  env: EnvId;
  /** `Discrete(n)` or `Box(d)`. */
  actions: string;
  /** The 10-episode evaluation mean that counts as solved. */
  "solved at": number;
  /** `loop.maxSteps`: the real-step budget. */
  budget: number;
  /** `eval.every`: real steps between evaluations (the rounding bound of steps to solve). */
  "eval every": number;
  /** Model type, size and ensemble members. */
  model: string;
  /** Planner type, horizon x sequences, action mode and (random shooting) selection rule. */
  planner: string;
  /** Discount, terminal value, exploration bonus, shaping and reward source. */
  objective: string;
};

/**
 * One {@linkcode PresetRow} per env, in `ENV_IDS` order, read from `MBRL_PRESETS`.
 *
 * @example
 * ```ts
 * const rows = presetRows();
 * rows.length; // 5
 * rows[0]!.env; // "CartPole-v1"
 * ```
 */
export function presetRows(): PresetRow[] {
  return ENV_IDS.map((env) => {
    const c = MBRL_PRESETS[env];
    const meta = envMetadata(env);
    const space = meta.actionSpace;
    const p = c.planner;
    const selection = p.type === "random_shooting" ? p.selection : "best";
    const o = c.objective;
    const objective = [
      `discount ${p.discount}`,
      o.terminalValue ? "terminal V" : null,
      o.explorationBonus > 0 ? `bonus ${o.explorationBonus}` : null,
      o.shaping === null ? null : `shaping [${o.shaping.weights.join(", ")}]`,
      o.rewardSource === "model" ? "learned reward" : null,
    ].filter((x) => x !== null).join(", ");
    return {
      env,
      actions: space.kind === "discrete" ? `Discrete(${space.n})` : `Box(${space.shape[0]})`,
      "solved at": meta.solvedThreshold,
      budget: c.loop.maxSteps,
      "eval every": c.eval.every,
      model: `${c.model.type} [${c.model.hiddenSizes.join(", ")}]${
        c.model.type === "ensemble" ? ` x ${c.model.numModels}` : ""
      }`,
      planner: `${p.type} H${p.horizon} x ${p.numSamples} ${p.actionMode}${
        selection !== "best" ? `, ${selection}` : ""
      }`,
      objective,
    };
  });
}
