import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
import { limitSize, type Entry, type HardState, type NodeId, type Snapshot } from './types.js';

/**
 * Read side of the durable log, used by the core. Everything returned here has been
 * persisted by the driver (entries via append, snapshots via applySnapshot).
 */
export interface Storage {
  /** Persisted hard state and the voter set from the latest snapshot ([] if none). */
  initialState(): { hardState: HardState; voters: NodeId[] };
  /** Entries in [lo, hi), size-limited but at least one if any. Throws ErrCompacted / ErrUnavailable. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry `index`; valid for [firstIndex()-1, lastIndex()]. Throws ErrCompacted / ErrUnavailable. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** Latest snapshot; may throw ErrSnapshotTemporarilyUnavailable. */
  snapshot(): Snapshot;
}

/**
 * In-memory Storage. Also the write side the driver uses: append, applySnapshot,
 * setHardState, createSnapshot, compact.
 *
 * Invariant: `ents[0]` is a dummy entry holding the index/term of the last compacted
 * (or snapshotted) entry; real entries are `ents[1..]`, contiguous.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { metadata: { index: 0, term: 0, voters: [] }, data: new Uint8Array(0) };
  private ents: Entry[] = [{ term: 0, index: 0, data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; voters: NodeId[] } {
    return { hardState: { ...this.hardState }, voters: [...this.snap.metadata.voters] };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1) {
      throw new ErrUnavailable(`raft storage: entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new ErrUnavailable();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(index: number): number {
    const offset = this.ents[0]!.index;
    if (index < offset) throw new ErrCompacted();
    const e = this.ents[index - offset];
    if (e === undefined) throw new ErrUnavailable();
    return e.term;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with the snapshot. Throws ErrSnapOutOfDate if not newer. */
  applySnapshot(s: Snapshot): void {
    if (this.snap.metadata.index >= s.metadata.index) throw new ErrSnapOutOfDate();
    this.snap = s;
    this.ents = [{ term: s.metadata.term, index: s.metadata.index, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the state machine at `index` (which must be <= lastIndex and
   * applied by the caller). Does not drop entries; call compact for that.
   */
  createSnapshot(index: number, voters: NodeId[], data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    if (index > this.lastIndex()) {
      throw new ErrUnavailable(`raft storage: snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    }
    const offset = this.ents[0]!.index;
    this.snap = { metadata: { index, term: this.ents[index - offset]!.term, voters: [...voters] }, data };
    return this.snap;
  }

  /** Discards entries up to and including `index`. Throws ErrCompacted if already compacted. */
  compact(index: number): void {
    const offset = this.ents[0]!.index;
    if (index <= offset) throw new ErrCompacted();
    if (index > this.lastIndex()) {
      throw new ErrUnavailable(`raft storage: compact ${index} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = index - offset;
    const head = this.ents[i]!;
    this.ents = [{ term: head.term, index: head.index, data: new Uint8Array(0) }, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, truncating any conflicting suffix first. Entries at or below the
   * compaction point are ignored. The entries must be contiguous with the log.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    let ents = entries;
    if (first > ents[0]!.index) ents = ents.slice(first - ents[0]!.index);
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (this.ents.length > offset) {
      this.ents = [...this.ents.slice(0, offset), ...ents];
    } else if (this.ents.length === offset) {
      this.ents.push(...ents);
    } else {
      throw new ErrUnavailable(
        `raft storage: missing log entry [last: ${this.lastIndex()}, append at: ${ents[0]!.index}]`,
      );
    }
  }
}
