/**
 * What a dynamics model is built from: the options every model takes, their defaults
 * (declared once, here), the resolved configuration that `model.json` stores, and the
 * settings read back from a built model.
 *
 * @module
 */
import type { Space } from "../envs/types.ts";
import type { AdamOptions } from "../nn/adam.ts";
import type { Activation } from "../nn/mlp.ts";
import type { Rng } from "../rng.ts";
import { assertPositiveInt } from "../validate.ts";
import { checkActionSpace } from "./input_checks.ts";
import type { MemberConfig } from "./member.ts";

/**
 * How a model runs inference (`predict`, `sample`, and so planning and evaluation):
 * `"kernel"` on the generated relaxed-SIMD wasm kernel of `lib/nn/dense_kernel.ts` (about
 * 1.5x tfjs's wasm matMul on our machines, `deno task bench:plan`), `"tfjs"` through tfjs's forward pass. Training
 * always runs on tfjs. The two agree to ~1e-6 relative, not bit for bit, so a seeded run's
 * actions can differ between them.
 */
export type ModelInference = "kernel" | "tfjs";

/** Every {@linkcode ModelInference}. */
export const MODEL_INFERENCES: readonly ModelInference[] = Object.freeze(["kernel", "tfjs"]);

/** Options shared by every dynamics model. */
export interface DynamicsModelOptions {
  /** State (observation) dimension. */
  stateDim: number;
  /** Action dimension (1 for a Discrete index fed as a number). */
  actionDim: number;
  /**
   * The env's action space. When given, `predict`, `sample` and `train` reject actions a
   * `Discrete` space does not hold (non-integers, or outside `[0, n)`); `Box` actions need only
   * be finite (planners may propose values outside the box; the env clips them).
   * @default {undefined (any finite action)}
   */
  actionSpace?: Space;
  /** Hidden layer widths. @default {[256, 256]} */
  hiddenSizes?: readonly number[];
  /** Hidden activation (`"swish"` is PETS's choice; `"relu"` fuses into the matMul). @default {"relu"} */
  activation?: Activation;
  /** Gaussian head trained by NLL (`true`) or a deterministic mean trained by MSE. @default {true} */
  probabilistic?: boolean;
  /** Adds a termination classifier (a logit trained with binary cross-entropy). @default {false} */
  learnTermination?: boolean;
  /** Adam step size. @default {3e-4} */
  learningRate?: number;
  /** Adam epsilon (PyTorch's 1e-8; tfjs's default is 1e-7). @default {1e-8} */
  epsilon?: number;
  /** Weight decay on the weight matrices (not biases or log-std bounds). @default {0} */
  weightDecay?: number;
  /** `"decoupled"` (AdamW) or `"l2"` (added to the gradient, as mbrl-lib). @default {"decoupled"} */
  weightDecayMode?: "decoupled" | "l2";
  /** Global gradient-norm clip per member and step. @default {10} */
  clipNorm?: number;
  /** Initial upper soft bound of the normalised log-std (PETS: log-var 0.5). @default {0.25} */
  maxLogStdInit?: number;
  /** Initial lower soft bound of the normalised log-std (PETS: log-var -10). @default {-5} */
  minLogStdInit?: number;
  /** Weight of the bound regulariser `sum(max) - sum(min)` (PETS: 0.01). @default {0.01} */
  boundsWeight?: number;
  /** Inference engine (see {@linkcode ModelInference}). @default {"kernel"} */
  inference?: ModelInference;
  /** Seeded stream for initialisation, data splits, minibatches and bootstraps. @default {new Rng(0)} */
  rng?: Rng;
}

/** Which public class a saved model is. */
export type DynamicsModelKind = "probabilistic" | "ensemble";

/** Everything needed to rebuild a model's architecture (saved in `model.json`). */
export interface DynamicsModelConfig {
  kind: DynamicsModelKind;
  stateDim: number;
  actionDim: number;
  /** The action space the model checks actions against, or `null` for none. */
  actionSpace: Space | null;
  hiddenSizes: number[];
  activation: Activation;
  /** Whether each member has a Gaussian head (an ensemble may have deterministic members). */
  probabilistic: boolean;
  learnTermination: boolean;
  /** Member networks (1 for a single model). */
  numModels: number;
  /** Members used for prediction. */
  numElites: number;
  bootstrap: boolean;
  learningRate: number;
  epsilon: number;
  weightDecay: number;
  weightDecayMode: "decoupled" | "l2";
  clipNorm: number;
  maxLogStdInit: number;
  minLogStdInit: number;
  boundsWeight: number;
  /** Inference engine. */
  inference: ModelInference;
  seed: number;
}

/** The ensemble part of a configuration, fixed by the public class. */
export interface EnsembleShape {
  kind: DynamicsModelKind;
  numModels: number;
  numElites: number;
  bootstrap: boolean;
}

/**
 * Which loss `valLoss` (early stopping and elite selection) is: the held-out Gaussian NLL per
 * element for probabilistic members, the held-out MSE for deterministic ones.
 */
export type ValLossKind = "mse" | "nll";

