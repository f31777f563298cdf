/**
 * Shared helpers for the buffer tests: transitions that encode their own id, so order and
 * provenance can be read back from any batch.
 *
 * @module
 */
import type { Transition } from "../../lib/buffer/mod.ts";

/**
 * Transition number `id`: `state[d] = id + d / 10`, `nextState[d] = id + 0.5 + d / 10`,
 * `action[d] = -id - d / 10`, `reward = id / 2`.
 */
export function makeTransition(
  id: number,
  options: { stateDim?: number; actionDim?: number; terminated?: boolean; truncated?: boolean } =
    {},
): Transition {
  const stateDim = options.stateDim ?? 3;
  const actionDim = options.actionDim ?? 2;
  return {
    state: Array.from({ length: stateDim }, (_, d) => id + d / 10),
    nextState: Array.from({ length: stateDim }, (_, d) => id + 0.5 + d / 10),
    action: Array.from({ length: actionDim }, (_, d) => -id - d / 10),
    reward: id / 2,
    terminated: options.terminated ?? false,
    truncated: options.truncated ?? false,
  };
}

/**
 * Pearson's chi-square statistic of observed counts against expected counts.
 */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    statistic += (observed[i]! - e) ** 2 / e;
  }
  return statistic;
}
