/**
 * The model-free baselines' per-environment settings, from RL Baselines3 Zoo
 * (https://github.com/DLR-RM/rl-baselines3-zoo): one frozen table per algorithm, one entry per
 * env id the algorithm supports, each value cited as the Zoo's key (`hyperparams/dqn.yml`,
 * `ppo.yml`, `sac.yml`) or as the Stable-Baselines3 default the Zoo leaves in place
 * (https://github.com/DLR-RM/stable-baselines3: `dqn/dqn.py`, `ppo/ppo.py`, `sac/sac.py`,
 * `common/policies.py`). Each entry also records the Zoo's `n_timesteps`, the trainers' default
 * budget. Where we deviate from the Zoo (no gSDE, for example), the entry says so.
 *
 * The trainers pick the env's entry by default and apply `config` overrides field by field:
 * `trainDQN({ envName: "Acrobot-v1", seed: 0 })` runs {@linkcode DQN_ZOO_PRESETS}'s Acrobot-v1
 * entry. The comparison harness sizes budgets with {@linkcode zooBudget}.
 *
 * @module
 */
import type { EnvId } from "../envs/types.ts";
import type { DqnConfig } from "./dqn.ts";
import type { PpoConfig } from "./ppo.ts";
import type { SacConfig } from "./sac.ts";

/** One env's Zoo settings for one algorithm. */
export interface ZooPreset<C> {
  /** The Zoo's `n_timesteps` for this env: the default (and fair) training budget. */
  readonly nTimesteps: number;
  /** The complete configuration. */
  readonly config: Readonly<C>;
}

/** An algorithm's presets by env id (only the envs `E` it supports). */
export type ZooTable<C, E extends EnvId = EnvId> =
  & Readonly<Partial<Record<EnvId, ZooPreset<C>>>>
  & Readonly<Record<E, ZooPreset<C>>>;

/** The envs DQN has Zoo presets for. */
export type DqnEnvId = "CartPole-v1" | "Acrobot-v1" | "MountainCar-v0";
/** The envs SAC has Zoo presets for (continuous actions). */
export type SacEnvId = "Pendulum-v1" | "MountainCarContinuous-v0";

/** The model-free methods that have Zoo presets. */
export type ZooMethod = "dqn" | "ppo" | "sac";

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// DQN. Fields the Zoo entry leaves out are SB3's DQN defaults: exploration_initial_eps 1.0,
// max_grad_norm 10, and PyTorch's Adam epsilon 1e-8. The exploration schedule runs over the
// Zoo's n_timesteps (SB3 measures exploration_fraction against total_timesteps).

/** DQN presets: CartPole-v1, Acrobot-v1, MountainCar-v0 (`hyperparams/dqn.yml`). */
export const DQN_ZOO_PRESETS: ZooTable<DqnConfig, DqnEnvId> = deepFreeze<
  ZooTable<DqnConfig, DqnEnvId>
