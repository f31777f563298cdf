import { assertEquals } from "@std/assert";
import { combineOutputs, type EnsembleView } from "../../lib/models/ensemble_forward.ts";
import type { MemberNetwork } from "../../lib/models/member.ts";
import { Rng } from "../../lib/rng.ts";

/** A view over fake members: `combineOutputs` reads only their width and log-std bounds. */
function view(members: number, probabilistic: boolean, learnTermination: boolean): EnsembleView {
  const s = 3;
  const t = s + 1;
  const width = t * (probabilistic ? 2 : 1) + (learnTermination ? 1 : 0);
  const bounds = { max: Float32Array.of(0.5, 0.2, 0.1, 0.3), min: Float32Array.of(-4, -5, -3, -6) };
  const member = { outputDim: width, bounds: () => bounds } as unknown as MemberNetwork;
  return {
    stateDim: s,
    actionDim: 1,
    probabilistic,
    learnTermination,
    members: Array.from({ length: members }, () => member),
    elites: Array.from({ length: members }, (_, k) => k),
    inputNorm: { mean: new Float32Array(s + 1), std: new Float32Array(s + 1).fill(1) },
    targetNorm: { mean: Float32Array.of(0.1, -0.2, 0, 1.5), std: Float32Array.of(2, 0.5, 1, 3) },
    inference: "tfjs",
  } as unknown as EnsembleView;
}

Deno.test("combineOutputs: the one-member path equals the general loop bit for bit", () => {
  const rng = new Rng(4);
  const n = 50;
  for (const probabilistic of [false, true]) {
    for (const learnTermination of [false, true]) {
      const one = view(1, probabilistic, learnTermination);
      const width = one.members[0]!.outputDim;
      const data = rng.fillNormal(new Float32Array(n * width)).map((v) => v * 3);
      data[0] = -0; // the general loop's `0 + mu` turns -0 into +0
      const states = rng.fillNormal(new Float32Array(n * 3));
      const outs = [{ data, member: 0 }];
      // Two members make the same single output go through the general loop.
      const general = combineOutputs(view(2, probabilistic, learnTermination), states, n, outs, {
        aleatoricOnly: true,
      });
      const fast = combineOutputs(one, states, n, outs, { aleatoricOnly: true });
      assertEquals(fast.mean, general.mean);
      assertEquals(fast.reward, general.reward);
      assertEquals(fast.std, general.std);
      assertEquals(fast.rewardStd, general.rewardStd);
      assertEquals(fast.terminationProb, general.terminationProb);
      // And over a subset of rows (a member's share of a propagation).
      const rows = Int32Array.from({ length: 20 }, (_, i) => (i * 7) % n);
      const sub = new Float32Array(20 * width);
      for (let i = 0; i < 20; i++) {
        sub.set(data.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
      }
      const fastRows = combineOutputs(one, states, 20, [{ data: sub, member: 0 }], { rows });
      for (let i = 0; i < 20; i++) {
        for (let j = 0; j < 3; j++) {
          assertEquals(fastRows.mean[i * 3 + j], general.mean[rows[i]! * 3 + j]);
        }
      }
    }
  }
});
