/**
 * The model wrapper shared by {@linkcode ProbabilisticDynamicsModel} (one network) and
 * {@linkcode EnsembleDynamicsModel} (bootstrapped members): it owns the member networks, the
 * elites and the normalisers, checks inputs at its public methods, and delegates each job to
 * one module, as mbrl-lib separates its model wrapper, trainer and ensemble:
 *
 * - `model_config.ts`: options, defaults and the resolved configuration;
 * - `member.ts`: one network with its heads, loss and optimiser;
 * - `trainer.ts`: the split rule, normaliser fitting, the epoch loop with early stopping,
 *   best weights and elite selection;
 * - `ensemble_forward.ts`: batched forward over members and their combination
 *   (aleatoric/epistemic); `propagation.ts`: `ts1`/`tsinf`/`expectation` sampling;
 * - `model_file.ts`: `model.json` and `weights.bin`, checksums, atomic writes.
 *
 * What is learned: on inputs `(state, action)` standardised by a normaliser fitted on the
 * training data, each network predicts the standardised *change* of state and the reward
 * (targets `T = stateDim + 1` columns), plus, when probabilistic, a log-std per target column
 * softly clamped between learned bounds (PETS), plus an optional termination logit.
 * Predictions are mapped back to state space: `next = state + delta * std + mean`.
 *
 * Speed (see FACTS.md): every member is a plain loop of 2-D matMuls (a rank-3 batched matMul
 * is ~15x slower on wasm); gradients are hand-arranged ({@linkcode Mlp.backward}); inputs are
 * packed and outputs combined in JS, with one `tf.tidy` per call and `dataSync` outside it.
 * Input checks cost one pass over each input array per call.
 *
 * @module
 */
import type { TransitionBatch } from "../buffer/types.ts";
import type { Mlp } from "../nn/mlp.ts";
import { Rng } from "../rng.ts";
import { assertFiniteArray } from "../validate.ts";
import { type EnsembleView, predictElites } from "./ensemble_forward.ts";
import { assertActionsInSpace, rowCount } from "./input_checks.ts";
import { MemberNetwork } from "./member.ts";
import {
  type DynamicsModelConfig,
  type DynamicsModelOptions,
  type DynamicsModelSettings,
  type EnsembleShape,
  memberConfigOf,
  resolveModelConfig,
} from "./model_config.ts";
import { assertSavedModelMatches, readSavedModel, writeSavedModel } from "./model_file.ts";
import { Normalizer } from "./normalizer.ts";
import { sampleElites } from "./propagation.ts";
import { fitMembers, resolveTrainSettings, type TrainReport } from "./trainer.ts";
import { checkTransitionBatch, prepareTrainingData } from "./training_data.ts";
import type {
  DynamicsModel,
  DynamicsPrediction,
  SampleOptions,
  TrainHistoryRow,
  TrainOptions,
  TransitionSource,
} from "./types.ts";

function isSource(data: TransitionBatch | TransitionSource): data is TransitionSource {
  return typeof (data as TransitionSource).all === "function";
}

/**
 * Shared implementation of the dynamics models; use {@linkcode ProbabilisticDynamicsModel} or
 * {@linkcode EnsembleDynamicsModel} (or `createDynamicsModel`).
 *
 * @example
 * ```ts
 * import { setupBackend } from "../backend.ts";
 * import { createDynamicsModel } from "./factory.ts";
 * await setupBackend();
 * const model = createDynamicsModel({ type: "ensemble", stateDim: 4, actionDim: 1, numModels: 3 });
 * model.settings.numModels; // 3, read from the member networks
 * model.dispose();
 * ```
 */
