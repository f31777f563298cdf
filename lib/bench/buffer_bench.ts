/**
 * Replay-buffer throughput at capacity 100,000 with CartPole dimensions (state 4, action 1):
 * adds per second (one `add` per transition, and `addBatch`), batches of 256 sampled per
 * second, for the uniform and the prioritized buffer. Prints a table and the Deno version.
 * A script, not a test: figures depend on the machine and its load.
 *
 * Run: `deno task bench:buffer` (options: `--capacity N`, `--batch N`, `--seconds S` per
 * sampling measurement, `--reps N` repetitions whose median is printed: the middle one for an odd count, the mean of
 * the two middle ones for an even count).
 *
 * @module
 */
import { cpuLine } from "./machine.ts";
import { parseArgs } from "node:util";
import {
  PrioritizedReplayBuffer,
  ReplayBuffer,
  type Transition,
  type TransitionBatch,
} from "../buffer/mod.ts";
import { Rng } from "../rng.ts";
import { median } from "../stats.ts";

/** What one measurement reports. */
interface Row {
  buffer: string;
  operation: string;
  perSecond: number;
  unit: string;
}

/** CartPole-shaped transitions with random values, made before timing starts. */
function makeTransitions(count: number, rng: Rng): Transition[] {
  const transitions: Transition[] = [];
  for (let i = 0; i < count; i++) {
    const state = [rng.normal(), rng.normal(), rng.normal() * 0.1, rng.normal()];
    transitions.push({
      state,
      action: rng.int(2),
      nextState: state.map((x) => x + 0.02 * rng.normal()),
      reward: 1,
      terminated: rng.uniform() < 0.02,
      truncated: false,
    });
  }
  return transitions;
}

/** Seconds to run `body` once. */
function time(body: () => void): number {
  const start = performance.now();
  body();
  return (performance.now() - start) / 1000;
}

/** Calls `body` repeatedly for at least `seconds`; returns calls per second. */
function rate(body: () => void, seconds: number): number {
  for (let i = 0; i < 20; i++) body(); // warm-up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < 20; i++) body();
    calls += 20;
    elapsed = (performance.now() - start) / 1000;
  }
  return calls / elapsed;
}

function main(): void {
  const args = parseArgs({
    args: Deno.args,
    options: {
      capacity: { type: "string", default: "100000" },
      batch: { type: "string", default: "256" },
      seconds: { type: "string", default: "1" },
      reps: { type: "string", default: "3" },
    },
  }).values;
  const capacity = Number(args.capacity);
  const batchSize = Number(args.batch);
  const seconds = Number(args.seconds);
  const reps = Number(args.reps);
  const rng = new Rng(0);
  const transitions = makeTransitions(capacity, rng.stream("data"));
  const options = { stateDim: 4, actionDim: 1 };
  const kinds: [string, (seed: number) => ReplayBuffer][] = [
    ["uniform", (seed) => new ReplayBuffer(capacity, { ...options, rng: new Rng(seed) })],
    [
      "prioritized",
      (seed) => new PrioritizedReplayBuffer(capacity, { ...options, rng: new Rng(seed) }),
    ],
  ];
  const rows: Row[] = [];
  let batch: TransitionBatch | undefined;
  for (const [name, make] of kinds) {
    const adds: number[] = [];
    const batchAdds: number[] = [];
    const samples: number[] = [];
    const updates: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const buffer = make(rep);
      // Fill once and wrap once: 2 x capacity single adds.
      adds.push(
        (2 * capacity) / time(() => {
          for (const t of transitions) buffer.add(t);
          for (const t of transitions) buffer.add(t);
        }),
      );
      batch ??= buffer.all();
      const target = make(rep);
      const source = batch;
      batchAdds.push(
        (2 * capacity) / time(() => {
          target.addBatch(source);
          target.addBatch(source);
        }),
      );
      samples.push(rate(() => buffer.sample(batchSize), seconds));
      if (buffer instanceof PrioritizedReplayBuffer) {
        const errors = new Float64Array(batchSize);
        const sampleRng = new Rng(rep + 100);
        updates.push(rate(() => {
          const drawn = buffer.sample(batchSize);
          for (let i = 0; i < batchSize; i++) errors[i] = Math.abs(sampleRng.normal());
          buffer.updatePriorities(drawn.indices, errors);
        }, seconds));
      }
    }
    rows.push({
      buffer: name,
      operation: "add (one transition)",
      perSecond: median(adds),
      unit: "transitions/s",
    });
    rows.push({
      buffer: name,
      operation: "addBatch",
      perSecond: median(batchAdds),
      unit: "transitions/s",
    });
    rows.push({
      buffer: name,
      operation: `sample(${batchSize})`,
      perSecond: median(samples),
      unit: "batches/s",
    });
    if (updates.length > 0) {
      rows.push({
        buffer: name,
        operation: `sample(${batchSize}) + updatePriorities(${batchSize})`,
        perSecond: median(updates),
        unit: "batches/s",
      });
    }
  }
  const sequenceBuffer = kinds[0]![1](0);
  for (const t of transitions) sequenceBuffer.add(t);
  rows.push({
    buffer: "uniform",
    operation: `sampleSequences(${batchSize}, 10)`,
    perSecond: median(
      Array.from(
        { length: reps },
        () => rate(() => sequenceBuffer.sampleSequences(batchSize, 10), seconds),
      ),
    ),
    unit: "batches/s",
  });

  const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(
    `Replay buffer benchmark: capacity ${capacity}, state 4, action 1, batch ${batchSize}; ` +
      `median of ${reps}`,
  );
  console.log(
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript}), ` +
      `${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores (${cpuLine()}), ` +
      `load average ${load}`,
  );
  console.log("");
  console.log("| buffer | operation | per second | unit | rows/s |");
  console.log("|---|---|---:|---|---:|");
  for (const row of rows) {
    const perTransition = row.unit === "batches/s" ? row.perSecond * batchSize : row.perSecond;
    console.log(
      `| ${row.buffer} | ${row.operation} | ${
        Math.round(row.perSecond).toLocaleString("en-US")
      } | ` +
        `${row.unit} | ${Math.round(perTransition).toLocaleString("en-US")} |`,
    );
  }
}

if (import.meta.main) main();
