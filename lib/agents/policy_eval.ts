/**
 * The one evaluation loop, shared by the model-free baselines and MBRL: `episodes` evaluation
 * environments stepped side by side, one batched policy call per time step for all
 * still-running episodes (a solved 10-episode CartPole evaluation is 500 calls on `[<=10, 4]`,
 * not 5,000 on `[1, 4]`). Evaluation steps never count as training steps.
 * {@linkcode evaluatePlanner} runs an MPC planner through it, planning for all live episodes
 * in one batched rollout per time step.
 *
 * @module
 */
import type { Env } from "../envs/types.ts";
import type { EnvAction, MpcPlanner } from "../planners/mod.ts";
import { Rng } from "../rng.ts";
import { mean, std } from "../stats.ts";

/**
 * Picks one action per row of `observations` (`[n * obsDim]` row-major); returns `[n]`
 * actions (Discrete indices as numbers, or Box actions). `slots[row]` is the episode index
 * (0-based) of each row, for policies that keep per-episode state.
 */
export type BatchPolicy = (
  observations: Float32Array,
  n: number,
  slots: readonly number[],
) => ArrayLike<EnvAction>;

/** Options of {@linkcode evaluateBatched}. */
export interface EvaluateBatchedOptions {
  /** Called for each episode after its env reset and before its first action. */
  onEpisodeStart?: (episode: number) => void;
  /**
   * Called when an episode ends, with its index, its return and the returns of all episodes
   * finished so far (in finishing order).
   */
  onEpisodeEnd?: (episode: number, episodeReturn: number, finished: readonly number[]) => void;
  /**
   * Checked after every finished episode with the finished returns (finishing order) and the
   * episode count: `true` stops the evaluation (for example once the mean cannot reach a
   * threshold: `evaluationCannotSolve`). @default {never stop early}
   */
  stopWhen?: (finished: readonly number[], episodes: number) => boolean;
}

/** Result of {@linkcode evaluateBatched}. */
export interface EvalResult {
  /** Undiscounted return of each finished episode, in episode order, `[<= episodes]`. */
  returns: number[];
  /** Mean of `returns`. */
  mean: number;
  /** Population standard deviation of the returns. */
  std: number;
  /** True when `stopWhen` ended the evaluation before every episode finished. */
  stoppedEarly: boolean;
}

/**
 * Runs one episode in each of `envs` (episode `e` reset with the `e`-th seed drawn from
 * `rng`) with `policy`, batching the still-running episodes, and returns their returns.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/mod.ts";
 * import { Rng } from "../rng.ts";
 * const envs = Array.from({ length: 10 }, () => makeEnv("CartPole-v1"));
 * const { mean } = evaluateBatched(envs, (_obs, n) => new Int32Array(n), new Rng(0));
 * ```
 */
export function evaluateBatched(
  envs: readonly Env[],
  policy: BatchPolicy,
  rng: Rng,
  options: EvaluateBatchedOptions = {},
): EvalResult {
  const run = lockstepSteps(envs, policy, rng, options);
  let next = run.next();
  while (next.done !== true) next = run.next();
  return next.value;
}

/**
 * {@linkcode evaluateBatched} one time step per `next()`: each yield gives the number of
 * episodes finished so far; the return value is the result.
 */
function* lockstepSteps(
  envs: readonly Env[],
  policy: BatchPolicy,
  rng: Rng,
  options: EvaluateBatchedOptions,
): Generator<number, EvalResult, void> {
  const dim = envs[0]!.observationSpace.shape[0]!;
  const obs = envs.map((env) => env.reset({ seed: rng.nextSeed() }).observation);
  envs.forEach((_, e) => options.onEpisodeStart?.(e));
  const returns = envs.map(() => 0);
  const ended = envs.map(() => false);
  const finished: number[] = [];
  let alive = envs.map((_, i) => i);
  let stoppedEarly = false;
  const batch = new Float32Array(envs.length * dim);
  while (alive.length > 0 && !stoppedEarly) {
    alive.forEach((e, row) => batch.set(obs[e]!, row * dim));
    const actions = policy(batch.subarray(0, alive.length * dim), alive.length, alive);
    const still: number[] = [];
    for (let row = 0; row < alive.length; row++) {
      const e = alive[row]!;
      const step = envs[e]!.step(actions[row]!);
      returns[e]! += step.reward;
      obs[e] = step.observation;
      if (!step.terminated && !step.truncated) {
        still.push(e);
        continue;
      }
      ended[e] = true;
      finished.push(returns[e]!);
      options.onEpisodeEnd?.(e, returns[e]!, finished);
      if (
        options.stopWhen !== undefined && finished.length < envs.length &&
        options.stopWhen(finished, envs.length)
      ) {
        stoppedEarly = true;
        break;
      }
    }
    alive = still;
    yield finished.length;
  }
  const done = returns.filter((_, e) => ended[e]);
  return { returns: done, mean: mean(done), std: std(done), stoppedEarly };
}

