/**
 * Set of operation indices with an incrementally maintained hash: the "which operations
 * are already linearized" half of the memoization key.
 *
 * Invariant: `hash` is the XOR of `mix(i)` over every member `i`, so adding and removing
 * a member are the same O(1) update and equal sets always have equal hashes.
 */
export class Bitset {
  private readonly words: Uint32Array;
  private h = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  get hash(): number {
    return this.h;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
  }

  /** Adds `i`; it must not be a member already. */
  add(i: number): void {
    const w = i >>> 5;
    this.words[w] = (this.words[w] ?? 0) | (1 << (i & 31));
    this.h ^= mix(i);
    this.count++;
  }

  /** Removes `i`; it must be a member. */
  remove(i: number): void {
    const w = i >>> 5;
    this.words[w] = (this.words[w] ?? 0) & ~(1 << (i & 31));
    this.h ^= mix(i);
    this.count--;
  }

  /**
   * Immutable copy, compact when the set is "a prefix plus a few": leading all-ones words
   * are stored as a count. The search numbers operations by call time, so linearized sets
   * have exactly that shape and snapshots stay a few words long.
   */
  snapshot(): BitsetSnapshot {
    let full = 0;
    while (full < this.words.length && this.words[full] === 0xffffffff) full++;
    let end = this.words.length;
    while (end > full && this.words[end - 1] === 0) end--;
    return new BitsetSnapshot(this.h, full, this.words.slice(full, end));
  }

  /** @internal word access for snapshots */
  word(w: number): number {
    return this.words[w] ?? 0;
  }

  get wordCount(): number {
    return this.words.length;
  }
}

/** A frozen `Bitset`: `full` all-ones words, then `tail`, then zeros. */
export class BitsetSnapshot {
  constructor(
    readonly hash: number,
    private readonly full: number,
    private readonly tail: Uint32Array,
  ) {}

  /** Same members as the live set `b`. */
  equals(b: Bitset): boolean {
    if (b.hash !== this.hash) return false;
    return this.compare(b, (mine, theirs) => mine === theirs);
  }

  /** Every member is also a member of the live set `b`. */
  isSubsetOf(b: Bitset): boolean {
    return this.compare(b, (mine, theirs) => (mine & theirs) >>> 0 === mine);
  }

  private compare(b: Bitset, ok: (mine: number, theirs: number) => boolean): boolean {
    const n = b.wordCount;
    for (let w = 0; w < n; w++) {
      const mine = w < this.full ? 0xffffffff : (this.tail[w - this.full] ?? 0);
      if (!ok(mine, b.word(w))) return false;
    }
    return true;
  }
}

/** murmur3's 32-bit finalizer: spreads consecutive indices over the whole hash space. */
function mix(i: number): number {
  let x = (i + 0x9e3779b9) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
