/**
 * Every action's imagined successor of every stored state, for the terminal value's
 * value-iteration backups (`value.backup: "model"`): the dynamics model's next-state mean
 * (an ensemble's mean over its elites, as the planner's `"expectation"` propagation), with
 * rewards and terminations from the same sources the planner scores imagined steps with.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import type { EnvRules } from "../envs/types.ts";
import type { ValueSuccessors } from "../models/mod.ts";
import type { DynamicsModel } from "../models/types.ts";
import { terminated } from "../planners/rollout.ts";
import type { RuleSource } from "../planners/trajectory_evaluator.ts";
import { assertPositiveInt } from "../validate.ts";

/** Model rows per `predict` call (keeps each call's tensors small). */
const CHUNK_ROWS = 4096;

/** Where the successors' rewards and terminations come from. */
export interface SuccessorSources {
  /** Actions of the Discrete space: successor `a` takes action index `a`. */
  numActions: number;
  /** The env's rules; needed unless both sources are `"model"`. */
  rules?: EnvRules;
  /** Rewards from the env's rules or the model's reward head. @default {"env"} */
  rewardSource?: RuleSource;
  /** Terminations from the env's rules or the model's head (> 0.5). @default {"env"} */
  terminationSource?: RuleSource;
}

/**
 * The successors of every state of `batch` under each of `numActions` Discrete actions:
 * row `i`'s successor under action `a` at entry `i * numActions + a` (see
 * {@linkcode ValueSuccessors}).
 *
 * @throws {RangeError} on a non-positive `numActions`; {TypeError} when a source is `"env"`
 *   but no `rules` are given.
 *
 * @example
 * ```ts
 * import { cartPoleRules, CartPoleEnv } from "../envs/cart_pole.ts";
 * import { TrueDynamicsModel } from "../planners/true_dynamics_model.ts";
 * const model = new TrueDynamicsModel({ env: new CartPoleEnv() });
 * const batch = {
 *   size: 1, stateDim: 4, actionDim: 1,
 *   states: new Float32Array(4), actions: new Float32Array(1), nextStates: new Float32Array(4),
 *   rewards: Float32Array.of(1), terminated: new Uint8Array(1), truncated: new Uint8Array(1),
 * };
 * const next = modelSuccessors(model, batch, { numActions: 2, rules: cartPoleRules });
 * next.states.length; // 8: push left, push right
 * next.rewards; // Float32Array [1, 1]
 * ```
 */
export function modelSuccessors(
  model: DynamicsModel,
  batch: TransitionBatch,
  sources: SuccessorSources,
): ValueSuccessors {
  const { numActions: A, rules } = sources;
  const rewardSource = sources.rewardSource ?? "env";
  const terminationSource = sources.terminationSource ?? "env";
  assertPositiveInt(A, "numActions");
  if (rules === undefined && (rewardSource === "env" || terminationSource === "env")) {
    throw new TypeError("Expected the env's rules for successors scored by the env's rules");
  }
  const d = batch.stateDim;
  const m = batch.size * A;
  const states = new Float32Array(m * d);
  const rewards = new Float32Array(m);
  const done = new Uint8Array(m);
  for (let lo = 0; lo < m; lo += CHUNK_ROWS) {
    const hi = Math.min(m, lo + CHUNK_ROWS);
    const count = hi - lo;
    const inStates = new Float32Array(count * d);
    const inActions = new Float32Array(count);
    for (let k = lo; k < hi; k++) {
      const row = Math.floor(k / A);
      inStates.set(batch.states.subarray(row * d, (row + 1) * d), (k - lo) * d);
      inActions[k - lo] = k % A;
    }
    const pred = model.predict(inStates, inActions);
    states.set(pred.mean, lo * d);
    rewards.set(
      rewardSource === "env" ? rules!.reward(inStates, inActions, pred.mean, count) : pred.reward,
      lo,
    );
    done.set(terminated(terminationSource, rules, pred, count), lo);
  }
  return { perRow: A, states, rewards, terminated: done };
}