/** Options of {@linkcode evaluatePlanner}. */
export interface EvaluatePlannerOptions {
  /** Episodes (at most `envs.length`; the first `episodes` envs are used). @default {envs.length} */
  episodes?: number;
  /**
   * The evaluation stream: episode `e`'s env is reset with its `e`-th `nextSeed()`, and its
   * planner noise comes from `new Rng(seed)` with the `(episodes + e)`-th. The same object
   * can serve every evaluation of a run: each takes fresh seeds.
   */
  rng: Rng;
  /** Early stop, as in {@linkcode EvaluateBatchedOptions.stopWhen}. */
  stopWhen?: (finished: readonly number[], episodes: number) => boolean;
  /** Called when an episode ends (index, return, finished returns so far). */
  onEpisode?: (episode: number, episodeReturn: number, finished: readonly number[]) => void;
  /**
   * Plan for all live episodes in one batched call per time step (`true`), or one episode
   * after another with the same seeds and streams (`false`: the reference the lockstep run
   * must equal). @default {true}
   */
  lockstep?: boolean;
}

/** Result of {@linkcode evaluatePlanner}. */
export interface PlannerEvalResult extends EvalResult {
  /** Mean planning wall time per episode step, ms (a batched call's time shared out). */
  planMs: number;
  /** Episode steps planned. */
  planSteps: number;
  /** Wall time of the whole evaluation, s. */
  seconds: number;
}

/**
 * Evaluates `planner` greedily on `envs`: one episode per env, the env's true returns.
 * Episode `e` plans in the planner's slot `e + 1` (slot 0, the training slot, is left
 * untouched) with its own streams, so the result does not depend on `lockstep`, nor on the
 * planner's worker count; the slots are released afterwards. Statistics taken from the planner
 * before the evaluation are discarded (`takeStats()` closes the caller's window first).
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/mod.ts";
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * import { RandomShootingMPC } from "../planners/mod.ts";
 * import { Rng } from "../rng.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const planner = new RandomShootingMPC({ dynamicsModel, envId: "CartPole-v1", numSamples: 20 });
 * const envs = Array.from({ length: 2 }, () => makeEnv("CartPole-v1"));
 * const { mean, planSteps } = evaluatePlanner(planner, envs, { rng: new Rng(0) });
 * ```
 * @throws {RangeError} when `episodes` is not in `[1, envs.length]`.
 */
