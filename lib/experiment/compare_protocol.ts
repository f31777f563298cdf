/**
 * The comparison protocol: for each environment, the one evaluation schedule every method is
 * held to, the episodes per evaluation, and each method's real-step budget, each value with its
 * reason. Which methods an env admits follows from its action space (DQN: discrete actions;
 * SAC: continuous; PPO and the model-based loop: both).
 *
 * Fairness: every method on an env is evaluated every `evalEvery` real steps with the same
 * `evalEpisodes` greedy episodes and the same solved rule (`evaluationSolves` in
 * `lib/envs/registry.ts`). A method whose own schedule cannot stop at every multiple (PPO
 * evaluates after the update that crosses one, so at its rollout boundaries) reports the largest
 * gap between its evaluations as its rounding bound in `comparison.json`
 * (`methods.<m>.evaluation.maxGap`): its steps to solve overstate the first solving step by less
 * than that.
 *
 * @module
 */
import { envMetadata, isEnvId } from "../envs/registry.ts";
import type { EnvId } from "../envs/types.ts";
import { zooBudget } from "../agents/zoo_presets.ts";

/** The methods the harness can run. */
export type CompareMethod = "mbrl" | "dqn" | "ppo" | "sac";

/** All methods, in display order. */
export const COMPARE_METHODS: readonly CompareMethod[] = Object.freeze([
  "mbrl",
  "dqn",
  "ppo",
  "sac",
]);

/** The per-env protocol of a comparison. */
export interface ComparisonProtocol {
  /** The env. */
  readonly envId: EnvId;
  /** Real steps between evaluations, for every method. */
  readonly evalEvery: number;
  /** Greedy evaluation episodes per evaluation (the solved rule's mean is over these). */
  readonly evalEpisodes: number;
  /** Real-step budget per method that the env admits; an unsolved seed counts as this. */
  readonly budgets: Readonly<Partial<Record<CompareMethod, number>>>;
  /** Why each value is what it is. */
  readonly reasons: Readonly<Record<string, string>>;
}

/** Why the evaluation episodes are 10 on every env. */
const EPISODES_REASON = "10 greedy episodes per evaluation, as Gymnasium's solved thresholds " +
  "and the RL Baselines3 Zoo's reported means are taken over";

/** Why the model-based budget is what it is. */
const MBRL_BUDGET_REASON = "the model-based bar of issue 11 ('within real steps')";

/**
 * Model-free budgets are the RL Baselines3 Zoo's `n_timesteps` for that env (hyperparams/
 * dqn.yml, ppo.yml, sac.yml), read from the baselines' presets ({@linkcode zooBudget}), so a
 * baseline that needs its whole published budget gets it.
 */
const ZOO = "RL Baselines3 Zoo n_timesteps";

function protocol(p: ComparisonProtocol): ComparisonProtocol {
  return Object.freeze({
    ...p,
    budgets: Object.freeze({ ...p.budgets }),
    reasons: Object.freeze({ ...p.reasons }),
  });
}

/**
 * The frozen protocol table. Evaluation intervals equal the model-based presets' `eval.every`
 * (`MBRL_PRESETS` in `lib/agents/mbrl_config.ts`; a test keeps them equal), so the model-based
 * rows of a comparison are exactly `deno task train --env X` runs; the model-free methods are
 * held to the same interval.
 *
 * @example
 * ```ts
 * COMPARISON_PROTOCOLS["Acrobot-v1"].budgets.dqn; // 100000
 * ```
 */