/**
 * What a built model is, read back from its own objects (see `BaseDynamicsModel.settings`).
 * `type`, `hiddenSizes`, `activation`, `numModels`, `numElites`, `probabilistic`,
 * `learnTermination` and the optimiser fields come from the networks, the elite list and the
 * Adam objects; `bootstrap`, the log-std initial bounds, `boundsWeight` and `seed` (used once,
 * at construction or in training) from the resolved configuration.
 */
export interface DynamicsModelSettings extends Omit<DynamicsModelConfig, "kind" | "clipNorm"> {
  /** `"deterministic"` or `"probabilistic"` for one network, `"ensemble"` for several. */
  type: "deterministic" | "probabilistic" | "ensemble";
  beta1: number;
  beta2: number;
  clipNorm: number | null;
  /** Which loss `valLoss` is. */
  valLossKind: ValLossKind;
}

/**
 * Applies the defaults to `options` and checks them.
 * @throws {RangeError} on non-positive dims or sizes, `numElites > numModels`, or
 *   `maxLogStdInit <= minLogStdInit`; {TypeError} on a bad action space.
 *
 * @example
 * ```ts
 * const config = resolveModelConfig({ stateDim: 4, actionDim: 1 }, {
 *   kind: "probabilistic",
 *   numModels: 1,
 *   numElites: 1,
 *   bootstrap: false,
 * }, 0);
 * config.hiddenSizes; // [256, 256]
 * ```
 */
export function resolveModelConfig(
  options: DynamicsModelOptions,
  ensemble: EnsembleShape,
  seed: number,
): DynamicsModelConfig {
  const { stateDim, actionDim } = options;
  assertPositiveInt(stateDim, "stateDim");
  assertPositiveInt(actionDim, "actionDim");
  const hiddenSizes = [...(options.hiddenSizes ?? [256, 256])];
  if (hiddenSizes.some((h) => !Number.isInteger(h) || h <= 0)) {
    throw new RangeError(
      `Expected hiddenSizes to be positive integers but found [${hiddenSizes}]`,
    );
  }
  assertPositiveInt(ensemble.numModels, "numModels");
  assertPositiveInt(ensemble.numElites, "numElites");
  if (ensemble.numElites > ensemble.numModels) {
    throw new RangeError(
      `Expected numElites to be at most numModels (${ensemble.numModels}) but found ${ensemble.numElites}`,
    );
  }
  if (options.actionSpace !== undefined) checkActionSpace(options.actionSpace, actionDim);
  const config: DynamicsModelConfig = {
    kind: ensemble.kind,
    stateDim,
    actionDim,
    actionSpace: options.actionSpace === undefined ? null : copySpace(options.actionSpace),
    hiddenSizes,
    activation: options.activation ?? "relu",
    probabilistic: options.probabilistic ?? true,
    learnTermination: options.learnTermination ?? false,
    numModels: ensemble.numModels,
    numElites: ensemble.numElites,
    bootstrap: ensemble.bootstrap,
    learningRate: options.learningRate ?? 3e-4,
    epsilon: options.epsilon ?? 1e-8,
    weightDecay: options.weightDecay ?? 0,
    weightDecayMode: options.weightDecayMode ?? "decoupled",
    clipNorm: options.clipNorm ?? 10,
    maxLogStdInit: options.maxLogStdInit ?? 0.25,
    minLogStdInit: options.minLogStdInit ?? -5,
    boundsWeight: options.boundsWeight ?? 0.01,
    inference: options.inference ?? "kernel",
    seed,
  };
  if (!MODEL_INFERENCES.includes(config.inference)) {
    throw new RangeError(
      `Expected inference to be one of ${
        MODEL_INFERENCES.join(", ")
      } but found ${config.inference}`,
    );
  }
  if (!(config.maxLogStdInit > config.minLogStdInit)) {
    throw new RangeError(
      `Expected maxLogStdInit > minLogStdInit but found ${config.maxLogStdInit} <= ${config.minLogStdInit}`,
    );
  }
  return config;
}

/** A plain-JSON copy of a space (drops nothing that checks or `model.json` need). */
function copySpace(space: Space): Space {
  return space.kind === "discrete"
    ? { kind: "discrete", n: space.n }
    : { kind: "box", low: [...space.low], high: [...space.high], shape: [...space.shape] };
}

/**
 * The per-network configuration of a model's members.
 *
 * @example
 * ```ts
 * const config = resolveModelConfig({ stateDim: 4, actionDim: 1 }, {
 *   kind: "ensemble",
 *   numModels: 5,
 *   numElites: 5,
 *   bootstrap: true,
 * }, 0);
 * memberConfigOf(config).targetDim; // 5: state delta and reward
 * ```
 */
export function memberConfigOf(config: DynamicsModelConfig): MemberConfig {
  const adam: AdamOptions = {
    learningRate: config.learningRate,
    epsilon: config.epsilon,
    weightDecay: config.weightDecay,
    weightDecayMode: config.weightDecayMode,
    clipNorm: config.clipNorm,
  };
  return {
    inputDim: config.stateDim + config.actionDim,
    targetDim: config.stateDim + 1,
    hiddenSizes: config.hiddenSizes,
    activation: config.activation,
    probabilistic: config.probabilistic,
    learnTermination: config.learnTermination,
    maxLogStdInit: config.maxLogStdInit,
    minLogStdInit: config.minLogStdInit,
    boundsWeight: config.boundsWeight,
    adam,
  };
}
