/**
 * Synthetic data for the model tests: a known linear system, heteroscedastic noise, and
 * CartPole transitions from random play.
 *
 * @module
 */
import type { TransitionBatch } from "../../lib/buffer/types.ts";
import { makeEnv } from "../../lib/envs/mod.ts";
import { Rng } from "../../lib/rng.ts";

/** Builds a TransitionBatch from plain arrays. */
export function makeBatch(
  stateDim: number,
  actionDim: number,
  rows: { s: number[]; a: number[]; next: number[]; r: number; term?: boolean }[],
): TransitionBatch {
  const n = rows.length;
  const batch = {
    size: n,
    stateDim,
    actionDim,
    states: new Float32Array(n * stateDim),
    actions: new Float32Array(n * actionDim),
    nextStates: new Float32Array(n * stateDim),
    rewards: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
  rows.forEach((row, i) => {
    batch.states.set(row.s, i * stateDim);
    batch.actions.set(row.a, i * actionDim);
    batch.nextStates.set(row.next, i * stateDim);
    batch.rewards[i] = row.r;
    batch.terminated[i] = row.term ? 1 : 0;
  });
  return batch;
}

/** `s' = A s + B a`, `r = s0 - a0`, with uniform random states and actions. */
export function linearSystem(n: number, seed: number): TransitionBatch {
  const rng = new Rng(seed);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const s = [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)];
    const a = [rng.uniformRange(-1, 1)];
    const next = [
      0.9 * s[0]! + 0.1 * s[1]! + 0.5 * a[0]!,
      -0.2 * s[0]! + 0.8 * s[1]! + 0.3 * s[2]!,
      0.05 * s[0]! + 0.7 * s[2]! - 0.4 * a[0]!,
    ];
    rows.push({ s, a, next, r: s[0]! - a[0]! });
  }
  return makeBatch(3, 1, rows);
}

/** The true noise std of {@linkcode heteroscedastic} at state `s`. */
export function trueNoiseStd(s: number): number {
  return 0.1 + 0.1 * (s + 1);
}

/** One state dimension: `s' = s + 0.5 a + N(0, trueNoiseStd(s)^2)`, `r = a`. */
export function heteroscedastic(n: number, seed: number): TransitionBatch {
  const rng = new Rng(seed);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const s = rng.uniformRange(-1, 1);
    const a = rng.uniformRange(-1, 1);
    rows.push({ s: [s], a: [a], next: [s + 0.5 * a + trueNoiseStd(s) * rng.normal()], r: a });
  }
  return makeBatch(1, 1, rows);
}

/** CartPole-v1 transitions from uniformly random actions, episodes concatenated. */
export function cartPoleRandom(n: number, seed: number): TransitionBatch {
  const env = makeEnv("CartPole-v1", { seed });
  const rng = new Rng(seed).stream("actions");
  const rows = [];
  let obs = env.reset({ seed }).observation;
  while (rows.length < n) {
    const action = rng.int(2);
    const step = env.step(action);
    rows.push({
      s: Array.from(obs),
      a: [action],
      next: Array.from(step.observation),
      r: step.reward,
      term: step.terminated,
    });
    obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
  }
  return makeBatch(4, 1, rows);
}