export const COMPARISON_PROTOCOLS: Readonly<Record<EnvId, ComparisonProtocol>> = Object.freeze({
  "CartPole-v1": protocol({
    envId: "CartPole-v1",
    evalEvery: 100,
    evalEpisodes: 10,
    budgets: {
      mbrl: 500,
      dqn: zooBudget("dqn", "CartPole-v1"),
      ppo: zooBudget("ppo", "CartPole-v1"),
    },
    reasons: {
      evalEvery: "the MBRL preset's interval: a 500-step budget gives 4 evaluations after the " +
        "200-step warm-up; steps to solve are rounded up by less than 100",
      evalEpisodes: EPISODES_REASON,
      mbrl: MBRL_BUDGET_REASON,
      dqn: `${ZOO} (dqn.yml CartPole-v1: 5e4)`,
      ppo: `${ZOO} (ppo.yml CartPole-v1: 1e5)`,
    },
  }),
  "Pendulum-v1": protocol({
    envId: "Pendulum-v1",
    evalEvery: 200,
    evalEpisodes: 10,
    budgets: {
      mbrl: 1000,
      ppo: zooBudget("ppo", "Pendulum-v1"),
      sac: zooBudget("sac", "Pendulum-v1"),
    },
    reasons: {
      evalEvery: "the MBRL preset's interval: one evaluation per 200-step episode",
      evalEpisodes: EPISODES_REASON,
      mbrl: MBRL_BUDGET_REASON,
      ppo: `${ZOO} (ppo.yml Pendulum-v1: 1e5)`,
      sac: `${ZOO} (sac.yml Pendulum-v1: 20000)`,
    },
  }),
  "MountainCar-v0": protocol({
    envId: "MountainCar-v0",
    evalEvery: 1000,
    evalEpisodes: 10,
    budgets: {
      mbrl: 20_000,
      dqn: zooBudget("dqn", "MountainCar-v0"),
      ppo: zooBudget("ppo", "MountainCar-v0"),
    },
    reasons: {
      evalEvery: "the MBRL preset's interval: 20 evaluations in its 20,000-step budget",
      evalEpisodes: EPISODES_REASON,
      mbrl: MBRL_BUDGET_REASON,
      dqn: `${ZOO} (dqn.yml MountainCar-v0: 1.2e5)`,
      ppo: `${ZOO} (ppo.yml MountainCar-v0: 1e6)`,
    },
  }),
  "MountainCarContinuous-v0": protocol({
    envId: "MountainCarContinuous-v0",
    evalEvery: 1000,
    evalEpisodes: 10,
    budgets: {
      mbrl: 10_000,
      ppo: zooBudget("ppo", "MountainCarContinuous-v0"),
      sac: zooBudget("sac", "MountainCarContinuous-v0"),
    },
    reasons: {
      evalEvery: "the MBRL preset's interval: about one evaluation per 999-step episode",
      evalEpisodes: EPISODES_REASON,
      mbrl: MBRL_BUDGET_REASON,
      ppo: `${ZOO} (ppo.yml MountainCarContinuous-v0: 20000)`,
      sac: `${ZOO} (sac.yml MountainCarContinuous-v0: 50000)`,
    },
  }),
  "Acrobot-v1": protocol({
    envId: "Acrobot-v1",
    evalEvery: 500,
    evalEpisodes: 10,
    budgets: {
      mbrl: 5000,
      dqn: zooBudget("dqn", "Acrobot-v1"),
      ppo: zooBudget("ppo", "Acrobot-v1"),
    },
    reasons: {
      evalEvery: "the MBRL preset's interval: ten evaluations in its 5,000-step budget",
      evalEpisodes: EPISODES_REASON,
      mbrl: MBRL_BUDGET_REASON,
      dqn: `${ZOO} (dqn.yml Acrobot-v1: 1e5)`,
      ppo: `${ZOO} (ppo.yml Acrobot-v1: 1e6)`,
    },
  }),
});

/** Quick mode caps every model-free budget at this many real steps (seeds 0 and 1 only). */
export const QUICK_MODEL_FREE_CAP = 10_000;

/**
 * Checks that `envId` is a supported env id.
 *
 * @throws {TypeError} naming the allowed ids.
 */
export function assertCompareEnv(envId: unknown): asserts envId is EnvId {
  if (!isEnvId(envId)) {
    throw new TypeError(
      `Expected env to be one of ${Object.keys(COMPARISON_PROTOCOLS).join(", ")} but found ` +
        JSON.stringify(envId),
    );
  }
}

/**
 * The protocol of `envId`.
 *
 * @example
 * ```ts
 * protocolFor("Pendulum-v1").evalEvery; // 200
 * ```
 * @throws {TypeError} for an unknown env id.
 */
export function protocolFor(envId: string): ComparisonProtocol {
  assertCompareEnv(envId);
  return COMPARISON_PROTOCOLS[envId];
}

/**
 * The methods `envId` admits, in display order: the model-based loop and PPO everywhere, DQN on
 * discrete action spaces, SAC on continuous ones.
 *
 * @example
 * ```ts
 * methodsFor("Pendulum-v1"); // ["mbrl", "ppo", "sac"]
 * ```
 */
export function methodsFor(envId: string): CompareMethod[] {
  const discrete = envMetadata(protocolFor(envId).envId).actionSpace.kind === "discrete";
  return COMPARE_METHODS.filter((m) => m === "dqn" ? discrete : m === "sac" ? !discrete : true);
}

/**
 * Checks that `method` is a method of the harness that `envId` admits.
 *
 * @example
 * ```ts
 * assertMethodFor("dqn", "CartPole-v1");
 * ```
 * @throws {TypeError} naming what is allowed on that env (and why a known method is not).
 */
export function assertMethodFor(method: string, envId: string): asserts method is CompareMethod {
  const allowed = methodsFor(envId);
  if (allowed.includes(method as CompareMethod)) return;
  const why = method === "dqn"
    ? " (DQN needs discrete actions)"
    : method === "sac"
    ? " (SAC needs continuous actions)"
    : "";
  throw new TypeError(
    `Expected methods for ${envId} among ${allowed.join(",")}${why} but found "${method}"`,
  );
}
