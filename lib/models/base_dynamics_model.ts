/**
 * The machinery shared by {@linkcode ProbabilisticDynamicsModel} (one network) and
 * {@linkcode EnsembleDynamicsModel} (bootstrapped members): normalisers, training with early
 * stopping, batched prediction, sampling, save/load.
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
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TransitionBatch } from "../buffer/types.ts";
import type { AdamOptions } from "../nn/adam.ts";
import type { Activation } from "../nn/mlp.ts";
import { Rng } from "../rng.ts";
import { boundLogStd, type MemberConfig, MemberNetwork } from "./member.ts";
import { Normalizer, type NormalizerJson } from "./normalizer.ts";
import type {
  DynamicsModel,
  DynamicsPrediction,
  Propagation,
  SampleOptions,
  TrainHistoryRow,
  TrainOptions,
  TransitionSource,
} from "./types.ts";

/** Options shared by every dynamics model. */
export interface DynamicsModelOptions {
  /** State (observation) dimension. */
  stateDim: number;
  /** Action dimension (1 for a Discrete index fed as a number). */
  actionDim: number;
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
  hiddenSizes: number[];
  activation: Activation;
  probabilistic: boolean;
  learnTermination: boolean;
  numModels: number;
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
  seed: number;
}

/** The parsed `model.json` of a saved model. */
export interface SavedModelJson {
  format: "mbrl-dynamics-model";
  version: 1;
  config: DynamicsModelConfig;
  inputNormalizer: NormalizerJson;
  targetNormalizer: NormalizerJson;
  elites: number[];
  /** Float32 counts of each member's arrays, in `weights.bin` order. */
  arrayLengths: number[][];
  byteLength: number;
  /** FNV-1a of `weights.bin`'s bytes. */
  checksum: number;
}