export function evaluatePlanner(
  planner: MpcPlanner,
  envs: readonly Env[],
  options: EvaluatePlannerOptions,
): PlannerEvalResult {
  const episodes = checkEpisodes(options.episodes, envs.length);
  const { rng, lockstep = true } = options;
  const started = performance.now();
  const used = envs.slice(0, episodes);
  planner.takeStats();
  // Lockstep starts every episode at once, in order, right after drawing the env seeds.
  const startEpisode = (e: number) => planner.resetSlot(e + 1, new Rng(rng.nextSeed()));
  let result: EvalResult;
  try {
    if (lockstep) {
      result = evaluateBatched(
        used,
        (obs, n, slots) => planner.getActions(obs, n, slots.map((e) => e + 1)),
        rng,
        {
          onEpisodeStart: startEpisode,
          onEpisodeEnd: options.onEpisode,
          stopWhen: options.stopWhen,
        },
      );
    } else {
      result = evaluateOneByOne(planner, used, options);
    }
  } finally {
    for (let e = 0; e < episodes; e++) planner.releaseSlot(e + 1);
  }
  const plan = planner.takeStats();
  return {
    ...result,
    planMs: plan.msMean,
    planSteps: plan.steps,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Options of {@linkcode evaluatePlannerAsync}. */
export interface EvaluatePlannerAsyncOptions extends Omit<EvaluatePlannerOptions, "lockstep"> {
  /**
   * Awaited after every time step in which an episode ended, and every `checkEvery` time
   * steps, letting the event loop run (signal handlers); `true` stops the evaluation, which
   * then returns `null` (interrupted). @default {never stop}
   */
  checkpoint?: () => Promise<boolean>;
  /** Time steps between checkpoints when no episode ends. @default {100} */
  checkEvery?: number;
}

/**
 * {@linkcode evaluatePlanner} in lockstep, awaiting `checkpoint` between time steps so that a
 * run can be interrupted mid-evaluation: the MBRL loop's evaluation. Same returns as the
 * synchronous call with the same stream.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/mod.ts";
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * import { RandomShootingMPC } from "../planners/mod.ts";
 * import { Rng } from "../rng.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const planner = new RandomShootingMPC({ dynamicsModel, envId: "CartPole-v1", numSamples: 20 });
 * const envs = Array.from({ length: 2 }, () => makeEnv("CartPole-v1"));
 * const result = await evaluatePlannerAsync(planner, envs, {
 *   rng: new Rng(0),
 *   checkpoint: () => Promise.resolve(false),
 * });
 * result?.mean;
 * ```
 * @throws {RangeError} when `episodes` is not in `[1, envs.length]`.
 */
export async function evaluatePlannerAsync(
  planner: MpcPlanner,
  envs: readonly Env[],
  options: EvaluatePlannerAsyncOptions,
): Promise<PlannerEvalResult | null> {
  const episodes = checkEpisodes(options.episodes, envs.length);
  const { rng, checkpoint, checkEvery = 100 } = options;
  const started = performance.now();
  planner.takeStats();
  const run = lockstepSteps(
    envs.slice(0, episodes),
    (obs, n, slots) => planner.getActions(obs, n, slots.map((e) => e + 1)),
    rng,
    {
      onEpisodeStart: (e) => planner.resetSlot(e + 1, new Rng(rng.nextSeed())),
      onEpisodeEnd: options.onEpisode,
      stopWhen: options.stopWhen,
    },
  );
  let result: EvalResult | null = null;
  try {
    let finished = 0;
    let sinceCheck = 0;
    for (let next = run.next(); result === null; next = run.next()) {
      if (next.done === true) {
        result = next.value;
        break;
      }
      sinceCheck++;
      if (checkpoint !== undefined && (next.value > finished || sinceCheck >= checkEvery)) {
        finished = next.value;
        sinceCheck = 0;
        if (await checkpoint()) break;
      }
    }
  } finally {
    for (let e = 0; e < episodes; e++) planner.releaseSlot(e + 1);
  }
  const plan = planner.takeStats();
  if (result === null) return null;
  return {
    ...result,
    planMs: plan.msMean,
    planSteps: plan.steps,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Options of {@linkcode evaluatePlannerInWaves}. */
export interface EvaluateInWavesOptions extends EvaluatePlannerAsyncOptions {
  /**
   * Episodes in the first wave; the other `episodes - firstWave` run together afterwards.
   * 0, or at least `episodes`: one wave (plain {@linkcode evaluatePlannerAsync}).
   */
  firstWave: number;
}

/**
 * {@linkcode evaluatePlannerAsync} in two waves: the first `firstWave` episodes in lockstep,
 * then the rest, with `stopWhen` checked after every finished episode across waves and again
 * between them (with every return so far). With an early stop, a weak controller is refused
 * after the small first wave instead of being planned for in all episodes at once. Episode
 * indices, the stream's draws and therefore the returns are those of consecutive
 * `evaluatePlannerAsync` calls, one per wave, on the same `rng`.
 *
 * @example
 * ```ts
 * import { makeEnv } from "../envs/mod.ts";
 * import { LinearDynamicsModel } from "../models/mod.ts";
 * import { RandomShootingMPC } from "../planners/mod.ts";
 * import { Rng } from "../rng.ts";
 * const dynamicsModel = new LinearDynamicsModel({ stateDim: 4, actionDim: 1 });
 * const planner = new RandomShootingMPC({ dynamicsModel, envId: "CartPole-v1", numSamples: 20 });
 * const envs = Array.from({ length: 4 }, () => makeEnv("CartPole-v1"));
 * const result = await evaluatePlannerInWaves(planner, envs, { rng: new Rng(0), firstWave: 2 });
 * result?.returns.length; // 4
 * ```
 * @throws {RangeError} when `episodes` is not in `[1, envs.length]` or `firstWave` is not a
 *   non-negative integer.
 */
export async function evaluatePlannerInWaves(
  planner: MpcPlanner,
  envs: readonly Env[],
  options: EvaluateInWavesOptions,
): Promise<PlannerEvalResult | null> {
  const episodes = checkEpisodes(options.episodes, envs.length);
  const { firstWave, stopWhen, onEpisode } = options;
  if (!Number.isInteger(firstWave) || firstWave < 0) {
    throw new RangeError(
      `Expected firstWave to be a non-negative integer but found ${firstWave}`,
    );
  }
  const used = envs.slice(0, episodes);
  const waves = firstWave > 0 && firstWave < episodes
    ? [used.slice(0, firstWave), used.slice(firstWave)]
    : [used];
  const returns: number[] = [];
  let stoppedEarly = false;
  let seconds = 0;
  let planMsSum = 0;
  let planSteps = 0;
  for (const wave of waves) {
    const before = [...returns];
    const offset = before.length;
    const outcome = await evaluatePlannerAsync(planner, wave, {
      ...options,
      episodes: wave.length,
      stopWhen: stopWhen === undefined
        ? undefined
        : (finished) => stopWhen([...before, ...finished], episodes),
      onEpisode: onEpisode === undefined
        ? undefined
        : (e, ret, finished) => onEpisode(offset + e, ret, [...before, ...finished]),
    });
    if (outcome === null) return null;
    returns.push(...outcome.returns);
    seconds += outcome.seconds;
    planMsSum += outcome.planMs * outcome.planSteps;
    planSteps += outcome.planSteps;
    // Within a wave the evaluator stops by itself; between waves the check is here.
    if (
      outcome.stoppedEarly ||
      (stopWhen !== undefined && returns.length < episodes && stopWhen(returns, episodes))
    ) {
      stoppedEarly = returns.length < episodes;
      break;
    }
  }
  return {
    returns,
    mean: mean(returns),
    std: std(returns),
    stoppedEarly,
    planMs: planSteps > 0 ? planMsSum / planSteps : NaN,
    planSteps,
    seconds,
  };
}

/** `episodes` resolved against the env count. */
function checkEpisodes(episodes: number | undefined, envCount: number): number {
  const value = episodes ?? envCount;
  if (!Number.isInteger(value) || value < 1 || value > envCount) {
    throw new RangeError(
      `Expected episodes to be an integer in [1, ${envCount}] (one env each) but found ${value}`,
    );
  }
  return value;
}

/** The sequential reference of {@linkcode evaluatePlanner}: same seeds, streams and stop rule. */
function evaluateOneByOne(
  planner: MpcPlanner,
  envs: readonly Env[],
  options: EvaluatePlannerOptions,
): EvalResult {
  // The same draws in the same order as lockstep: env seeds, then planner seeds.
  const seeds = envs.map(() => options.rng.nextSeed());
  const plannerSeeds = envs.map(() => options.rng.nextSeed());
  const returns: number[] = [];
  let stoppedEarly = false;
  for (let e = 0; e < envs.length; e++) {
    let obs = envs[e]!.reset({ seed: seeds[e] }).observation;
    planner.resetSlot(e + 1, new Rng(plannerSeeds[e]!));
    let ret = 0;
    for (;;) {
      const step = envs[e]!.step(planner.getActions(obs, 1, [e + 1])[0]!);
      ret += step.reward;
      obs = step.observation;
      if (step.terminated || step.truncated) break;
    }
    returns.push(ret);
    options.onEpisode?.(e, ret, returns);
    if (
      options.stopWhen !== undefined && returns.length < envs.length &&
      options.stopWhen(returns, envs.length)
    ) {
      stoppedEarly = true;
      break;
    }
  }
  return { returns, mean: mean(returns), std: std(returns), stoppedEarly };
}

/** Index of the largest of `k` values in each row of `values` (`[n * k]`); returns `[n]`. */
export function argmaxRows(values: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** What the model-free trainers report through `onProgress` (after each evaluation). */
export interface BaselineProgress {
  /** Cumulative real environment steps (evaluation excluded). */
  envSteps: number;
  /** The step budget. */
  maxSteps: number;
  /** Training episodes finished so far. */
  episodes: number;
  /** The latest evaluation mean, or `null` before the first evaluation. */
  lastEvalMean: number | null;
}
