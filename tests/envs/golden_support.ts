/**
 * Loading and replaying the Gymnasium 1.4.0 golden trajectories in `../shared/golden/`
 * (see its README: section 2.1 per-step check, 2.2 tolerances, 2.3 open-loop replay).
 *
 * Run `deno run -R --allow-env tests/envs/golden_support.ts` to print the largest differences
 * per environment.
 *
 * @module
 */
import { ENV_IDS, type EnvId, makeEnv, observationOf } from "../../lib/envs/mod.ts";

/** One recorded step. */
export interface GoldenStep {
  action: number;
  obs: number[];
  state: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/** One recorded episode. */
export interface GoldenEpisode {
  seed: number;
  policy: string;
  reset_options: Record<string, number> | null;
  init_obs: number[];
  init_state: number[];
  steps: GoldenStep[];
  open_loop_steps: number;
}

/** One golden file. */
export interface GoldenFile {
  env_id: EnvId;
  max_episode_steps: number;
  episodes: GoldenEpisode[];
}

/** `|got - expected| <= atol + rtol * |expected|`. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** A tolerance tier of the README's section 2.2. */
export interface Tier {
  name: string;
  obs: Tolerance;
  state: Tolerance;
  reward: Tolerance;
}

/** The README's default tier (any correct float64 port). */
export const DEFAULT_TIER: Tier = {
  name: "default",
  obs: { atol: 1e-6, rtol: 1e-6 },
  state: { atol: 1e-6, rtol: 1e-6 },
  reward: { atol: 1e-6, rtol: 1e-6 },
};

/** The README's strict tier (ports that reproduce NumPy's float32 rounding). */
export const STRICT_TIER: Tier = {
  name: "strict",
  obs: { atol: 1e-12, rtol: 1.2e-7 },
  state: { atol: 1e-12, rtol: 1e-12 },
  reward: { atol: 1e-9, rtol: 1e-12 },
};

/** The golden folder: `$GOLDEN_DIR`, else `../shared/golden/` beside the repository root. */
export function goldenDir(): string {
  const override = Deno.env.get("GOLDEN_DIR");
  if (override) return override.endsWith("/") ? override : `${override}/`;
  return new URL("../../../shared/golden/", import.meta.url).pathname;
}

/** Loads one env's golden file; throws a clear error when it is missing. */
export async function loadGolden(id: EnvId): Promise<GoldenFile> {
  const path = `${goldenDir()}${id}.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Golden trajectories for ${id} not found at ${path} (set GOLDEN_DIR to the folder ` +
        `holding the five <env id>.json files): ${error}`,
    );
  }
  const file = JSON.parse(text) as GoldenFile;
  if (file.env_id !== id || !Array.isArray(file.episodes) || file.episodes.length === 0) {
    throw new Error(`Golden file ${path} does not hold episodes of ${id}`);
  }
  return file;
}

/** Largest absolute differences seen. */
export interface MaxDiffs {
  obs: number;
  state: number;
  reward: number;
  /** Acrobot: in float32 ulps; other envs: absolute. */
  initObs: number;
}

/** The outcome of replaying a file at one or more tiers. */
export interface ReplayReport {
  id: EnvId;
  episodes: number;
  steps: number;
  maxDiffs: MaxDiffs;
  /** Human-readable descriptions of every mismatch, per tier name (flags count in every tier). */
  mismatches: Record<string, string[]>;
}

function within(got: number, expected: number, tol: Tolerance): boolean {
  return Math.abs(got - expected) <= tol.atol + tol.rtol * Math.abs(expected);
}

/** Distance in float32 ulps between two float32 values of the same sign. */
export function float32Ulps(a: number, b: number): number {
  const view = new Int32Array(Float32Array.of(a, b).buffer);
  const ia = view[0]! < 0 ? -(view[0]! & 0x7fffffff) : view[0]!;
  const ib = view[1]! < 0 ? -(view[1]! & 0x7fffffff) : view[1]!;
  return Math.abs(ia - ib);
}

