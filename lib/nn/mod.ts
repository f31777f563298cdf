/**
 * Neural-network building blocks: a fast MLP with hand-arranged gradients, Adam, and seeded
 * initialisers.
 *
 * @module
 */
export * from "./mlp.ts";
export * from "./adam.ts";
export * from "./init.ts";