const FORMAT = "mbrl-dynamics-model";

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Expected ${name} to be a positive integer but found ${value}`);
  }
}

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function isSource(data: TransitionBatch | TransitionSource): data is TransitionSource {
  return typeof (data as TransitionSource).all === "function";
}

function joinPath(folder: string, name: string): string {
  return folder.endsWith("/") ? folder + name : `${folder}/${name}`;
}

/** Per-member raw outputs read back from the device. */
interface MemberOutputs {
  data: Float32Array;
  member: number;
}

/**
 * Shared implementation of the dynamics models; use {@linkcode ProbabilisticDynamicsModel} or
 * {@linkcode EnsembleDynamicsModel}.
 */
export class BaseDynamicsModel implements DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly probabilistic: boolean;
  /** Whether a termination classifier is trained. */
  readonly learnTermination: boolean;
  /** The architecture and training settings (what `model.json` stores). */
  readonly config: Readonly<DynamicsModelConfig>;
  #members: MemberNetwork[];
  #elites: number[];
  #inputNorm: Normalizer;
  #targetNorm: Normalizer;
  #trainRng: Rng;
  #trained = false;
  #disposed = false;

  protected constructor(
    options: DynamicsModelOptions,
    ensemble: { kind: DynamicsModelKind; numModels: number; numElites: number; bootstrap: boolean },
  ) {
    const { stateDim, actionDim } = options;
    positiveInt("stateDim", stateDim);
    positiveInt("actionDim", actionDim);
    const hiddenSizes = [...(options.hiddenSizes ?? [256, 256])];
    if (hiddenSizes.some((h) => !Number.isInteger(h) || h <= 0)) {
      throw new RangeError(
        `Expected hiddenSizes to be positive integers but found [${hiddenSizes}]`,
      );
    }
    positiveInt("numModels", ensemble.numModels);
    positiveInt("numElites", ensemble.numElites);
    if (ensemble.numElites > ensemble.numModels) {
      throw new RangeError(
        `Expected numElites to be at most numModels (${ensemble.numModels}) but found ${ensemble.numElites}`,
      );
    }
    const rng = options.rng ?? new Rng(0);
    this.config = {
      kind: ensemble.kind,
      stateDim,
      actionDim,
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
      seed: rng.seed,
    };
    if (!(this.config.maxLogStdInit > this.config.minLogStdInit)) {
      throw new RangeError(
        `Expected maxLogStdInit > minLogStdInit but found ${this.config.maxLogStdInit} <= ${this.config.minLogStdInit}`,
      );
    }
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.probabilistic = this.config.probabilistic;
    this.learnTermination = this.config.learnTermination;
    const adam: AdamOptions = {
      learningRate: this.config.learningRate,
      epsilon: this.config.epsilon,
      weightDecay: this.config.weightDecay,
      weightDecayMode: this.config.weightDecayMode,
      clipNorm: this.config.clipNorm,
    };
    const memberConfig: MemberConfig = {
      inputDim: stateDim + actionDim,
      targetDim: stateDim + 1,
      hiddenSizes,
      activation: this.config.activation,
      probabilistic: this.config.probabilistic,
      learnTermination: this.config.learnTermination,
      maxLogStdInit: this.config.maxLogStdInit,
      minLogStdInit: this.config.minLogStdInit,
      boundsWeight: this.config.boundsWeight,
      adam,
    };
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
   * Fits normalisers and networks to the data; returns one row per epoch:
   * `{ epoch, trainLoss, valLoss, valMse, valNll?, valTermLoss?, seconds }`.
   *
   * `trainLoss` is the optimised objective averaged over the epoch's minibatches (MSE, or
   * Gaussian NLL per element plus the bound regulariser, plus termination BCE when learned).
   * `valLoss` is what early stopping and elite selection use, averaged over members: the
   * held-out Gaussian NLL per element for probabilistic models (MSE alone stops them before the
   * variance is learned), the held-out MSE for deterministic ones, both in normalised target
   * space. `valMse` and `valNll` are reported separately too.
   * Each member keeps its best-validation weights, restored at the end; training stops when no
   * member improved for `patience` epochs.
   *
   * @throws {RangeError|TypeError} on empty, mis-shaped or non-finite data and bad options.
   * @throws {Error} `Training loss became NaN at epoch 3` when a loss stops being finite
   *   (the best weights so far are restored first).
   */
  async train(
    data: TransitionBatch | TransitionSource,
    options: TrainOptions = {},
  ): Promise<TrainHistoryRow[]> {
    this.#assertLive();
    const batch = isSource(data) ? data.all() : data;
    this.#validateBatch(batch);
    const epochs = options.epochs ?? 50;
    const batchSize = options.batchSize ?? 256;
    const validationFraction = options.validationFraction ?? 0.1;
    const patience = options.patience ?? 5;
    positiveInt("epochs", epochs);
    positiveInt("batchSize", batchSize);
    positiveInt("patience", patience);
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new RangeError(
        `Expected validationFraction to be in [0, 1) but found ${validationFraction}`,
      );
    }
    const { stateDim: s, actionDim: a } = this;
    const n = batch.size;
    const inDim = s + a;
    const tDim = s + 1;
    const rng = this.#trainRng;
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const nVal = validationFraction > 0 && n >= 2
      ? Math.min(n - 1, Math.max(1, Math.floor(n * validationFraction)))
      : 0;
    const nTrain = n - nVal;
    const pack = (rows: Int32Array) => {
      const x = new Float32Array(rows.length * inDim);
      const y = new Float32Array(rows.length * tDim);
      const term = new Float32Array(rows.length);
      rows.forEach((r, i) => {
        for (let j = 0; j < s; j++) {
          const st = batch.states[r * s + j]!;
          x[i * inDim + j] = st;
          y[i * tDim + j] = batch.nextStates[r * s + j]! - st;
        }
        for (let j = 0; j < a; j++) x[i * inDim + s + j] = batch.actions[r * a + j]!;
        y[i * tDim + s] = batch.rewards[r]!;
        term[i] = batch.terminated[r]!;
      });
      return { x, y, term };
    };
    const trainRaw = pack(order.subarray(0, nTrain));
    const valRaw = nVal > 0 ? pack(order.subarray(nTrain)) : trainRaw;
    this.#inputNorm = Normalizer.fit(trainRaw.x, inDim);
    this.#targetNorm = Normalizer.fit(trainRaw.y, tDim);
    const nValRows = nVal > 0 ? nVal : nTrain;
    const [xTr, yTr, termTr, xVal, yVal, termVal] = tf.tidy(() => [
      tf.tensor2d(this.#inputNorm.normalize(trainRaw.x), [nTrain, inDim]),
      tf.tensor2d(this.#targetNorm.normalize(trainRaw.y), [nTrain, tDim]),
      tf.tensor2d(trainRaw.term, [nTrain, 1]),
      tf.tensor2d(this.#inputNorm.normalize(valRaw.x), [nValRows, inDim]),
      tf.tensor2d(this.#targetNorm.normalize(valRaw.y), [nValRows, tDim]),
      tf.tensor2d(valRaw.term, [nValRows, 1]),
    ]) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const members = this.#members;
    const memberRows = members.map(() => {
      const rows = new Int32Array(nTrain);
      const bootstrap = this.config.bootstrap && members.length > 1;
      for (let i = 0; i < nTrain; i++) rows[i] = bootstrap ? rng.int(nTrain) : i;
      return rows;
    });
    const best = members.map(() => Infinity);
    const bestState: (Float32Array[] | undefined)[] = members.map(() => undefined);
    const history: TrainHistoryRow[] = [];
    const numBatches = Math.ceil(nTrain / batchSize);
    let sinceImproved = 0;
    const restoreBest = () => {
      members.forEach((member, m) => {
        if (bestState[m] !== undefined) member.setState(bestState[m]!);
      });
    };
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const started = performance.now();
        for (const rows of memberRows) rng.shuffle(rows);
        const losses: tf.Scalar[] = [];
        for (let b = 0; b < numBatches; b++) {
          const lo = b * batchSize;
          const hi = Math.min(nTrain, lo + batchSize);
          members.forEach((member, m) => {
            losses.push(tf.tidy(() => {
              const idx = tf.tensor1d(memberRows[m]!.subarray(lo, hi), "int32");
              const xb = tf.gather(xTr, idx) as tf.Tensor2D;
              const yb = tf.gather(yTr, idx) as tf.Tensor2D;
              const tb = this.learnTermination ? tf.gather(termTr, idx) as tf.Tensor2D : undefined;
              return member.trainStep(xb, yb, tb);
            }));
          });
          // Yield to the event loop now and then so timers and workers are not starved.
          if (b % 64 === 63) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        const trainLoss = tf.tidy(() => tf.mean(tf.stack(losses)).dataSync()[0]!);
        tf.dispose(losses);
        if (!Number.isFinite(trainLoss)) {
          restoreBest();
          throw new Error(
            `Training loss became ${trainLoss} at epoch ${epoch}; the best weights so far ` +
              `were restored (check the data scale, learningRate or clipNorm)`,
          );
        }
        const scores = members.map((member) => {
          const sums = member.scoreSums(xVal, yVal, this.learnTermination ? termVal : undefined);
          const read = (t: tf.Scalar | undefined) => (t === undefined ? NaN : t.dataSync()[0]!);
          const out = {
            mse: read(sums.sqSum) / (nValRows * tDim),
            nll: read(sums.nllSum) / (nValRows * tDim),
            term: read(sums.termSum) / nValRows,
          };
          tf.dispose([sums.sqSum, sums.nllSum, sums.termSum].filter((t) => t !== undefined));
          return out;
        });
        let improved = false;
        scores.forEach((score, m) => {
          const loss = this.probabilistic ? score.nll : score.mse;
          if (!Number.isFinite(loss)) {
            restoreBest();
            throw new Error(
              `Validation loss became ${loss} at epoch ${epoch} (member ${m}); the best ` +
                `weights so far were restored`,
            );
          }
          if (loss < best[m]!) {
            best[m] = loss;
            bestState[m] = members[m]!.getState();
            improved = true;
          }
        });
        const mean = (f: (x: (typeof scores)[number]) => number) =>
          scores.reduce((acc, x) => acc + f(x), 0) / scores.length;
        const row: TrainHistoryRow = {
          epoch,
          trainLoss,
          valLoss: mean((x) => (this.probabilistic ? x.nll : x.mse)),
          valMse: mean((x) => x.mse),
          seconds: (performance.now() - started) / 1000,
        };
        if (this.probabilistic) row.valNll = mean((x) => x.nll);
        if (this.learnTermination) row.valTermLoss = mean((x) => x.term);
        history.push(row);
        options.onEpoch?.(row);
        sinceImproved = improved ? 0 : sinceImproved + 1;
        if (sinceImproved >= patience) break;
      }
      restoreBest();
    } finally {
      tf.dispose([xTr, yTr, termTr, xVal, yVal, termVal]);
    }
    this.#elites = best
      .map((score, m) => ({ score, m }))
      .sort((p, q) => p.score - q.score || p.m - q.m)
      .slice(0, this.config.numElites)
      .map((p) => p.m)
      .sort((p, q) => p - q);
    this.#trained = true;
    return history;
  }

  /**
   * Batched prediction over the elite members. `mean` (alias `stateMean`) is the next-state
   * mean in state space; `std`/`stateLogStd` its total predicted std (for an ensemble
   * `sqrt(aleatoricVar + epistemicVar)`; absent for a single deterministic network);
   * `reward` the predicted reward mean; `terminationProb` when a termination head is learned.
   *
   * @throws {RangeError} when the arrays do not hold whole rows of matching count.
   */
  predict(states: Float32Array, actions: Float32Array): DynamicsPrediction {
    this.#assertLive();
    const n = this.#rowCount(states, actions);
    const elites = this.#elites;
    const outs = this.#forwardMembers(states, actions, elites.map((m) => ({ member: m })), n);
    const prediction = this.#combine(states, n, outs);
    if (prediction.std) prediction.stateLogStd = prediction.std.map(Math.log);
    return prediction;
  }

  /**
   * One stochastic step for rollouts. `mean` holds sampled next states (Gaussian noise from
   * `rng` when probabilistic; the mean otherwise), `reward` sampled rewards. Ensembles follow
   * `propagation`: `"ts1"` a random elite per row, `"tsinf"` elite `members[i] % numElites`
   * per row (default `i % numElites`), `"expectation"` the mean over elites with the mean
   * aleatoric variance.
   */
  sample(states: Float32Array, actions: Float32Array, options: SampleOptions): DynamicsPrediction {
    this.#assertLive();
    const n = this.#rowCount(states, actions);
    const { rng } = options;
    const propagation: Propagation = options.propagation ?? "ts1";
    if (propagation !== "ts1" && propagation !== "tsinf" && propagation !== "expectation") {
      throw new TypeError(
        `Expected propagation to be ts1, tsinf or expectation but found ${propagation}`,
      );
    }
    const elites = this.#elites;
    const e = elites.length;
    let prediction: DynamicsPrediction;
    if (e === 1 || propagation === "expectation") {
      prediction = this.#combine(
        states,
        n,
        this.#forwardMembers(states, actions, elites.map((m) => ({ member: m })), n),
        { aleatoricOnly: true },
      );
    } else {
      if (options.members !== undefined && options.members.length !== n) {
        throw new RangeError(
          `Expected members to have one entry per row (${n}) but found ${options.members.length}`,
        );
      }
      const choice = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        choice[i] = propagation === "ts1" ? rng.int(e) : ((options.members?.[i] ?? i) % e + e) % e;
      }
      const groups: Int32Array[] = [];
      const counts = new Int32Array(e);
      for (let i = 0; i < n; i++) counts[choice[i]!]!++;
      for (let k = 0; k < e; k++) groups.push(new Int32Array(counts[k]!));
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const k = choice[i]!;
        groups[k]![counts[k]!++] = i;
      }
      prediction = this.#gathered(states, actions, n, groups);
    }
    if (this.probabilistic) {
      const { mean, std, reward } = prediction;
      for (let i = 0; i < mean.length; i++) mean[i]! += std![i]! * rng.normal();
      const rStd = prediction.rewardStd!;
      for (let i = 0; i < n; i++) reward[i]! += rStd[i]! * rng.normal();
    }
    return prediction;
  }

  /** Rows grouped per elite (`groups[k]` are the rows elite `k` predicts), scattered back. */
  #gathered(
    states: Float32Array,
    actions: Float32Array,
    n: number,
    groups: Int32Array[],
  ): DynamicsPrediction {
    const elites = this.#elites;
    const s = this.stateDim;
    const jobs = groups.map((rows, k) => ({ member: elites[k]!, rows }));
    const outs = this.#forwardMembers(states, actions, jobs, n);
    const mean = new Float32Array(n * s);
    const std = this.probabilistic ? new Float32Array(n * s) : undefined;
    const reward = new Float32Array(n);
    const rewardStd = this.probabilistic ? new Float32Array(n) : undefined;
    const terminationProb = this.learnTermination ? new Float32Array(n) : undefined;
    outs.forEach((out, k) => {
      const rows = groups[k]!;
      const single = this.#combine(states, rows.length, [out], { aleatoricOnly: true, rows });
      for (let r = 0; r < rows.length; r++) {
        const i = rows[r]!;
        mean.set(single.mean.subarray(r * s, (r + 1) * s), i * s);
        if (std) std.set(single.std!.subarray(r * s, (r + 1) * s), i * s);
        reward[i] = single.reward[r]!;
        if (rewardStd) rewardStd[i] = single.rewardStd![r]!;
        if (terminationProb) terminationProb[i] = single.terminationProb![r]!;
      }
    });
    const prediction: DynamicsPrediction = { mean, stateMean: mean, reward };
    if (std) {
      prediction.std = std;
      prediction.rewardStd = rewardStd;
    }
    if (terminationProb) prediction.terminationProb = terminationProb;
    return prediction;
  }

  /**
   * Packs normalised inputs for each job (all rows, or `rows`), runs each job's member in one
   * `tf.tidy`, and reads the raw outputs back outside it.
   */
  #forwardMembers(
    states: Float32Array,
    actions: Float32Array,
    jobs: { member: number; rows?: Int32Array }[],
    n: number,
  ): MemberOutputs[] {
    const s = this.stateDim;
    const a = this.actionDim;
    const inDim = s + a;
    const { mean: mu, std: sd } = this.#inputNorm;
    const packAll = (rows: Int32Array | undefined): Float32Array => {
      const count = rows ? rows.length : n;
      const x = new Float32Array(count * inDim);
      for (let r = 0; r < count; r++) {
        const i = rows ? rows[r]! : r;
        for (let j = 0; j < s; j++) x[r * inDim + j] = (states[i * s + j]! - mu[j]!) / sd[j]!;
        for (let j = 0; j < a; j++) {
          x[r * inDim + s + j] = (actions[i * a + j]! - mu[s + j]!) / sd[s + j]!;
        }
      }
      return x;
    };
    let shared: Float32Array | undefined;
    const inputs = jobs.map((job) => {
      if (job.rows) return packAll(job.rows);
      shared ??= packAll(undefined);
      return shared;
    });
    const tensors = tf.tidy(() => {
      let sharedTensor: tf.Tensor2D | undefined;
      return jobs.map((job, k) => {
        const count = job.rows ? job.rows.length : n;
        if (count === 0) return undefined;
        let x: tf.Tensor2D;
        if (job.rows) x = tf.tensor2d(inputs[k]!, [count, inDim]);
        else x = sharedTensor ??= tf.tensor2d(inputs[k]!, [count, inDim]);
        return this.#members[job.member]!.forward(x);
      });
    });
    const outs = tensors.map((t, k) => ({
      data: t ? (t.dataSync() as Float32Array) : new Float32Array(0),
      member: jobs[k]!.member,
    }));
    tf.dispose(tensors.filter((t) => t !== undefined));
    return outs;
  }

  /** Combines raw member outputs over the same rows into a state-space prediction. */
  #combine(
    states: Float32Array,
    n: number,
    outs: MemberOutputs[],
    options: { aleatoricOnly?: boolean; rows?: Int32Array } = {},
  ): DynamicsPrediction {
    const s = this.stateDim;
    const t = s + 1;
    const e = outs.length;
    const width = this.#members[0]!.outputDim;
    const { mean: tm, std: ts } = this.#targetNorm;
    const prob = this.probabilistic;
    const ensemble = this.numMembers > 1 && !options.rows;
    const bounds = outs.map((o) => this.#members[o.member]!.bounds());
    const mean = new Float32Array(n * s);
    const reward = new Float32Array(n);
    const wantVar = prob || (ensemble && !options.aleatoricOnly);
    const std = wantVar ? new Float32Array(n * s) : undefined;
    const rewardStd = wantVar ? new Float32Array(n) : undefined;
    const aleatoricVar = ensemble ? new Float32Array(n * s) : undefined;
    const epistemicVar = ensemble ? new Float32Array(n * s) : undefined;
    const terminationProb = this.learnTermination ? new Float32Array(n) : undefined;
    const rows = options.rows;
    for (let i = 0; i < n; i++) {
      const src = rows ? rows[i]! : i;
      for (let j = 0; j < t; j++) {
        let sum = 0;
        let sumSq = 0;
        let ale = 0;
        for (let k = 0; k < e; k++) {
          const data = outs[k]!.data;
          const mu = data[i * width + j]!;
          sum += mu;
          sumSq += mu * mu;
          if (prob) {
            const b = bounds[k]!;
            const ls = boundLogStd(data[i * width + t + j]!, b.max[j]!, b.min[j]!);
            ale += Math.exp(2 * ls);
          }
        }
        const mN = sum / e;
        const epiN = e > 1 ? Math.max(0, sumSq / e - mN * mN) : 0;
        const aleN = ale / e;
        const scale = ts[j]!;
        const value = mN * scale + tm[j]!;
        const varN = options.aleatoricOnly ? aleN : aleN + epiN;
        if (j < s) {
          mean[i * s + j] = states[src * s + j]! + value;
          if (std) std[i * s + j] = Math.sqrt(varN) * scale;
          if (aleatoricVar) aleatoricVar[i * s + j] = aleN * scale * scale;
          if (epistemicVar) epistemicVar[i * s + j] = epiN * scale * scale;
        } else {
          reward[i] = value;
          if (rewardStd) rewardStd[i] = Math.sqrt(varN) * scale;
        }
      }
      if (terminationProb) {
        let p = 0;
        for (let k = 0; k < e; k++) {
          p += 1 / (1 + Math.exp(-outs[k]!.data[i * width + width - 1]!));
        }
        terminationProb[i] = p / e;
      }
    }
    const prediction: DynamicsPrediction = { mean, stateMean: mean, reward };
    if (std) {
      prediction.std = std;
      prediction.rewardStd = rewardStd;
    }
    if (aleatoricVar) prediction.aleatoricVar = aleatoricVar;
    if (epistemicVar) prediction.epistemicVar = epistemicVar;
    if (terminationProb) prediction.terminationProb = terminationProb;
    return prediction;
  }

  /**
   * Writes `model.json` (config, normalisers, elites, layout, checksum) and `weights.bin`
   * (every member's parameters as little-endian float32) into the folder `path`, creating it.
   */
  async save(path: string): Promise<void> {
    this.#assertLive();
    const states = this.#members.map((m) => m.getState());
    const total = states.reduce((acc, st) => acc + st.reduce((a, w) => a + w.length, 0), 0);
    const flat = new Float32Array(total);
    let offset = 0;
    for (const st of states) {
      for (const w of st) {
        flat.set(w, offset);
        offset += w.length;
      }
    }
    const bytes = new Uint8Array(flat.buffer);
    const json: SavedModelJson = {
      format: FORMAT,
      version: 1,
      config: { ...this.config, hiddenSizes: [...this.config.hiddenSizes] },
      inputNormalizer: this.#inputNorm.toJSON(),
      targetNormalizer: this.#targetNorm.toJSON(),
      elites: [...this.#elites],
      arrayLengths: states.map((st) => st.map((w) => w.length)),
      byteLength: bytes.length,
      checksum: fnv1a(bytes),
    };
    await Deno.mkdir(path, { recursive: true });
    await Deno.writeFile(joinPath(path, "weights.bin"), bytes);
    await Deno.writeTextFile(joinPath(path, "model.json"), JSON.stringify(json, null, 1) + "\n");
  }

  /**
   * Loads weights and normalisers saved by {@linkcode BaseDynamicsModel.save} into this model.
   * @throws {Error} when the files are missing, corrupt (bad JSON, size or checksum), or were
   *   saved from a model with a different architecture.
   */
  async load(path: string): Promise<void> {
    this.#assertLive();
    const { json, weights } = await readSavedModel(path);
    const mine = this.config;
    const theirs = json.config;
    for (
      const key of [
        "kind",
        "stateDim",
        "actionDim",
        "activation",
        "probabilistic",
        "learnTermination",
        "numModels",
      ] as const
    ) {
      if (mine[key] !== theirs[key]) {
        throw new Error(
          `Model in ${path} does not match: expected ${key} ${mine[key]} but found ${theirs[key]}`,
        );
      }
    }
    if (mine.hiddenSizes.join() !== theirs.hiddenSizes.join()) {
      throw new Error(
        `Model in ${path} does not match: expected hiddenSizes [${mine.hiddenSizes}] but found [${theirs.hiddenSizes}]`,
      );
    }
    this.#members.forEach((member, m) => {
      const expected = member.stateLengths();
      const found = json.arrayLengths[m] ?? [];
      if (expected.join() !== found.join()) {
        throw new Error(
          `Model in ${path} does not match: member ${m} has arrays [${found}], expected [${expected}]`,
        );
      }
    });
    let offset = 0;
    this.#members.forEach((member, m) => {
      const arrays = json.arrayLengths[m]!.map((len) => {
        const w = weights.slice(offset, offset + len);
        offset += len;
        return w;
      });
      member.setState(arrays);
    });
    this.#inputNorm = Normalizer.fromJSON(json.inputNormalizer);
    this.#targetNorm = Normalizer.fromJSON(json.targetNormalizer);
    if (
      this.#inputNorm.dim !== mine.stateDim + mine.actionDim ||
      this.#targetNorm.dim !== mine.stateDim + 1
    ) {
      throw new Error(`Model in ${path} has normalisers of the wrong width`);
    }
    if (
      !Array.isArray(json.elites) || json.elites.length === 0 ||
      json.elites.some((e) => !Number.isInteger(e) || e < 0 || e >= this.numMembers)
    ) {
      throw new Error(`Model in ${path} has invalid elites ${JSON.stringify(json.elites)}`);
    }
    this.#elites = [...json.elites];
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

  #rowCount(states: Float32Array, actions: Float32Array): number {
    const n = states.length / this.stateDim;
    if (!Number.isInteger(n)) {
      throw new RangeError(
        `Expected states to hold whole rows of ${this.stateDim} but found length ${states.length}`,
      );
    }
    if (actions.length !== n * this.actionDim) {
      throw new RangeError(
        `Expected actions of length ${
          n * this.actionDim
        } (${n} rows x ${this.actionDim}) but found ${actions.length}`,
      );
    }
    return n;
  }

  #validateBatch(batch: TransitionBatch): void {
    if (!batch || typeof batch.size !== "number") {
      throw new TypeError("Expected a TransitionBatch or a buffer with all()");
    }
    if (batch.size === 0) {
      throw new RangeError(
        "Expected at least one transition to train on but found 0 (empty buffer)",
      );
    }
    if (batch.stateDim !== this.stateDim || batch.actionDim !== this.actionDim) {
      throw new RangeError(
        `Expected data with stateDim ${this.stateDim} and actionDim ${this.actionDim} but found ${batch.stateDim} and ${batch.actionDim}`,
      );
    }
    const n = batch.size;
    const checks: [string, ArrayLike<number>, number][] = [
      ["states", batch.states, n * this.stateDim],
      ["actions", batch.actions, n * this.actionDim],
      ["nextStates", batch.nextStates, n * this.stateDim],
      ["rewards", batch.rewards, n],
      ["terminated", batch.terminated, n],
    ];
    for (const [name, arr, len] of checks) {
      if (arr.length < len) {
        throw new RangeError(`Expected ${name} to hold ${len} values but found ${arr.length}`);
      }
      for (let i = 0; i < len; i++) {
        if (!Number.isFinite(arr[i]!)) {
          throw new RangeError(
            `Expected finite ${name} but found ${arr[i]} at index ${i} (row ${
              Math.floor(i / (len / n))
            })`,
          );
        }
      }
    }
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error("This dynamics model has been disposed");
  }
}

/**
 * Reads and checks a saved model folder.
 * @throws {Error} naming the file and what is wrong (missing, bad JSON, size, checksum).
 */
export async function readSavedModel(
  path: string,
): Promise<{ json: SavedModelJson; weights: Float32Array }> {
  const jsonPath = joinPath(path, "model.json");
  const binPath = joinPath(path, "weights.bin");
  let text: string;
  let bytes: Uint8Array;
  try {
    text = await Deno.readTextFile(jsonPath);
    bytes = await Deno.readFile(binPath);
  } catch (error) {
    throw new Error(
      `Cannot read a saved dynamics model in ${path}: ${(error as Error).message}`,
    );
  }
  let json: SavedModelJson;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Corrupt ${jsonPath}: ${(error as Error).message}`);
  }
  if (json?.format !== FORMAT || json.version !== 1 || typeof json.config !== "object") {
    throw new Error(`${jsonPath} is not a version-1 ${FORMAT} file`);
  }
  if (bytes.length !== json.byteLength || bytes.length % 4 !== 0) {
    throw new Error(
      `Corrupt ${binPath}: expected ${json.byteLength} bytes but found ${bytes.length}`,
    );
  }
  if (fnv1a(bytes) !== json.checksum) {
    throw new Error(`Corrupt ${binPath}: checksum mismatch`);
  }
  const weights = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice();
  return { json, weights };
}
