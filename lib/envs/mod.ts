/**
 * Gymnasium-exact classic-control environments (CartPole-v1, Pendulum-v1, MountainCar-v0,
 * MountainCarContinuous-v0, Acrobot-v1) with Gymnasium's API and TimeLimit, plus their reward
 * and termination rules as pure batched functions. Re-exports only.
 *
 * @module
 */
export type * from "./types.ts";
export {
  ClassicControlEnv,
  type EnvOptions,
  ResetNeededError,
  resetStream,
} from "./classic_env.ts";
export * from "./cart_pole.ts";
export * from "./pendulum.ts";
export * from "./mountain_car.ts";
export * from "./mountain_car_continuous.ts";
export * from "./acrobot.ts";
export * from "./registry.ts";
