/**
 * A sum tree (with max and min alongside) over non-negative leaf values: O(log n) update and
 * prefix-sum search, O(1) total, max and min. The data structure behind proportional
 * prioritised replay (Schaul et al., 2016, appendix B.2.1).
 *
 * @module
 */
import { assertPositiveInt } from "../validate.ts";

/**
 * A complete binary tree in a 1-based heap array: the root is node 1, node `i` has children
 * `2i` and `2i + 1`, and leaf `j` sits at node `leafStart + j`, where `leafStart` is the
 * smallest power of two `>= capacity`. Leaves past `capacity` are padding and stay 0, so the
 * leaves read left to right in index order and a prefix-sum search returns the leaf whose
 * interval `[prefix(j), prefix(j) + value(j))` contains the searched value.
 *
 * Sums are `Float64Array`s and every internal node is recomputed as the sum of its two
 * children on update (never incremented), so rounding does not accumulate.
 *
 * @example
 * ```ts
 * const tree = new SumTree(4);
 * tree.update(0, 1);
 * tree.update(2, 3);
 * tree.total; // 4
 * tree.find(0.5); // 0
 * tree.find(1.5); // 2
 * ```
 */
export class SumTree {
  #capacity: number;
  #leafStart: number;
  #sums: Float64Array;
  #maxs: Float64Array;
  /** Minimum over positive leaves; zero leaves count as +Infinity. */
  #mins: Float64Array;

  /** @param capacity the number of leaves, a positive integer. */
  constructor(capacity: number) {
    assertPositiveInt(capacity, "capacity");
    this.#capacity = capacity;
    let leafStart = 1;
    while (leafStart < capacity) leafStart *= 2;
    this.#leafStart = leafStart;
    this.#sums = new Float64Array(2 * leafStart);
    this.#maxs = new Float64Array(2 * leafStart);
    this.#mins = new Float64Array(2 * leafStart).fill(Infinity);
  }

  /** The number of leaves. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Heap index of leaf 0 (a power of two); leaf `j` is node `leafStart + j`. */
  get leafStart(): number {
    return this.#leafStart;
  }

  /** The sum of all leaves. */
  get total(): number {
    return this.#sums[1]!;
  }

  /** The largest leaf value (0 when all leaves are 0). */
  get max(): number {
    return this.#maxs[1]!;
  }

  /** The smallest positive leaf value (`Infinity` when all leaves are 0). */
  get min(): number {
    return this.#mins[1]!;
  }

  /** The value of leaf `index`. */
  get(index: number): number {
    this.#checkIndex(index);
    return this.#sums[this.#leafStart + index]!;
  }

  /** Sets leaf `index` to `value` (finite, `>= 0`) and updates its ancestors: O(log n). */
  update(index: number, value: number): void {
    this.#checkIndex(index);
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Expected value to be a finite number >= 0 but found ${value}`);
    }
    let node = this.#leafStart + index;
    this.#sums[node] = value;
    this.#maxs[node] = value;
    this.#mins[node] = value > 0 ? value : Infinity;
    const sums = this.#sums;
    const maxs = this.#maxs;
    const mins = this.#mins;
    node >>= 1;
    while (node >= 1) {
      const left = 2 * node;
      const right = left + 1;
      sums[node] = sums[left]! + sums[right]!;
      maxs[node] = Math.max(maxs[left]!, maxs[right]!);
      mins[node] = Math.min(mins[left]!, mins[right]!);
      node >>= 1;
    }
  }

  /**
   * The leaf `j` with `prefix(j) <= value < prefix(j) + get(j)`, where `prefix(j)` is the sum
   * of leaves `0..j-1`: O(log n). Drawing `value` uniformly from `[0, total)` picks leaf `j`
   * with probability `get(j) / total`. A zero-valued leaf is never returned, even when
   * rounding pushes `value` to the edge of the range.
   *
   * @param value in `[0, total)`.
   */
  find(value: number): number {
    const total = this.#sums[1]!;
    if (!(total > 0)) {
      throw new RangeError("Expected a positive total to search but found 0 (all leaves are 0)");
    }
    if (!(value >= 0 && value < total)) {
      throw new RangeError(`Expected value to be in [0, ${total}) but found ${value}`);
    }
    const sums = this.#sums;
    let node = 1;
    let rest = value;
    while (node < this.#leafStart) {
      const left = 2 * node;
      const leftSum = sums[left]!;
      // Go right only when the value lies past the left subtree and the right one has mass;
      // the second test guards against rounding sending the search to an empty subtree.
      if (rest >= leftSum && sums[left + 1]! > 0) {
        rest -= leftSum;
        node = left + 1;
      } else {
        node = left;
      }
    }
    return node - this.#leafStart;
  }

  /** Sets every leaf to 0. */
  clear(): void {
    this.#sums.fill(0);
    this.#maxs.fill(0);
    this.#mins.fill(Infinity);
  }

  /** A copy of the leaves, `[capacity]`. */
  leaves(): Float64Array {
    return this.#sums.slice(this.#leafStart, this.#leafStart + this.#capacity);
  }

  /**
   * A copy of the sum heap, `[2 * leafStart]` (index 0 unused, root at 1), for inspection and
   * tests.
   */
  heap(): Float64Array {
    return this.#sums.slice();
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#capacity) {
      throw new RangeError(
        `Expected index to be an integer in [0, ${this.#capacity}) but found ${index}`,
      );
    }
  }
}
