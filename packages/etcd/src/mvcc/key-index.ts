// The revision history of one key, organised in generations exactly like
// etcd's keyIndex (server/mvcc/key_index.go):
//
//   put(2) put(3) del(4) put(6)  =>  generations: {2, 3, 4(t)} {6}
//
// A generation runs from a create to its tombstone; the last generation is the
// live one and is empty while the key is deleted. `ver` counts every revision
// ever appended to the generation (tombstone included), so versions survive
// compaction trimming `revs`.

import type { KeyValue } from './types.js';

/** One row of the key bucket: revision (main, sub) and the stored KeyValue. */
export interface RevEntry {
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
  /** For a tombstone: KeyValue{key} only, which is what etcd stores. */
  readonly kv: KeyValue;
}

export interface Generation {
  created: number;
  ver: number;
  revs: RevEntry[];
}

export interface KeyAt {
  readonly entry: RevEntry;
  readonly created: number;
  readonly ver: number;
}

export class KeyIndex {
  // Invariants: generations.length >= 1; only the last generation may be empty;
  // every non-last generation ends with a tombstone; revs ascend by (main, sub).
  generations: Generation[] = [{ created: 0, ver: 0, revs: [] }];

  constructor(
    readonly skey: string,
    readonly key: Buffer,
  ) {}

  /** The live (last) generation's newest entry, or undefined while the key is deleted. */
  current(): RevEntry | undefined {
    const g = this.generations[this.generations.length - 1]!;
    return g.revs[g.revs.length - 1];
  }

  liveGeneration(): Generation {
    return this.generations[this.generations.length - 1]!;
  }

  put(entry: RevEntry): void {
    const g = this.liveGeneration();
    if (g.revs.length === 0) g.created = entry.main;
    g.revs.push(entry);
    g.ver += 1;
  }

  /** Appends a tombstone to the live generation and opens a new empty one. */
  tombstone(entry: RevEntry): void {
    if (this.liveGeneration().revs.length === 0) throw new Error(`mvcc: tombstone on deleted key ${this.skey}`);
    this.put(entry);
    this.generations.push({ created: 0, ver: 0, revs: [] });
  }

  /** Rebuilds a key's first surviving generation from a snapshot row (etcd keyIndex.restore). */
  restore(created: number, entry: RevEntry, ver: number): void {
    this.generations = [{ created, ver, revs: [entry] }];
  }

  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0]!.revs.length === 0;
  }

  /** The put visible at revision atRev, or undefined when the key did not exist then. */
  get(atRev: number): KeyAt | undefined {
    const last = this.generations.length - 1;
    const live = this.generations[last]!;
    const newest = live.revs[live.revs.length - 1];
    if (newest !== undefined && newest.main <= atRev) return { entry: newest, created: live.created, ver: live.ver };

    for (let gi = last; gi >= 0; gi--) {
      const g = this.generations[gi]!;
      if (g.revs.length === 0) continue;
      // A closed generation whose tombstone is <= atRev means the key was deleted at atRev.
      if (gi !== last && g.revs[g.revs.length - 1]!.main <= atRev) return undefined;
      if (g.revs[0]!.main <= atRev) {
        const n = lastAtOrBelow(g.revs, atRev);
        const entry = g.revs[n]!;
        return { entry, created: g.created, ver: g.ver - (g.revs.length - n - 1) };
      }
    }
    return undefined;
  }

  /**
   * Drops revisions <= atRev except the newest of them, unless that one is a
   * tombstone; whole generations before it go. Kept entries are added to
   * `available`. Afterwards isEmpty() tells whether the key can be forgotten.
   */
  compact(atRev: number, available: Set<RevEntry>): void {
    const compacted = this.doCompact(atRev, available);
    let genIdx = compacted[0];
    const revIndex = compacted[1];
    const g = this.generations[genIdx]!;
    if (g.revs.length > 0) {
      if (revIndex !== -1) g.revs = g.revs.slice(revIndex);
      // Only the tombstone is left in a closed generation: drop it too.
      if (g.revs.length === 1 && genIdx !== this.generations.length - 1) {
        available.delete(g.revs[0]!);
        genIdx += 1;
      }
    }
    this.generations = this.generations.slice(genIdx);
  }

  /** Adds to `available` the entry compact(atRev) would keep, without changing anything. */
  keep(atRev: number, available: Set<RevEntry>): void {
    if (this.isEmpty()) return;
    const [genIdx, revIndex] = this.doCompact(atRev, available);
    const g = this.generations[genIdx]!;
    if (g.revs.length > 0 && revIndex === g.revs.length - 1 && genIdx !== this.generations.length - 1) {
      available.delete(g.revs[revIndex]!);
    }
  }

  private doCompact(atRev: number, available: Set<RevEntry>): [number, number] {
    let genIdx = 0;
    // First generation that is still open at atRev (its tombstone is above atRev) or the live one.
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx]!;
      if (g.revs[g.revs.length - 1]!.main > atRev) break;
      genIdx += 1;
    }
    const g = this.generations[genIdx]!;
    const revIndex = g.revs.length === 0 ? -1 : lastAtOrBelow(g.revs, atRev);
    if (revIndex !== -1) available.add(g.revs[revIndex]!);
    return [genIdx, revIndex];
  }
}

/** Index of the last entry with main <= rev, or -1. */
function lastAtOrBelow(revs: readonly RevEntry[], rev: number): number {
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid]!.main <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