export class BaseDynamicsModel implements DynamicsModel {
  /** State (observation) dimension. */
  readonly stateDim: number;
  /** Action dimension (1 for a Discrete index). */
  readonly actionDim: number;
  /** Whether members have a Gaussian head (`std` is predicted). */
  readonly probabilistic: boolean;
  /** Whether a termination classifier is trained. */
  readonly learnTermination: boolean;
  /** The resolved options the model was built from (what `model.json` stores); frozen. */
  readonly config: Readonly<DynamicsModelConfig>;
  #members: MemberNetwork[];
  #elites: number[];
  #inputNorm: Normalizer;
  #targetNorm: Normalizer;
  #trainRng: Rng;
  #lastTrain: TrainReport | null = null;
  #trained = false;
  #disposed = false;

  /** @throws {RangeError|TypeError} on bad options (see `resolveModelConfig`). */
  protected constructor(options: DynamicsModelOptions, ensemble: EnsembleShape) {
    const rng = options.rng ?? new Rng(0);
    const config = resolveModelConfig(options, ensemble, rng.seed);
    Object.freeze(config.hiddenSizes);
    if (config.actionSpace !== null) Object.freeze(config.actionSpace);
    this.config = Object.freeze(config);
    const { stateDim, actionDim } = this.config;
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.probabilistic = this.config.probabilistic;
    this.learnTermination = this.config.learnTermination;
    const memberConfig = memberConfigOf(this.config);
    this.#members = [];
    for (let m = 0; m < ensemble.numModels; m++) {
      this.#members.push(new MemberNetwork(memberConfig, rng.stream(`member${m}`)));
    }
    this.#elites = Array.from({ length: ensemble.numElites }, (_, i) => i);
    this.#inputNorm = Normalizer.identity(stateDim + actionDim);
    this.#targetNorm = Normalizer.identity(stateDim + 1);
    this.#trainRng = rng.stream("train");
  }

  /** Number of member networks (1 for a single model). */
  get numMembers(): number {
    return this.#members.length;
  }

  /** Indices of the members used for prediction (the best by validation loss after training). */
  get elites(): readonly number[] {
    return this.#elites;
  }

  /** True once {@linkcode BaseDynamicsModel.train} has run (or weights were loaded). */
  get isTrained(): boolean {
    return this.#trained;
  }

  /** The fitted input normaliser over `(state, action)` columns. */
  get inputNormalizer(): Normalizer {
    return this.#inputNorm;
  }

  /** The fitted target normaliser over `(state delta, reward)` columns. */
  get targetNormalizer(): Normalizer {
    return this.#targetNorm;
  }

  /**
   * What this model is, read back from its own objects rather than from the options:
   * hidden sizes and activation from the first member's layers, heads from its outputs,
   * `numModels` from the member list, `numElites` from the elite list, optimiser fields from
   * the first member's Adam (all members share them). `bootstrap`, the log-std initial bounds,
   * `boundsWeight`, `inference` and `seed` come from
   * {@linkcode BaseDynamicsModel.config}.
   */
  get settings(): DynamicsModelSettings {
    this.#assertLive();
    const first = this.#members[0]!;
    const mlp: Mlp = first.mlp;
    const adam = first.optimizer;
    const probabilistic = first.hasLogStdHead;
    const numModels = this.#members.length;
    const c = this.config;
    return {
      type: numModels > 1 || c.kind === "ensemble"
        ? "ensemble"
        : probabilistic
        ? "probabilistic"
        : "deterministic",
      stateDim: this.stateDim,
      actionDim: mlp.inputSize - this.stateDim,
      actionSpace: c.actionSpace === null ? null : structuredClone(c.actionSpace),
      hiddenSizes: mlp.layerSizes.slice(1, -1),
      activation: mlp.activation,
      probabilistic,
      learnTermination: first.hasTerminationHead,
      numModels,
      numElites: this.#elites.length,
      bootstrap: c.bootstrap,
      learningRate: adam.learningRate,
      beta1: adam.beta1,
      beta2: adam.beta2,
      epsilon: adam.epsilon,
      weightDecay: adam.weightDecay,
      weightDecayMode: adam.weightDecayMode,
      clipNorm: adam.clipNorm ?? null,
      maxLogStdInit: c.maxLogStdInit,
      minLogStdInit: c.minLogStdInit,
      boundsWeight: c.boundsWeight,
      inference: c.inference,
      seed: c.seed,
      valLossKind: probabilistic ? "nll" : "mse",
    };
  }