>({
  "CartPole-v1": {
    nTimesteps: 50_000, // n_timesteps: !!float 5e4
    config: {
      learningRate: 2.3e-3, // learning_rate: !!float 2.3e-3
      batchSize: 64, // batch_size: 64
      bufferSize: 100_000, // buffer_size: 100000
      learningStarts: 1_000, // learning_starts: 1000
      gamma: 0.99, // gamma: 0.99
      targetUpdateInterval: 10, // target_update_interval: 10
      trainFreq: 256, // train_freq: 256
      gradientSteps: 128, // gradient_steps: 128
      explorationFraction: 0.16, // exploration_fraction: 0.16
      explorationTotalSteps: 50_000, // n_timesteps
      explorationInitialEps: 1, // SB3 default
      explorationFinalEps: 0.04, // exploration_final_eps: 0.04
      hiddenSizes: [256, 256], // policy_kwargs: "dict(net_arch=[256, 256])"
      maxGradNorm: 10, // SB3 default
      adamEpsilon: 1e-8, // PyTorch default
    },
  },
  "Acrobot-v1": {
    nTimesteps: 100_000, // n_timesteps: !!float 1e5
    config: {
      learningRate: 6.3e-4, // learning_rate: !!float 6.3e-4
      batchSize: 128, // batch_size: 128
      bufferSize: 50_000, // buffer_size: 50000
      learningStarts: 0, // learning_starts: 0
      gamma: 0.99, // gamma: 0.99
      targetUpdateInterval: 250, // target_update_interval: 250
      trainFreq: 4, // train_freq: 4
      gradientSteps: 4, // gradient_steps: -1 (SB3: as many as env steps in the round = train_freq)
      explorationFraction: 0.12, // exploration_fraction: 0.12
      explorationTotalSteps: 100_000, // n_timesteps
      explorationInitialEps: 1, // SB3 default
      explorationFinalEps: 0.1, // exploration_final_eps: 0.1
      hiddenSizes: [256, 256], // policy_kwargs: "dict(net_arch=[256, 256])"
      maxGradNorm: 10, // SB3 default
      adamEpsilon: 1e-8, // PyTorch default
    },
  },
  "MountainCar-v0": {
    nTimesteps: 120_000, // n_timesteps: !!float 1.2e5
    config: {
      learningRate: 4e-3, // learning_rate: !!float 4e-3
      batchSize: 128, // batch_size: 128
      bufferSize: 10_000, // buffer_size: 10000
      learningStarts: 1_000, // learning_starts: 1000
      gamma: 0.98, // gamma: 0.98
      targetUpdateInterval: 600, // target_update_interval: 600
      trainFreq: 16, // train_freq: 16
      gradientSteps: 8, // gradient_steps: 8
      explorationFraction: 0.2, // exploration_fraction: 0.2
      explorationTotalSteps: 120_000, // n_timesteps
      explorationInitialEps: 1, // SB3 default
      explorationFinalEps: 0.07, // exploration_final_eps: 0.07
      hiddenSizes: [256, 256], // policy_kwargs: "dict(net_arch=[256, 256])"
      maxGradNorm: 10, // SB3 default
      adamEpsilon: 1e-8, // PyTorch default
    },
  },
});

// ---------------------------------------------------------------------------------------------
// PPO. Fields the Zoo entry leaves out are SB3's PPO/ActorCriticPolicy defaults:
// learning_rate 3e-4 and clip_range 0.2 (constant), n_steps 2048, batch_size 64, n_epochs 10,
// gamma 0.99, gae_lambda 0.95, ent_coef 0, vf_coef 0.5, max_grad_norm 0.5, separate tanh
// [64, 64] policy and value networks, ortho_init True, log_std_init 0, Adam epsilon 1e-5.
// `normalize: true` is SB3's VecNormalize with its defaults (observations and rewards, clip 10,
// the Zoo passing the algorithm's gamma). Deviation: the Zoo's Pendulum-v1 and
// MountainCarContinuous-v0 entries use gSDE (`use_sde: True`); we use SB3's plain diagonal
// Gaussian with a state-independent log-std instead (no gSDE here), so those two entries are
// the Zoo's settings minus its exploration scheme; `log_std_init: -3.29` (MountainCarContinuous)
// scales gSDE's noise matrix, not an action std, and is replaced by SB3's default 0.

const PPO_SB3: Readonly<PpoConfig> = {
  numEnvs: 1, // SB3/Zoo default n_envs 1
  nSteps: 2048, // SB3 default
  batchSize: 64, // SB3 default
  nEpochs: 10, // SB3 default
  gamma: 0.99, // SB3 default
  gaeLambda: 0.95, // SB3 default
  learningRate: 3e-4, // SB3 default
  learningRateSchedule: "constant", // SB3 default (a float)
  clipRange: 0.2, // SB3 default
  clipRangeSchedule: "constant", // SB3 default (a float)
  scheduleTotalSteps: 1, // set per entry to n_timesteps
  entCoef: 0, // SB3 default
  vfCoef: 0.5, // SB3 default
  maxGradNorm: 0.5, // SB3 default
  hiddenSizes: [64, 64], // SB3 default, tanh
  orthoInit: true, // SB3 default ortho_init
  logStdInit: 0, // SB3 default log_std_init (continuous actions only)
  normalize: false, // Zoo default: no VecNormalize
  adamEpsilon: 1e-5, // SB3's on-policy default
};