function compareVectors(
  what: "obs" | "state",
  got: ArrayLike<number>,
  expected: number[],
  tiers: Tier[],
  where: string,
  report: ReplayReport,
): void {
  if (got.length !== expected.length) {
    for (const tier of tiers) {
      report.mismatches[tier.name]!.push(
        `${where}: ${what} length ${got.length}, expected ${expected.length}`,
      );
    }
    return;
  }
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(got[i]! - expected[i]!);
    report.maxDiffs[what] = Math.max(report.maxDiffs[what], Number.isNaN(diff) ? Infinity : diff);
    for (const tier of tiers) {
      if (!within(got[i]!, expected[i]!, tier[what])) {
        report.mismatches[tier.name]!.push(
          `${where}: ${what}[${i}] = ${got[i]}, expected ${expected[i]} (diff ${diff})`,
        );
      }
    }
  }
}

/**
 * The README's section 2.1 check on every step of every episode: set the recorded previous
 * state, step with the recorded action, compare obs, state, reward and both flags, plus
 * `observation(init_state)` against `init_obs` (Acrobot: at most 1 float32 ulp) and, for
 * MountainCarContinuous, that every post-step state is float32-valued.
 */
export function replayPerStep(file: GoldenFile, tiers: Tier[]): ReplayReport {
  const id = file.env_id;
  const report: ReplayReport = {
    id,
    episodes: file.episodes.length,
    steps: 0,
    maxDiffs: { obs: 0, state: 0, reward: 0, initObs: 0 },
    mismatches: Object.fromEntries(tiers.map((tier) => [tier.name, []])),
  };
  const all = (message: string) => {
    for (const tier of tiers) report.mismatches[tier.name]!.push(message);
  };
  const env = makeEnv(id);
  if (env.maxEpisodeSteps !== file.max_episode_steps) {
    all(`maxEpisodeSteps ${env.maxEpisodeSteps}, expected ${file.max_episode_steps}`);
  }
  file.episodes.forEach((episode, e) => {
    const label = `episode ${e} (seed ${episode.seed}, ${episode.policy})`;
    const initObs = observationOf(id, episode.init_state);
    if (id === "Acrobot-v1") {
      for (let i = 0; i < episode.init_obs.length; i++) {
        const ulps = float32Ulps(initObs[i]!, episode.init_obs[i]!);
        report.maxDiffs.initObs = Math.max(report.maxDiffs.initObs, ulps);
        if (ulps > 1) all(`${label} init_obs[${i}]: ${initObs[i]} is ${ulps} float32 ulps away`);
      }
    } else {
      for (let i = 0; i < episode.init_obs.length; i++) {
        report.maxDiffs.initObs = Math.max(
          report.maxDiffs.initObs,
          Math.abs(initObs[i]! - episode.init_obs[i]!),
        );
      }
      compareVectors("obs", initObs, episode.init_obs, tiers, `${label} init_obs`, report);
    }
    env.reset();
    let prev = episode.init_state;
    episode.steps.forEach((step, t) => {
      const where = `${label} step ${t}`;
      env.setState(prev);
      const result = env.step(step.action);
      const state = env.getState();
      report.steps++;
      compareVectors("obs", result.observation, step.obs, tiers, where, report);
      compareVectors("state", state, step.state, tiers, where, report);
      const diff = Math.abs(result.reward - step.reward);
      report.maxDiffs.reward = Math.max(
        report.maxDiffs.reward,
        Number.isNaN(diff) ? Infinity : diff,
      );
      for (const tier of tiers) {
        if (!within(result.reward, step.reward, tier.reward)) {
          report.mismatches[tier.name]!.push(
            `${where}: reward ${result.reward}, expected ${step.reward} (diff ${diff})`,
          );
        }
      }
      if (result.terminated !== step.terminated || result.truncated !== step.truncated) {
        all(
          `${where}: terminated/truncated ${result.terminated}/${result.truncated}, ` +
            `expected ${step.terminated}/${step.truncated}`,
        );
      }
      for (let i = 0; i < result.observation.length; i++) {
        const v = result.observation[i]!;
        if (Math.fround(v) !== v) all(`${where}: obs[${i}] = ${v} is not a float32 value`);
      }
      if (id === "MountainCarContinuous-v0") {
        state.forEach((v, i) => {
          if (Math.fround(v) !== v) all(`${where}: state[${i}] = ${v} is not a float32 value`);
        });
      }
      prev = step.state;
    });
  });
  return report;
}

