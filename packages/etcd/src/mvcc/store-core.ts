// The MVCC state machine under the request layer: key index, the key bucket
// (every stored revision in (main, sub) order), revisions, lease attachments.
// Mirrors etcd's mvcc.store + treeIndex + the bbolt key bucket, in memory.
//
// Invariants:
//  - currentRev is the revision of the last write txn that changed something
//    (starts at 1); every entry in `log` has main <= currentRev.
//  - `log` is sorted by (main, sub); writes only append (revisions grow), and
//    compaction removes entries <= compactRev except those keyIndex.compact keeps.
//  - `keys` (point lookups) and `ordered` (range scans) hold the same KeyIndex
//    objects; a key leaves them only when compaction empties its history.
//  - leaseKeys[lease] is exactly the set of live keys whose current value has that lease.

import { CompactedError, FutureRevisionError } from './errors.js';
import { KeyIndex, type RevEntry } from './key-index.js';
import { OrderedKeys } from './ordered-keys.js';
import { keyValueSize, REV_BYTES_LEN } from './codec.js';
import type { Event, KeyValue } from './types.js';

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/**
 * A key range in store form: `end` undefined = the single key `start`;
 * `end` null = no upper bound; otherwise [start, end). Strings are latin1.
 */
export interface KeyRange {
  readonly start: string;
  readonly end: string | undefined | null;
}

/** etcd's rangeEnd convention (mkGteRange): empty = single key, [0x00] = to the end. */
export function toKeyRange(key: Buffer, rangeEnd: Buffer | undefined): KeyRange {
  const start = key.toString('latin1');
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null };
  return { start, end: rangeEnd.toString('latin1') };
}

export interface RangeKeysOptions {
  readonly rev?: number;
  readonly limit?: number;
  readonly countOnly?: boolean;
}

export interface RangeKeysResult {
  readonly kvs: KeyValue[];
  readonly count: number;
  /** The revision the reading txn saw as current. */
  readonly rev: number;
}

/** The per-entry overhead dbSizeEstimate charges on top of key and value bytes (bbolt leaf element header). */
const DB_ENTRY_OVERHEAD = 16;

export class StoreCore {
  readonly keys = new Map<string, KeyIndex>();
  readonly ordered = new OrderedKeys<KeyIndex>();
  log: RevEntry[] = [];
  currentRev = 1;
  compactRev = -1;
  readonly leaseKeys = new Map<bigint, Set<string>>();
  /** Sum over `log` of revision-key bytes + marshalled value bytes + DB_ENTRY_OVERHEAD. */
  logBytes = 0;

  // ---- reads -----------------------------------------------------------------

  /** etcd rangeKeys: validates rev against curRev and compactRev, then lists the range at rev. */
  rangeKeys(range: KeyRange, curRev: number, ro: RangeKeysOptions): RangeKeysResult {
    let rev = ro.rev ?? 0;
    if (rev > curRev) throw new FutureRevisionError();
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new CompactedError();

    const max = ro.countOnly === true ? 0 : ro.limit !== undefined && ro.limit > 0 ? ro.limit : Infinity;
    const kvs: KeyValue[] = [];
    let count = 0;
    const visit = (ki: KeyIndex): void => {
      const at = ki.get(rev);
      if (at === undefined) return;
      count += 1;
      if (kvs.length < max) kvs.push(at.entry.kv);
    };
    if (range.end === undefined) {
      const ki = this.keys.get(range.start);
      if (ki !== undefined) visit(ki);
    } else {
      for (const ki of this.ordered.range(range.start, range.end ?? undefined)) visit(ki);
    }
    return { kvs, count, rev: curRev };
  }

  /** The value of one key at `rev`, or undefined if absent, compacted or in the future. */
  kvAt(skey: string, rev: number): KeyValue | undefined {
    if (rev < this.compactRev || rev > this.currentRev || rev <= 0) return undefined;
    return this.keys.get(skey)?.get(rev)?.entry.kv;
  }