/** PPO presets for all five envs (`hyperparams/ppo.yml`). */
export const PPO_ZOO_PRESETS: ZooTable<PpoConfig, EnvId> = deepFreeze<ZooTable<PpoConfig, EnvId>>({
  "CartPole-v1": {
    nTimesteps: 100_000, // n_timesteps: !!float 1e5
    config: {
      ...PPO_SB3,
      numEnvs: 8, // n_envs: 8
      nSteps: 32, // n_steps: 32
      batchSize: 256, // batch_size: 256
      gaeLambda: 0.8, // gae_lambda: 0.8
      gamma: 0.98, // gamma: 0.98
      nEpochs: 20, // n_epochs: 20
      entCoef: 0, // ent_coef: 0.0
      learningRate: 0.001, // learning_rate: lin_0.001
      learningRateSchedule: "linear",
      clipRange: 0.2, // clip_range: lin_0.2
      clipRangeSchedule: "linear",
      scheduleTotalSteps: 100_000, // n_timesteps
    },
  },
  "Pendulum-v1": {
    nTimesteps: 100_000, // n_timesteps: !!float 1e5
    config: {
      ...PPO_SB3,
      numEnvs: 4, // n_envs: 4
      nSteps: 1024, // n_steps: 1024
      gaeLambda: 0.95, // gae_lambda: 0.95
      gamma: 0.9, // gamma: 0.9
      nEpochs: 10, // n_epochs: 10
      entCoef: 0, // ent_coef: 0.0
      learningRate: 1e-3, // learning_rate: !!float 1e-3
      clipRange: 0.2, // clip_range: 0.2
      scheduleTotalSteps: 100_000, // n_timesteps
      // use_sde: True, sde_sample_freq: 4 -> plain Gaussian here (see above).
    },
  },
  "MountainCar-v0": {
    nTimesteps: 1_000_000, // n_timesteps: !!float 1e6
    config: {
      ...PPO_SB3,
      normalize: true, // normalize: true
      numEnvs: 16, // n_envs: 16
      nSteps: 16, // n_steps: 16
      gaeLambda: 0.98, // gae_lambda: 0.98
      gamma: 0.99, // gamma: 0.99
      nEpochs: 4, // n_epochs: 4
      entCoef: 0, // ent_coef: 0.0
      scheduleTotalSteps: 1_000_000, // n_timesteps
    },
  },
  "MountainCarContinuous-v0": {
    nTimesteps: 20_000, // n_timesteps: !!float 20000
    config: {
      ...PPO_SB3,
      normalize: true, // normalize: true
      numEnvs: 1, // n_envs: 1
      batchSize: 256, // batch_size: 256 (above the 8-step rollout: one minibatch of 8, as SB3)
      nSteps: 8, // n_steps: 8
      gamma: 0.9999, // gamma: 0.9999
      learningRate: 7.77e-5, // learning_rate: !!float 7.77e-05
      entCoef: 0.00429, // ent_coef: 0.00429
      clipRange: 0.1, // clip_range: 0.1
      nEpochs: 10, // n_epochs: 10
      gaeLambda: 0.9, // gae_lambda: 0.9
      maxGradNorm: 5, // max_grad_norm: 5
      vfCoef: 0.19, // vf_coef: 0.19
      orthoInit: false, // policy_kwargs: "dict(log_std_init=-3.29, ortho_init=False)"
      scheduleTotalSteps: 20_000, // n_timesteps
      // use_sde: True and log_std_init=-3.29 -> plain Gaussian, log_std_init 0 (see above).
    },
  },
  "Acrobot-v1": {
    nTimesteps: 1_000_000, // n_timesteps: !!float 1e6
    config: {
      ...PPO_SB3,
      normalize: true, // normalize: true
      numEnvs: 16, // n_envs: 16
      nSteps: 256, // n_steps: 256
      gaeLambda: 0.94, // gae_lambda: 0.94
      gamma: 0.99, // gamma: 0.99
      nEpochs: 4, // n_epochs: 4
      entCoef: 0, // ent_coef: 0.0
      scheduleTotalSteps: 1_000_000, // n_timesteps
    },
  },
});

// ---------------------------------------------------------------------------------------------
// SAC. Fields the Zoo entry leaves out are SB3's SAC defaults (`sac/sac.py`, `sac/policies.py`).

const SAC_SB3: Readonly<SacConfig> = {
  learningRate: 3e-4, // learning_rate: 3e-4
  bufferSize: 1_000_000, // buffer_size: 1_000_000
  learningStarts: 100, // learning_starts: 100
  batchSize: 256, // batch_size: 256
  tau: 0.005, // tau: 0.005
  gamma: 0.99, // gamma: 0.99
  trainFreq: 1, // train_freq: 1
  gradientSteps: 1, // gradient_steps: 1
  entCoef: "auto", // ent_coef: "auto"
  entCoefInit: 1, // "auto" starts at 1.0
  targetEntropy: "auto", // target_entropy: "auto" (-|A|)
  targetUpdateInterval: 1, // target_update_interval: 1
  hiddenSizes: [256, 256], // SAC's default net_arch [256, 256], ReLU
  adamEpsilon: 1e-8, // PyTorch's Adam default
  ouNoiseStd: 0, // action_noise: None
};