  /**
   * What the last {@linkcode BaseDynamicsModel.train} call ran with and did (resolved
   * training settings, split sizes, loss kind, epochs run, early stop, best losses, elites),
   * or `null` before the first call (and after `load`).
   */
  get lastTrainReport(): TrainReport | null {
    return this.#lastTrain === null ? null : structuredClone(this.#lastTrain);
  }

  /**
   * Fits normalisers and networks to the data; returns one row per epoch:
   * `{ epoch, trainLoss, valLoss, valMse, valNll?, valTermLoss?, seconds }`.
   *
   * `valLoss` is the loss that early stopping and elite selection use, averaged over members,
   * in normalised target space: the held-out **Gaussian NLL per element** for probabilistic
   * models and ensembles (MSE alone stops them before the variance is learned), the held-out
   * **MSE** for deterministic ones (`lastTrainReport.lossKind` and `settings.valLossKind` say
   * which). `valMse` is the held-out MSE for every model. The split holds out
   * `floor(n * validationFraction)` rows (at least 1 when the fraction is positive; see
   * `validationCount`); with none held out, the "validation" figures are on the training rows.
   * Each member keeps its best-validation weights, restored at the end; training stops when no
   * member improved for `patience` epochs.
   *
   * @throws {TypeError} on a mis-shaped batch; {RangeError} on an empty batch, a non-finite
   *   value (`Expected states[3] to be finite but found NaN`), an action outside `actionSpace`
   *   or bad options.
   * @throws {Error} `Training loss became NaN at epoch 3` when a loss stops being finite
   *   (the best weights so far are restored first).
   */
  async train(
    data: TransitionBatch | TransitionSource,
    options: TrainOptions = {},
  ): Promise<TrainHistoryRow[]> {
    this.#assertLive();
    const batch = isSource(data) ? data.all() : data;
    checkTransitionBatch(batch, this.stateDim, this.actionDim, this.#actionSpace);
    const settings = resolveTrainSettings(options);
    const rng = this.#trainRng;
    const prepared = prepareTrainingData(
      batch,
      this.stateDim,
      this.actionDim,
      settings.validationFraction,
      rng,
    );
    this.#inputNorm = prepared.inputNorm;
    this.#targetNorm = prepared.targetNorm;
    let result: Awaited<ReturnType<typeof fitMembers>>;
    try {
      result = await fitMembers(
        this.#members,
        prepared,
        settings,
        {
          lossKind: this.probabilistic ? "nll" : "mse",
          learnTermination: this.learnTermination,
          bootstrap: this.config.bootstrap,
          numElites: this.config.numElites,
        },
        rng,
        options.onEpoch,
      );
    } finally {
      prepared.dispose();
    }
    this.#elites = result.report.elites;
    this.#lastTrain = result.report;
    this.#trained = true;
    return result.history;
  }

  /**
   * Batched prediction over the elite members. `mean` (alias `stateMean`) is the next-state
   * mean in state space; `std`/`stateLogStd` its total predicted std (for an ensemble
   * `sqrt(aleatoricVar + epistemicVar)`; absent for a single deterministic network);
   * `reward` the predicted reward mean; `terminationProb` when a termination head is learned.
   *
   * @throws {TypeError} when the inputs are not `Float32Array`s of whole rows of matching
   *   count; {RangeError} on a non-finite entry (`Expected states[3] to be finite but found
   *   NaN`) or an action outside `actionSpace`.
   */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    this.#assertLive();
    const n = this.#checkInputs(states, actions);
    return predictElites(this.#view(), states, actions, n);
  }

  /**
   * One stochastic step for rollouts. `mean` holds sampled next states (Gaussian noise from
   * `rng` when probabilistic; the mean otherwise), `reward` sampled rewards. Ensembles follow
   * `propagation`: `"ts1"` a random elite per row, `"tsinf"` elite `members[i] % numElites`
   * per row (default `i % numElites`), `"expectation"` the mean over elites with the mean
   * aleatoric variance.
   *
   * @throws {TypeError} on mis-shaped inputs or an unknown propagation; {RangeError} on
   *   non-finite inputs or actions outside `actionSpace`.
   */
  sample(states: Float32Array, actions: Float32Array, options: SampleOptions): DynamicsPrediction {
    this.#assertLive();
    const n = this.#checkInputs(states, actions);
    return sampleElites(this.#view(), states, actions, n, options);
  }

  /**
   * Writes `model.json` (config, normalisers, elites, layout, checksums) and `weights.bin`
   * (every member's parameters as little-endian float32) into the folder `path`, creating it;
   * each file is written atomically (temporary file, then rename).
   */
  async save(path: string): Promise<void> {
    this.#assertLive();
    await writeSavedModel(path, {
      config: this.config,
      inputNormalizer: this.#inputNorm.toJSON(),
      targetNormalizer: this.#targetNorm.toJSON(),
      elites: this.#elites,
      memberStates: this.#members.map((m) => m.getState()),
    });
  }

  /**
   * Loads weights, normalisers and elites saved by {@linkcode BaseDynamicsModel.save} into
   * this model (its own `actionSpace` stays).
   * @throws {Error} when the files are missing, corrupt (bad JSON, size or either checksum),
   *   of format version 1, or were saved from a model with a different architecture.
   */
  async load(path: string): Promise<void> {
    this.#assertLive();
    const { json, weights } = await readSavedModel(path);
    const mine = this.config;
    assertSavedModelMatches(json, mine, this.#members.map((m) => m.stateLengths()), path);
    const inputNorm = Normalizer.fromJSON(json.inputNormalizer);
    const targetNorm = Normalizer.fromJSON(json.targetNormalizer);
    if (inputNorm.dim !== mine.stateDim + mine.actionDim || targetNorm.dim !== mine.stateDim + 1) {
      throw new Error(`Model in ${path} has normalisers of the wrong width`);
    }
    if (
      !Array.isArray(json.elites) || json.elites.length === 0 ||
      json.elites.some((e) => !Number.isInteger(e) || e < 0 || e >= this.numMembers)
    ) {
      throw new Error(`Model in ${path} has invalid elites ${JSON.stringify(json.elites)}`);
    }
    let offset = 0;
    this.#members.forEach((member, m) => {
      const arrays = json.arrayLengths[m]!.map((len) => {
        const w = weights.slice(offset, offset + len);
        offset += len;
        return w;
      });
      member.setState(arrays);
    });
    this.#inputNorm = inputNorm;
    this.#targetNorm = targetNorm;
    this.#elites = [...json.elites];
    this.#lastTrain = null;
    this.#trained = true;
  }

  /** Frees every member's tensors. Later calls throw. */
  dispose(): void {
    if (this.#disposed) return;
    for (const m of this.#members) m.dispose();
    this.#disposed = true;
  }

  /** Copies of each member's parameters (weights, biases, log-std bounds). */
  getWeights(): Float32Array[][] {
    this.#assertLive();
    return this.#members.map((m) => m.getState());
  }

  get #actionSpace() {
    return this.config.actionSpace ?? undefined;
  }

  /** Shapes, then finiteness (one pass per array), then the action space; returns `n`. */
  #checkInputs(states: Float32Array, actions: Float32Array): number {
    const n = rowCount(states, actions, this.stateDim, this.actionDim);
    assertFiniteArray(states, "states");
    assertFiniteArray(actions, "actions");
    assertActionsInSpace(actions, this.#actionSpace);
    return n;
  }

  #view(): EnsembleView {
    return {
      stateDim: this.stateDim,
      actionDim: this.actionDim,
      probabilistic: this.probabilistic,
      learnTermination: this.learnTermination,
      members: this.#members,
      elites: this.#elites,
      inputNorm: this.#inputNorm,
      targetNorm: this.#targetNorm,
      inference: this.config.inference,
    };
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error("This dynamics model has been disposed");
  }
}
