/**
 * Recording a model-based RL run as tidy rows while it trains: training-episode and
 * evaluation returns, the model's validation loss after each refit, and a one-line status
 * for live displays. The notebooks pass its callbacks to `trainModelBasedRL`.
 *
 * @module
 */
import type { MbrlStatus } from "../agents/mbrl_loop.ts";
import type { MetricsRow } from "../run_folder.ts";

/** One return of one run: a training episode or an evaluation mean. */
export interface MbrlReturnRow {
  /** The run's label (e.g. "shaping on"). */
  run: string;
  /** Real environment steps when it was recorded (evaluation steps never count). */
  envSteps: number;
  /** Episode return, or the evaluation's mean return. */
  return: number;
  /** `"evaluation"` for an evaluation mean; else the policy of the training episode. */
  kind: "evaluation" | "random" | "mpc";
  /** Episodes behind an evaluation mean (1 for a training episode). */
  episodes: number;
}

/** The model's best validation loss after one refit. */
export interface MbrlLossRow {
  /** The run's label. */
  run: string;
  /** Real transitions in the buffer when the model was refitted. */
  envSteps: number;
  /** Best validation loss of that fit (normalised targets): MSE for a deterministic model, Gaussian NLL for probabilistic and ensemble ones. */
  valLoss: number;
}

/** Options of {@linkcode MbrlRecorder}. */
export interface MbrlRecorderOptions {
  /** Called with a one-line status after every row and every status change. */
  onUpdate?: (line: string, recorder: MbrlRecorder) => void;
  /** Shortest interval between `onUpdate` calls for status changes, ms. @default {500} */
  throttleMs?: number;
}

/**
 * Collects the rows of one `trainModelBasedRL` run: pass `recorder.onProgress` and
 * `recorder.onStatus` as the loop's callbacks.
 *
 * @example
 * ```ts
 * import { trainModelBasedRL } from "../agents/mbrl_loop.ts";
 * const recorder = new MbrlRecorder("default", { onUpdate: (line) => console.log(line) });
 * const { agent } = await trainModelBasedRL({ loop: { maxSteps: 300 } }, {
 *   outDir: await Deno.makeTempDir(),
 *   onProgress: recorder.onProgress,
 *   onStatus: recorder.onStatus,
 * });
 * agent.dispose();
 * recorder.returns; // MbrlReturnRow[]
 * ```
 */
export class MbrlRecorder {
  /** The run's label, copied into every row. */
  readonly run: string;
  /** Training-episode returns and evaluation means, in order. */
  readonly returns: MbrlReturnRow[] = [];
  /** The validation loss after each refit, in order. */
  readonly losses: MbrlLossRow[] = [];
  #options: MbrlRecorderOptions;
  #lastUpdate = 0;
  #status: MbrlStatus | null = null;

  /** @param run the label of the run's rows */
  constructor(run: string, options: MbrlRecorderOptions = {}) {
    this.run = run;
    this.#options = options;
  }

  /** The `onProgress` callback: records one metrics row. */
  readonly onProgress = (row: MetricsRow): void => {
    if (row.kind === "eval") {
      this.returns.push({
        run: this.run,
        envSteps: row.envSteps,
        return: row.evalReturnMean,
        kind: "evaluation",
        episodes: row.evalEpisodes,
      });
    } else {
      this.returns.push({
        run: this.run,
        envSteps: row.envSteps,
        return: row.return,
        kind: row.policy === "mpc" ? "mpc" : "random",
        episodes: 1,
      });
    }
    this.#update(true);
  };

  /** The `onStatus` callback: records each refit's validation loss, updates the status. */
  readonly onStatus = (status: MbrlStatus): void => {
    const previous = this.#status;
    this.#status = status;
    // A status after a fit carries the new loss; "fit" itself carries the previous one.
    if (
      status.phase !== "fit" && previous?.phase === "fit" && status.modelLoss !== null &&
      Number.isFinite(status.modelLoss)
    ) {
      this.losses.push({ run: this.run, envSteps: status.envSteps, valLoss: status.modelLoss });
    }
    this.#update(status.phase !== previous?.phase);
  };

  /** A one-line summary of where the run is. */
  get line(): string {
    const s = this.#status;
    const lastEval = this.returns.findLast((r) => r.kind === "evaluation");
    const parts = [`**${this.run}**`];
    if (s !== null) {
      parts.push(`${s.phase}`, `${s.envSteps}/${s.maxSteps} real steps`, `episode ${s.episode}`);
      if (s.modelLoss !== null) parts.push(`model val loss ${s.modelLoss.toPrecision(3)}`);
      if (s.planMs !== null) parts.push(`${s.planMs.toFixed(1)} ms/plan`);
    }
    if (lastEval !== undefined) {
      parts.push(
        `last evaluation ${lastEval.return.toFixed(1)} ` +
          `(${lastEval.episodes} episode${lastEval.episodes === 1 ? "" : "s"} at ` +
          `${lastEval.envSteps} steps)`,
      );
    }
    return parts.join(" · ");
  }

  #update(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastUpdate < (this.#options.throttleMs ?? 500)) return;
    this.#lastUpdate = now;
    this.#options.onUpdate?.(this.line, this);
  }
}
