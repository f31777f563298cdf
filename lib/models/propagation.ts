/**
 * One stochastic model step for rollouts (PETS propagation): which elite predicts each row
 * (`"ts1"`, `"tsinf"`, `"expectation"`), then Gaussian noise from the predicted std.
 *
 * Internal to `lib/models/`; `BaseDynamicsModel.sample` calls it.
 *
 * @module
 */
import {
  combineOutputs,
  type EnsembleView,
  forwardMembers,
  type MemberOutputs,
} from "./ensemble_forward.ts";
import { Rng } from "../rng.ts";
import { describeValue } from "../validate.ts";
import type { DynamicsPrediction, Propagation, SampleOptions } from "./types.ts";

const PROPAGATIONS: readonly Propagation[] = ["ts1", "tsinf", "expectation"];

/**
 * `mean` holds sampled next states (Gaussian noise from `options.rng` when probabilistic; the
 * mean otherwise), `reward` sampled rewards. With several elites, `"ts1"` draws a random elite
 * per row, `"tsinf"` uses elite `members[i] % numElites` (default `i % numElites`) for row `i`,
 * `"expectation"` the mean over elites with the mean aleatoric variance.
 * @throws {TypeError} on a missing `rng` or an unknown propagation; {RangeError} when
 *   `members` has the wrong length.
 *
 * @example
 * ```ts
 * import { EnsembleDynamicsModel } from "./ensemble_model.ts";
 * import { setupBackend } from "../backend.ts";
 * import { Rng } from "../rng.ts";
 * await setupBackend();
 * const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, numModels: 2, hiddenSizes: [8] });
 * // sampleElites is what model.sample runs:
 * model.sample(new Float32Array([0, 1]), new Float32Array([1]), { rng: new Rng(0) }).mean.length; // 2
 * model.dispose();
 * ```
 */
export function sampleElites(
  view: EnsembleView,
  states: Float32Array,
  actions: Float32Array,
  n: number,
  options: SampleOptions,
): DynamicsPrediction {
  const rng = options?.rng;
  if (!(rng instanceof Rng)) {
    throw new TypeError(`Expected options.rng to be an Rng but found ${describeValue(rng)}`);
  }
  const propagation: Propagation = options.propagation ?? "ts1";
  if (!PROPAGATIONS.includes(propagation)) {
    throw new TypeError(
      `Expected propagation to be ts1, tsinf or expectation but found ${propagation}`,
    );
  }
  const elites = view.elites;
  const e = elites.length;
  let prediction: DynamicsPrediction;
  if (e === 1 || propagation === "expectation") {
    prediction = combineOutputs(
      view,
      states,
      n,
      forwardMembers(view, states, actions, elites.map((m) => ({ member: m })), n),
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
    prediction = gathered(view, states, actions, n, groups);
  }
  if (view.probabilistic) {
    const { mean, std, reward } = prediction;
    for (let i = 0; i < mean.length; i++) mean[i]! += std![i]! * rng.normal();
    const rStd = prediction.rewardStd!;
    for (let i = 0; i < n; i++) reward[i]! += rStd[i]! * rng.normal();
  }
  return prediction;
}

/** Rows grouped per elite (`groups[k]` are the rows elite `k` predicts), scattered back. */
function gathered(
  view: EnsembleView,
  states: Float32Array,
  actions: Float32Array,
  n: number,
  groups: Int32Array[],
): DynamicsPrediction {
  const elites = view.elites;
  const s = view.stateDim;
  const jobs = groups.map((rows, k) => ({ member: elites[k]!, rows }));
  const outs: MemberOutputs[] = forwardMembers(view, states, actions, jobs, n);
  const mean = new Float32Array(n * s);
  const std = view.probabilistic ? new Float32Array(n * s) : undefined;
  const reward = new Float32Array(n);
  const rewardStd = view.probabilistic ? new Float32Array(n) : undefined;
  const terminationProb = view.learnTermination ? new Float32Array(n) : undefined;
  outs.forEach((out, k) => {
    const rows = groups[k]!;
    const single = combineOutputs(view, states, rows.length, [out], { aleatoricOnly: true, rows });
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
