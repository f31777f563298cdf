/**
 * Filling replay buffers with real experience and summarising how they are sampled.
 *
 * @module
 */
import type { ReplayBuffer } from "../buffer/replay_buffer.ts";
import type { PrioritizedReplayBuffer } from "../buffer/prioritized_replay_buffer.ts";
import type { PrioritizedBatch } from "../buffer/types.ts";
import { makeEnv } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { Rng } from "../rng.ts";
import { type EpisodeRecord, playEpisode, uniformRandomPolicy } from "./episode.ts";

/** Options of {@linkcode collectRandomEpisodes}. */
export interface CollectOptions {
  /** Stop once at least this many transitions were collected. @default {1000} */
  steps?: number;
  /** Seed of the policy and of the reset seeds. @default {0} */
  seed?: number;
  /** When given, every transition is added to it. */
  buffer?: ReplayBuffer;
}

/**
 * Plays uniform-random episodes of `envId` until `steps` transitions were collected (the last
 * episode is kept whole) and adds them to `options.buffer` when given.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "../buffer/replay_buffer.ts";
 * import { Rng } from "../rng.ts";
 * const buffer = new ReplayBuffer(10_000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * const episodes = collectRandomEpisodes("CartPole-v1", { steps: 2000, buffer });
 * buffer.size; // >= 2000: the sum of episodes[i].length
 * ```
 */
export function collectRandomEpisodes(
  envId: EnvId,
  options: CollectOptions = {},
): EpisodeRecord[] {
  const { steps = 1000, seed = 0, buffer } = options;
  const env = makeEnv(envId);
  const policy = uniformRandomPolicy(env.actionSpace, new Rng(seed).stream("collect"));
  const episodes: EpisodeRecord[] = [];
  let total = 0;
  while (total < steps) {
    const record = playEpisode(env, policy, { seed: seed * 100_000 + episodes.length });
    episodes.push(record);
    total += record.length;
    if (buffer) addEpisode(buffer, record);
  }
  return episodes;
}

/**
 * Adds every transition of `record` to `buffer`, in order; only the last transition carries
 * the episode's `terminated`/`truncated` flag.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "../buffer/replay_buffer.ts";
 * import { makeEnv } from "../envs/registry.ts";
 * import { Rng } from "../rng.ts";
 * import { playEpisode } from "./episode.ts";
 * const buffer = new ReplayBuffer(1000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * const record = playEpisode(makeEnv("CartPole-v1"), () => 1);
 * addEpisode(buffer, record);
 * buffer.size === record.length; // true
 * ```
 */
export function addEpisode(buffer: ReplayBuffer, record: EpisodeRecord): void {
  for (let t = 0; t < record.length; t++) {
    const last = t === record.length - 1;
    buffer.add({
      state: record.observations[t]!,
      action: record.actions[t]!,
      nextState: record.observations[t + 1]!,
      reward: record.rewards[t]!,
      terminated: last && record.terminated,
      truncated: last && record.truncated,
    });
  }
}

/**
 * How often each slot `0..size-1` appears in `draws` (each a list of sampled slots), as tidy
 * rows `{ sampler, index, count }`.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "../buffer/replay_buffer.ts";
 * import { Rng } from "../rng.ts";
 * const buffer = new ReplayBuffer(1000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * collectRandomEpisodes("CartPole-v1", { steps: 500, buffer });
 * const rows = indexCounts([buffer.sample(256).indices], buffer.size, "uniform");
 * rows.length === buffer.size; // true: one row per slot
 * rows.reduce((sum, row) => sum + row.count, 0); // 256
 * ```
 */
export function indexCounts(
  draws: readonly ArrayLike<number>[],
  size: number,
  sampler: string,
): { sampler: string; index: number; count: number }[] {
  const counts = new Int32Array(size);
  for (const draw of draws) {
    for (let i = 0; i < draw.length; i++) {
      const slot = draw[i]!;
      if (slot < 0 || slot >= size) {
        throw new RangeError(`Expected slots in [0, ${size}) but found ${slot}`);
      }
      counts[slot]!++;
    }
  }
  return Array.from(counts, (count, index) => ({ sampler, index, count }));
}

/**
 * One row per distinct slot of a prioritized batch: its stored `p^alpha` and its
 * importance-sampling weight, labelled `series`, sorted by priority.
 *
 * @example
 * ```ts
 * import { PrioritizedReplayBuffer } from "../buffer/prioritized_replay_buffer.ts";
 * import { Rng } from "../rng.ts";
 * const buffer = new PrioritizedReplayBuffer(1000, { stateDim: 4, actionDim: 1, rng: new Rng(0) });
 * collectRandomEpisodes("CartPole-v1", { steps: 200, buffer });
 * const first = buffer.sample(64);
 * buffer.updatePriorities(first.indices, Array.from(first.indices, (slot) => 0.1 + (slot % 5)));
 * const rows = isWeightRows(buffer, buffer.sample(64), "beta=0.4"); // { series, slot, priority, weight }[]
 * ```
 */
export function isWeightRows(
  buffer: PrioritizedReplayBuffer,
  batch: PrioritizedBatch,
  series: string,
): { series: string; slot: number; priority: number; weight: number }[] {
  const seen = new Map<
    number,
    { series: string; slot: number; priority: number; weight: number }
  >();
  for (let i = 0; i < batch.size; i++) {
    const slot = batch.indices[i]!;
    if (!seen.has(slot)) {
      seen.set(slot, { series, slot, priority: buffer.priority(slot), weight: batch.weights[i]! });
    }
  }
  return [...seen.values()].sort((a, b) => a.priority - b.priority);
}

/** What {@linkcode countSummary} returns. */
export interface CountSummary {
  /** Mean draws per slot. */
  mean: number;
  /** Standard deviation over mean of the per-slot counts. */
  cv: number;
  /** Fraction of slots never drawn. */
  neverDrawn: number;
  /** Share of all draws that went to the most-drawn 10% of slots. */
  top10Share: number;
}

/**
 * Summarises per-slot counts from {@linkcode indexCounts}.
 *
 * @example
 * ```ts
 * countSummary([{ count: 0 }, { count: 2 }, { count: 2 }, { count: 4 }]);
 * // { mean: 2, cv: 0.707..., neverDrawn: 0.25, top10Share: 0.5 }
 * ```
 */
export function countSummary(rows: readonly { count: number }[]): CountSummary {
  if (rows.length === 0) throw new RangeError("Expected counts for at least one slot but found 0");
  const counts = rows.map((r) => r.count).sort((a, b) => b - a);
  const total = counts.reduce((a, b) => a + b, 0);
  const mean = total / counts.length;
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length);
  const top = counts.slice(0, Math.max(1, Math.round(counts.length / 10)));
  return {
    mean,
    cv: mean > 0 ? sd / mean : 0,
    neverDrawn: counts.filter((c) => c === 0).length / counts.length,
    top10Share: total > 0 ? top.reduce((a, b) => a + b, 0) / total : 0,
  };
}
