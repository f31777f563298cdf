/**
 * The training loop of a dynamics model's members (as mbrl-lib's `ModelTrainer` drives its
 * model): the training settings and their defaults, then {@linkcode fitMembers}: epochs of
 * bootstrap-resampled minibatch Adam steps, early stopping on the validation loss, each
 * member's best weights restored, and the elites picked. The data it trains on comes from
 * `prepareTrainingData` (`training_data.ts`).
 *
 * Internal to `lib/models/`; `BaseDynamicsModel.train` glues the two.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";
import { assertPositiveInt } from "../validate.ts";
import type { MemberNetwork } from "./member.ts";
import type { ValLossKind } from "./model_config.ts";
import type { TrainingData } from "./training_data.ts";
import type { TrainHistoryRow, TrainOptions } from "./types.ts";

/** {@linkcode TrainOptions} with every default applied. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  validationFraction: number;
  patience: number;
}

/**
 * What the last `train` call did, read back by `BaseDynamicsModel.lastTrainReport`: the
 * settings it ran with, the split sizes, how it stopped and each member's best loss.
 */
export interface TrainReport extends TrainSettings {
  /** Which loss `valLoss`, `bestValLoss` and elite selection use. */
  lossKind: ValLossKind;
  /** Rows the members were fitted on. */
  trainRows: number;
  /**
   * Held-out rows. 0 when `validationFraction` is 0 or there was one row: `valLoss` is then
   * measured on the training rows (as mbrl-lib does without a validation set).
   */
  validationRows: number;
  /** Epochs run (at most `epochs`). */
  epochsRun: number;
  /** True when no member improved for `patience` epochs before `epochs` ran out. */
  stoppedEarly: boolean;
  /** Each member's best `valLoss` (its restored weights), `[numModels]`. */
  bestValLoss: number[];
  /** The members kept for prediction, ascending. */
  elites: number[];
}

/**
 * The defaults of {@linkcode TrainOptions} applied and checked.
 * @throws {RangeError} on non-positive `epochs`, `batchSize`, `patience`, or a
 *   `validationFraction` outside `[0, 1)`.
 *
 * @example
 * ```ts
 * resolveTrainSettings({ epochs: 5 }); // { epochs: 5, batchSize: 256, validationFraction: 0.1, patience: 5 }
 * ```
 */
export function resolveTrainSettings(options: TrainOptions): TrainSettings {
  const settings: TrainSettings = {
    epochs: options.epochs ?? 50,
    batchSize: options.batchSize ?? 256,
    validationFraction: options.validationFraction ?? 0.1,
    patience: options.patience ?? 5,
  };
  assertPositiveInt(settings.epochs, "epochs");
  assertPositiveInt(settings.batchSize, "batchSize");
  assertPositiveInt(settings.patience, "patience");
  const f = settings.validationFraction;
  if (!(f >= 0 && f < 1)) {
    throw new RangeError(`Expected validationFraction to be in [0, 1) but found ${f}`);
  }
  return settings;
}

export interface FitContext {
  /** Which validation loss stops training and ranks members. */
  lossKind: ValLossKind;
  learnTermination: boolean;
  /** Train each member on its own resample with replacement (only with several members). */
  bootstrap: boolean;
  numElites: number;
}

