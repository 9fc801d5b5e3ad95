// An ordered set of items keyed by a latin1 string (one char per key byte, so
// JS string order is etcd's bytewise key order), laid out as a two-level
// B+-tree: a sorted list of leaf chunks, each a sorted array of at most
// MAX_CHUNK items.
//
// Cost: insert = binary search over chunks + binary search and splice inside
// one chunk (<= MAX_CHUNK moves), so O(log n + MAX_CHUNK) whatever the size;
// a chunk split splices the (n / MAX_CHUNK)-long chunk list, about 200 entries
// at 100k keys. Range scans seek in O(log n) and then walk chunks in order.
// Deleting keys only happens in compaction, which rebuilds the whole list.

const MAX_CHUNK = 512;

export class OrderedKeys<T extends { readonly skey: string }> {
  // Invariant: every chunk is non-empty and sorted; chunks are in order and
  // chunk[i]'s last skey < chunk[i+1]'s first skey.
  private chunks: T[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Inserts an item whose skey is not present yet. */
  insert(item: T): void {
    const k = item.skey;
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.count = 1;
      return;
    }
    let ci = this.chunkFor(k);
    if (ci === this.chunks.length) ci -= 1; // beyond every key: append to the last chunk
    const chunk = this.chunks[ci]!;
    const pos = lowerBound(chunk, k);
    chunk.splice(pos, 0, item);
    this.count += 1;
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(chunk.length >> 1);
      this.chunks.splice(ci + 1, 0, upper);
    }
  }

  /** Items with start <= skey < end, ascending; end undefined = no upper bound. */
  *range(start: string, end: string | undefined): Generator<T> {
    if (end !== undefined && start >= end) return;
    let ci = this.chunkFor(start);
    if (ci === this.chunks.length) return;
    let i = lowerBound(this.chunks[ci]!, start);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci]!;
      for (; i < chunk.length; i++) {
        const item = chunk[i]!;
        if (end !== undefined && item.skey >= end) return;
        yield item;
      }
    }
  }

  *all(): Generator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Replaces the contents with `sorted` (ascending by skey, no duplicates). */
  rebuild(sorted: readonly T[]): void {
    const half = MAX_CHUNK >> 1;
    this.chunks = [];
    for (let i = 0; i < sorted.length; i += half) this.chunks.push(sorted.slice(i, i + half));
    this.count = sorted.length;
  }

  /** Index of the first chunk whose last key is >= k (chunks.length when none). */
  private chunkFor(k: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid]!;
      if (c[c.length - 1]!.skey < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound<T extends { readonly skey: string }>(arr: readonly T[], k: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]!.skey < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
