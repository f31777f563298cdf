/**
 * Seeded random numbers with independent named streams.
 *
 * One integer seed reproduces a whole run: every consumer (env resets, buffer sampling,
 * network initialisation, planner noise) asks the run's root {@linkcode Rng} for its own
 * stream by name, so adding draws in one place never shifts the numbers another sees.
 * The generator is `pure-rand`'s xoroshiro128+ (well tested, fast, 2^128 period) rather than
 * a hand-written one.
 *
 * @module
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";
import { assertFinite } from "./validate.ts";

/** FNV-1a over the seed's and the name's characters: a stable 32-bit child seed. */
function deriveSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}/${name}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** The murmur3 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Throws a `TypeError` unless `seed` is a safe integer. */
export function assertSeed(seed: number, what = "seed"): void {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`Expected ${what} to be an integer but found ${seed}`);
  }
}

/** Throws unless both bounds of a uniform draw are finite numbers. */
function assertFiniteBounds(low: number, high: number): void {
  assertFinite(low, "low");
  assertFinite(high, "high");
}

/**
 * A seeded random stream.
 *
 * @example
 * ```ts
 * const root = new Rng(0);
 * const noise = root.stream("planner");
 * const u = noise.uniform(); // in [0, 1)
 * ```
 */
export class Rng {
  #gen: JumpableRandomGenerator;
  #spareNormal: number | undefined;
  /** The seed this stream was created from. */
  readonly seed: number;

  /** @param seed any safe integer; the same seed gives the same sequence. */
  constructor(seed: number) {
    assertSeed(seed);
    this.seed = seed;
    // xoroshiro128+ uses its seed as raw state, so small seeds give near-identical first
    // draws; scramble it first (the high bits folded in so seeds beyond 32 bits still differ).
    this.#gen = xoroshiro128plus(mix32((seed | 0) ^ (Math.floor(seed / 2 ** 32) | 0)));
  }

  /** An independent stream named `name`, derived from this stream's seed (not its position). */
  stream(name: string): Rng {
    if (typeof name !== "string") {
      throw new TypeError(`Expected name to be a string but found ${String(name)}`);
    }
    return new Rng(deriveSeed(this.seed, name));
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.#gen);
  }

  /** A uniform float in [low, high); both bounds must be finite numbers. */
  uniformRange(low: number, high: number): number {
    assertFiniteBounds(low, high);
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Expected n to be a positive integer but found ${n}`);
    }
    return uniformInt(this.#gen, 0, n - 1);
  }

  /** A standard normal draw (Box-Muller; the second value of each pair is kept for next call). */
  normal(): number {
    if (this.#spareNormal !== undefined) {
      const spare = this.#spareNormal;
      this.#spareNormal = undefined;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with standard normal draws and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fills `out` with uniform draws in [low, high) (finite bounds) and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    assertFiniteBounds(low, high);
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** An integer seed for libraries that take one (e.g. tfjs initialisers), from this stream. */
  nextSeed(): number {
    return uniformInt(this.#gen, 0, 2 ** 31 - 2);
  }
}