/** Outcome of the section 2.3 open-loop replay. */
export interface OpenLoopReport {
  id: EnvId;
  /** Steps compared (the sum of `open_loop_steps`). */
  steps: number;
  /** Largest `|obs - expected|` over the compared steps. */
  maxObsDiff: number;
  /** Episodes replayed over their whole length with identical observations. */
  bitIdenticalEpisodes: number;
  mismatches: string[];
}

/**
 * The README's section 2.3 test: from `init_state`, apply the recorded actions without
 * resetting the state; for `t < open_loop_steps` the obs must be within 1e-4 and `terminated`
 * equal; when `open_loop_steps` covers the episode, the final flags must match too.
 */
export function replayOpenLoop(file: GoldenFile): OpenLoopReport {
  const id = file.env_id;
  const report: OpenLoopReport = {
    id,
    steps: 0,
    maxObsDiff: 0,
    bitIdenticalEpisodes: 0,
    mismatches: [],
  };
  const env = makeEnv(id);
  file.episodes.forEach((episode, e) => {
    const label = `episode ${e} (seed ${episode.seed}, ${episode.policy})`;
    env.reset();
    env.setState(episode.init_state);
    let identical = true;
    for (let t = 0; t < episode.steps.length; t++) {
      const step = episode.steps[t]!;
      const result = env.step(step.action);
      let diff = 0;
      for (let i = 0; i < step.obs.length; i++) {
        diff = Math.max(diff, Math.abs(result.observation[i]! - step.obs[i]!));
      }
      if (diff !== 0 || result.terminated !== step.terminated) identical = false;
      if (t < episode.open_loop_steps) {
        report.steps++;
        report.maxObsDiff = Math.max(report.maxObsDiff, diff);
        if (!(diff <= 1e-4)) report.mismatches.push(`${label} step ${t}: max obs diff ${diff}`);
        if (result.terminated !== step.terminated) {
          report.mismatches.push(
            `${label} step ${t}: terminated ${result.terminated}, expected ${step.terminated}`,
          );
        }
      }
      if (t === episode.steps.length - 1 && episode.open_loop_steps === episode.steps.length) {
        if (result.terminated !== step.terminated || result.truncated !== step.truncated) {
          report.mismatches.push(
            `${label} final step ${t}: terminated/truncated ${result.terminated}/` +
              `${result.truncated}, expected ${step.terminated}/${step.truncated}`,
          );
        }
      }
      // Past open_loop_steps the replay may legitimately diverge and end early.
      if (result.terminated || result.truncated) {
        if (t < episode.steps.length - 1) identical = false;
        break;
      }
    }
    if (identical) report.bitIdenticalEpisodes++;
  });
  return report;
}

if (import.meta.main) {
  for (const id of ENV_IDS) {
    const file = await loadGolden(id);
    const perStep = replayPerStep(file, [DEFAULT_TIER, STRICT_TIER]);
    const openLoop = replayOpenLoop(file);
    const d = perStep.maxDiffs;
    console.log(
      `${id}: ${perStep.episodes} episodes, ${perStep.steps} steps; max |diff| obs ${d.obs}, ` +
        `state ${d.state}, reward ${d.reward}, init_obs ${d.initObs}${
          id === "Acrobot-v1" ? " ulp" : ""
        }; mismatches default ${perStep.mismatches.default!.length}, strict ${
          perStep.mismatches.strict!.length
        }; open loop: ${openLoop.steps} steps, max obs diff ${openLoop.maxObsDiff}, ` +
        `${openLoop.bitIdenticalEpisodes}/${file.episodes.length} episodes bit-identical, ` +
        `${openLoop.mismatches.length} mismatches`,
    );
    for (const line of [...perStep.mismatches.strict!, ...openLoop.mismatches].slice(0, 5)) {
      console.log(`  ${line}`);
    }
  }
}
