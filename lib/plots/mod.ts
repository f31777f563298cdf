/**
 * Observable Plot figures built on one linkedom document. Figure functions take tidy rows and
 * an options object and return a {@linkcode Figure} that displays inline in a notebook
 * (`image/svg+xml` with a `text/plain` fallback) and saves as a standalone `.svg`.
 *
 * @module
 */
export * from "./document.ts";
export { type ComposeOptions, toStandaloneSvg } from "./compose.ts";
export * from "./figure.ts";
export * from "./colors.ts";
export type * from "./common.ts";
export * from "./rl.ts";
export * from "./models.ts";
export * from "./buffer.ts";
export * from "./planning.ts";
export * from "./env.ts";
export * from "./mbrl.ts";
export * from "./value.ts";
