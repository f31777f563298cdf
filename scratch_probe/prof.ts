import { setupBackend } from "../lib/backend.ts";
import { createDynamicsModel } from "../lib/models/mod.ts";
import { makeMpcPlanner } from "../lib/planners/mod.ts";
import { Rng } from "../lib/rng.ts";
import { ReplayBuffer } from "../lib/buffer/mod.ts";
import { CartPoleEnv } from "../lib/envs/cart_pole.ts";
await setupBackend();
const rng = new Rng(0);
const env = new CartPoleEnv({ rng: rng.stream("env") });
const buffer = new ReplayBuffer(2000, { stateDim: 4, actionDim: 1, rng: rng.stream("buf") });
let obs = env.reset().observation;
for (let t = 0; t < 2000; t++) {
  const action = rng.int(2);
  const step = env.step(action);
  buffer.add({ ...step, state: obs, action, nextState: step.observation });
  obs = step.terminated || step.truncated ? env.reset().observation : step.observation;
}
const model = createDynamicsModel({
  type: "probabilistic",
  stateDim: 4,
  actionDim: 1,
  rng: rng.stream("m"),
});
await model.train(buffer, { epochs: 2 });
const planner = makeMpcPlanner({
  type: "random_shooting",
  horizon: 10,
  numSamples: 1000,
  actionMode: "continuous",
  workers: 0,
}, { dynamicsModel: model, envId: "CartPole-v1", rng });
for (let i = 0; i < 5; i++) planner.getAction(obs);
const t0 = performance.now();
for (let i = 0; i < 60; i++) planner.getAction(obs);
console.log(((performance.now() - t0) / 60).toFixed(1), "ms/step");
planner.dispose();
model.dispose();
