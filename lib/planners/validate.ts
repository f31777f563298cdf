/**
 * The planners' argument checks, now the shared ones of `lib/validate.ts` (re-exports only,
 * kept so existing `./validate.ts` imports in `lib/planners/` keep working; new code imports
 * `../validate.ts` directly).
 *
 * @module
 */
export { assertInRange, assertPositive, assertPositiveInt } from "../validate.ts";
