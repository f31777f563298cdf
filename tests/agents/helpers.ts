/**
 * Shared checks of the model-free baseline tests (DQN, PPO).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertGreater } from "@std/assert";
import { makeEnv } from "../../lib/envs/mod.ts";
import { evaluateBatched } from "../../lib/agents/policy_eval.ts";
import { Rng } from "../../lib/rng.ts";

/** A random policy's mean return over the same evaluation protocol (10 seeded episodes). */
export function randomMean(seed: number): number {
  const rng = new Rng(seed).stream("random-policy");
  const envs = Array.from({ length: 10 }, () => makeEnv("CartPole-v1"));
  const policy = (_obs: Float32Array, n: number) =>
    Int32Array.from({ length: n }, () => rng.int(2));
  return evaluateBatched(envs, policy, new Rng(seed).stream("eval")).mean;
}

/** What the baseline trainers return that these checks read. */
interface BaselineResult {
  envSteps: number;
  finalEvalMean: number | null;
  evals: { envSteps: number; mean: number }[];
}

/**
 * Runs `run` twice and checks: the step count and evaluation steps, a final evaluation above
 * twice the random policy's mean, identical evaluations (same seed, same run), and no leaked
 * tensors in the second run. Returns both results for the algorithm's own checks.
 */
export async function assertBeatsRandomReproducibly<T extends BaselineResult>(
  run: () => Promise<T>,
  expected: { envSteps: number; evalSteps: number[] },
): Promise<{ result: T; again: T }> {
  const result = await run();
  assertEquals(result.envSteps, expected.envSteps);
  assertEquals(result.evals.map((e) => e.envSteps), expected.evalSteps);
  assertGreater(result.finalEvalMean!, 2 * randomMean(0));
  const before = tf.memory().numTensors;
  const again = await run();
  assertEquals(tf.memory().numTensors, before);
  assertEquals(again.evals, result.evals);
  return { result, again };
}