/** SAC presets: Pendulum-v1 and MountainCarContinuous-v0 (`hyperparams/sac.yml`). */
export const SAC_ZOO_PRESETS: ZooTable<SacConfig, SacEnvId> = deepFreeze<
  ZooTable<SacConfig, SacEnvId>
>({
  "Pendulum-v1": {
    nTimesteps: 20_000, // n_timesteps: 20000
    config: {
      ...SAC_SB3,
      learningRate: 1e-3, // learning_rate: !!float 1e-3
    },
  },
  "MountainCarContinuous-v0": {
    nTimesteps: 50_000, // n_timesteps: !!float 50000
    config: {
      ...SAC_SB3,
      learningRate: 3e-4, // learning_rate: !!float 3e-4
      bufferSize: 50_000, // buffer_size: 50000
      batchSize: 512, // batch_size: 512
      entCoef: 0.1, // ent_coef: 0.1
      trainFreq: 32, // train_freq: 32
      gradientSteps: 32, // gradient_steps: 32
      gamma: 0.9999, // gamma: 0.9999
      tau: 0.01, // tau: 0.01
      learningStarts: 0, // learning_starts: 0
      hiddenSizes: [64, 64], // policy_kwargs: "dict(log_std_init=-3.67, net_arch=[64, 64])"
      // use_sde: True -> no gSDE here; Ornstein-Uhlenbeck noise of std 0.5 instead, the Zoo's
      // setting for this env in td3.yml (noise_type: 'ornstein-uhlenbeck', noise_std: 0.5).
      // log_std_init=-3.67 belongs to gSDE and is not used (see sac.ts).
      ouNoiseStd: 0.5,
    },
  },
});

const TABLES = { dqn: DQN_ZOO_PRESETS, ppo: PPO_ZOO_PRESETS, sac: SAC_ZOO_PRESETS } as const;

/**
 * `table`'s preset for `envName`, or a `RangeError` naming the ids it has.
 *
 * @example
 * ```ts
 * import { DQN_ZOO_PRESETS, presetFor } from "./zoo_presets.ts";
 * const { nTimesteps, config } = presetFor(DQN_ZOO_PRESETS, "DQN", "Acrobot-v1");
 * ```
 * @throws {RangeError} `Expected envName to be one of CartPole-v1, Acrobot-v1, MountainCar-v0
 * for DQN but found "Pendulum-v1"`.
 */
export function presetFor<C>(
  table: Readonly<Partial<Record<EnvId, ZooPreset<C>>>>,
  method: string,
  envName: EnvId,
): ZooPreset<C> {
  const preset = Object.hasOwn(table, envName) ? table[envName] : undefined;
  if (preset === undefined) {
    throw new RangeError(
      `Expected envName to be one of ${Object.keys(table).join(", ")} for ${method} but found ` +
        JSON.stringify(envName),
    );
  }
  return preset;
}

/**
 * The env ids `method` has a Zoo preset for, in table order.
 *
 * @example
 * ```ts
 * import { zooEnvIds } from "./zoo_presets.ts";
 * zooEnvIds("sac"); // ["Pendulum-v1", "MountainCarContinuous-v0"]
 * ```
 */
export function zooEnvIds(method: ZooMethod): EnvId[] {
  return Object.keys(TABLES[method]) as EnvId[];
}

/**
 * The Zoo's `n_timesteps` for `method` on `envId`: the budget the trainer uses by default.
 *
 * @example
 * ```ts
 * import { zooBudget } from "./zoo_presets.ts";
 * zooBudget("dqn", "MountainCar-v0"); // 120000
 * ```
 * @throws {RangeError} when `method` is unknown or has no preset for `envId`.
 */
export function zooBudget(method: ZooMethod, envId: EnvId): number {
  if (!Object.hasOwn(TABLES, method)) {
    throw new RangeError(
      `Expected method to be one of ${Object.keys(TABLES).join(", ")} but found ${
        JSON.stringify(method)
      }`,
    );
  }
  const table: Readonly<Partial<Record<EnvId, ZooPreset<unknown>>>> = TABLES[method];
  return presetFor(table, method.toUpperCase(), envId).nTimesteps;
}