  /** Index in `log` of the first entry with main >= rev. */
  logIndexAtOrAfter(rev: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.main < rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---- writes ----------------------------------------------------------------

  beginWrite(): WriteTxn {
    return new WriteTxn(this);
  }

  appendEntry(ki: KeyIndex, entry: RevEntry): void {
    if (entry.tombstone) ki.tombstone(entry);
    else ki.put(entry);
    this.log.push(entry);
    this.logBytes += entrySize(entry);
  }

  attach(lease: bigint, skey: string): void {
    if (lease === 0n) return;
    let set = this.leaseKeys.get(lease);
    if (set === undefined) {
      set = new Set();
      this.leaseKeys.set(lease, set);
    }
    set.add(skey);
  }

  detach(lease: bigint, skey: string): void {
    if (lease === 0n) return;
    const set = this.leaseKeys.get(lease);
    if (set === undefined) return;
    set.delete(skey);
    if (set.size === 0) this.leaseKeys.delete(lease);
  }

  // ---- compaction --------------------------------------------------------------

  compact(rev: number): void {
    if (rev <= this.compactRev) throw new CompactedError();
    if (rev > this.currentRev) throw new FutureRevisionError();
    this.compactRev = rev;

    const available = new Set<RevEntry>();
    const survivors: KeyIndex[] = [];
    for (const ki of this.ordered.all()) {
      ki.compact(rev, available);
      if (ki.isEmpty()) this.keys.delete(ki.skey);
      else survivors.push(ki);
    }
    if (survivors.length !== this.ordered.size) this.ordered.rebuild(survivors);

    const cut = this.logIndexAtOrAfter(rev + 1);
    const kept = this.log.slice(0, cut).filter((e) => available.has(e));
    this.log = kept.concat(this.log.slice(cut));
    this.logBytes = 0;
    for (const e of this.log) this.logBytes += entrySize(e);
  }

  /** The entries compact(rev) would keep among those <= rev (etcd treeIndex.Keep). */
  keep(rev: number): Set<RevEntry> {
    const available = new Set<RevEntry>();
    for (const ki of this.ordered.all()) ki.keep(rev, available);
    return available;
  }

  // ---- restore -----------------------------------------------------------------

  /**
   * Rebuilds index and lease attachments from key-bucket rows in (main, sub)
   * order, the way etcd restores from its backend: a key's first row fixes its
   * create revision and version; later rows replay as puts and tombstones.
   */
  loadRows(rows: readonly RevEntry[], currentRev: number, compactRev: number): void {
    const newKeys: KeyIndex[] = [];
    for (const entry of rows) {
      const skey = entry.kv.key.toString('latin1');
      let ki = this.keys.get(skey);
      if (ki !== undefined) {
        if (entry.tombstone) ki.tombstone(entry);
        else ki.put(entry);
      } else if (!entry.tombstone) {
        ki = new KeyIndex(skey, entry.kv.key);
        ki.restore(entry.kv.createRevision, entry, entry.kv.version);
        this.keys.set(skey, ki);
        newKeys.push(ki);
      }
      this.log.push(entry);
      this.logBytes += entrySize(entry);
    }
    newKeys.sort((a, b) => (a.skey < b.skey ? -1 : a.skey > b.skey ? 1 : 0));
    this.ordered.rebuild(newKeys);
    this.currentRev = currentRev;
    this.compactRev = compactRev;
    for (const ki of newKeys) {
      const cur = ki.current();
      if (cur !== undefined) this.attach(cur.kv.lease, ki.skey);
    }
  }
}

function entrySize(e: RevEntry): number {
  return REV_BYTES_LEN + (e.tombstone ? 1 : 0) + keyValueSize(e.kv) + DB_ENTRY_OVERHEAD;
}

/** The event a key-bucket row stands for; tombstones get their revision patched in, as etcd does. */
export function entryToEvent(e: RevEntry): Event {
  if (!e.tombstone) return { type: 'PUT', kv: e.kv };
  return {
    type: 'DELETE',
    kv: { key: e.kv.key, createRevision: 0, modRevision: e.main, version: 0, value: EMPTY_BYTES, lease: 0n },
  };
}

/**
 * One write transaction (etcd storeTxnWrite). All its changes share main
 * revision beginRev + 1 with increasing sub revisions; reads inside it see its
 * own earlier writes. end() bumps the store revision iff something changed.
 */
export class WriteTxn {
  readonly beginRev: number;
  readonly changes: RevEntry[] = [];

  constructor(private readonly core: StoreCore) {
    this.beginRev = core.currentRev;
  }

  /** The revision reads inside this txn observe. */
  readRev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  range(range: KeyRange, ro: RangeKeysOptions): RangeKeysResult {
    return this.core.rangeKeys(range, this.readRev(), ro);
  }

  /** Writes key = value with lease; returns the txn's revision. */
  put(key: Buffer, value: Buffer, lease: bigint): number {
    const core = this.core;
    const rev = this.beginRev + 1;
    const skey = key.toString('latin1');
    let ki = core.keys.get(skey);
    let created = rev;
    let ver = 0;
    let oldLease = 0n;
    const cur = ki?.current();
    if (ki !== undefined && cur !== undefined) {
      const g = ki.liveGeneration();
      created = g.created;
      ver = g.ver;
      oldLease = cur.kv.lease;
    }
    if (ki === undefined) {
      ki = new KeyIndex(skey, key);
      core.keys.set(skey, ki);
      core.ordered.insert(ki);
    }
    const kv: KeyValue = { key: ki.key, createRevision: created, modRevision: rev, version: ver + 1, value, lease };
    const entry: RevEntry = { main: rev, sub: this.changes.length, tombstone: false, kv };
    core.appendEntry(ki, entry);
    this.changes.push(entry);
    if (oldLease !== 0n) core.detach(oldLease, skey);
    if (lease !== 0n) core.attach(lease, skey);
    return rev;
  }

  /** Deletes every live key in range; returns [deleted count, revision for the response header]. */
  deleteRange(range: KeyRange): [number, number] {
    const core = this.core;
    const victims: KeyIndex[] = [];
    if (range.end === undefined) {
      const ki = core.keys.get(range.start);
      if (ki?.current() !== undefined) victims.push(ki);
    } else {
      for (const ki of core.ordered.range(range.start, range.end ?? undefined)) {
        if (ki.current() !== undefined) victims.push(ki);
      }
    }
    for (const ki of victims) this.deleteKey(ki);
    if (victims.length > 0 || this.changes.length > 0) return [victims.length, this.beginRev + 1];
    return [0, this.beginRev];
  }

  private deleteKey(ki: KeyIndex): void {
    const core = this.core;
    const lease = ki.current()!.kv.lease;
    const kv: KeyValue = { key: ki.key, createRevision: 0, modRevision: 0, version: 0, value: EMPTY_BYTES, lease: 0n };
    const entry: RevEntry = { main: this.beginRev + 1, sub: this.changes.length, tombstone: true, kv };
    core.appendEntry(ki, entry);
    this.changes.push(entry);
    if (lease !== 0n) core.detach(lease, ki.skey);
  }

  /** Commits: the store revision advances iff the txn changed something. Returns the events. */
  end(): Event[] {
    if (this.changes.length === 0) return [];
    this.core.currentRev = this.beginRev + 1;
    return this.changes.map(entryToEvent);
  }
}