/**
 * The training loop: per epoch, a fresh shuffle of each member's (bootstrap) rows, one Adam
 * step per member and minibatch, then held-out scores per member. Each member keeps its
 * best-`valLoss` weights, restored at the end; training stops when no member improved for
 * `patience` epochs. The elites are the `numElites` members with the lowest best loss.
 *
 * History rows: `trainLoss` is the optimised objective averaged over the epoch's minibatches
 * and members (MSE; or Gaussian NLL per element plus the bound regulariser; plus the
 * termination BCE when learned). `valLoss` is the mean over members of the held-out loss of
 * kind `lossKind` (NLL per element for probabilistic members, MSE for deterministic ones, in
 * normalised target space). `valMse` is always the held-out MSE, `valNll` the NLL (probabilistic
 * only), `valTermLoss` the termination BCE (when learned), `seconds` the epoch's wall time.
 *
 * @throws {Error} `Training loss became NaN at epoch 3` (or a validation loss) when a loss
 *   stops being finite; the best weights so far are restored first.
 *
 * @example
 * ```ts
 * import { ProbabilisticDynamicsModel } from "./probabilistic_model.ts";
 * import { setupBackend } from "../backend.ts";
 * await setupBackend();
 * // fitMembers is what model.train runs after prepareTrainingData:
 * const model = new ProbabilisticDynamicsModel({ stateDim: 1, actionDim: 1, hiddenSizes: [8] });
 * const batch = {
 *   size: 4, stateDim: 1, actionDim: 1,
 *   states: new Float32Array([0, 1, 2, 3]), actions: new Float32Array([1, 0, 1, 0]),
 *   nextStates: new Float32Array([1, 1, 3, 3]), rewards: new Float32Array(4),
 *   terminated: new Uint8Array(4), truncated: new Uint8Array(4),
 * };
 * await model.train(batch, { epochs: 2 });
 * model.lastTrainReport?.lossKind; // "nll"
 * model.dispose();
 * ```
 */
export async function fitMembers(
  members: readonly MemberNetwork[],
  data: TrainingData,
  settings: TrainSettings,
  context: FitContext,
  rng: Rng,
  onEpoch?: (row: TrainHistoryRow) => void,
): Promise<{ history: TrainHistoryRow[]; report: TrainReport }> {
  const { epochs, batchSize, patience } = settings;
  const { nTrain, nValRows, xTr, yTr, termTr, xVal, yVal, termVal } = data;
  const tDim = yTr.shape[1];
  const { lossKind, learnTermination } = context;
  const memberRows = members.map(() => {
    const rows = new Int32Array(nTrain);
    const bootstrap = context.bootstrap && members.length > 1;
    for (let i = 0; i < nTrain; i++) rows[i] = bootstrap ? rng.int(nTrain) : i;
    return rows;
  });
  const best = members.map(() => Infinity);
  const bestState: (Float32Array[] | undefined)[] = members.map(() => undefined);
  const history: TrainHistoryRow[] = [];
  const numBatches = Math.ceil(nTrain / batchSize);
  let sinceImproved = 0;
  let stoppedEarly = false;
  const restoreBest = () => {
    members.forEach((member, m) => {
      if (bestState[m] !== undefined) member.setState(bestState[m]!);
    });
  };
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
          const tb = learnTermination ? tf.gather(termTr, idx) as tf.Tensor2D : undefined;
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
      const sums = member.scoreSums(xVal, yVal, learnTermination ? termVal : undefined);
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
      const loss = score[lossKind];
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
      valLoss: mean((x) => x[lossKind]),
      valMse: mean((x) => x.mse),
      seconds: (performance.now() - started) / 1000,
    };
    if (lossKind === "nll") row.valNll = mean((x) => x.nll);
    if (learnTermination) row.valTermLoss = mean((x) => x.term);
    history.push(row);
    onEpoch?.(row);
    sinceImproved = improved ? 0 : sinceImproved + 1;
    if (sinceImproved >= patience) {
      stoppedEarly = epoch < epochs;
      break;
    }
  }
  restoreBest();
  const elites = best
    .map((score, m) => ({ score, m }))
    .sort((p, q) => p.score - q.score || p.m - q.m)
    .slice(0, context.numElites)
    .map((p) => p.m)
    .sort((p, q) => p - q);
  const report: TrainReport = {
    ...settings,
    lossKind,
    trainRows: nTrain,
    validationRows: data.nVal,
    epochsRun: history.length,
    stoppedEarly,
    bestValLoss: [...best],
    elites: [...elites],
  };
  return { history, report };
}
