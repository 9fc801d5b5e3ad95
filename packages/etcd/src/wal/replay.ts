import { assertNever } from './assert-never.js';
import { WalCorruptError } from './errors.js';
import type { WalRecord } from './record.js';
import type { Entry, HardState, SnapshotRef } from './types.js';

/**
 * Folds records, oldest first, into the state a restarting member needs. Pure.
 *
 * Invariants of `entries`: indexes are consecutive, starting at `base + 1`.
 * An entry at index i replaces every entry already read at >= i (Raft log truncation);
 * entries at or below the snapshot index are covered by the snapshot and skipped.
 */
export class Replay {
  readonly entries: Entry[] = [];
  metadata: Uint8Array | undefined;
  hardState: HardState | undefined;
  /** Newest snapshot marker in log order. */
  newestMarker: SnapshotRef | undefined;
  /**
   * Index after which the next segment's entries start, ignoring the snapshot filter:
   * the last entry written, raised to a snapshot marker's index (entries it covers are dead).
   */
  lastIndex = 0;
  private markerSeen = false;

  constructor(private readonly snapshot: SnapshotRef) {}

  /** True once a marker equal to the snapshot replay started from has been read. */
  get snapshotMarkerFound(): boolean {
    return this.snapshot.index === 0 || this.markerSeen;
  }

  apply(record: WalRecord, file: string, offset: number): void {
    switch (record.kind) {
      case 'crcSeed':
        return;
      case 'metadata':
        if (this.metadata === undefined) {
          this.metadata = record.data;
        } else if (Buffer.compare(this.metadata, record.data) !== 0) {
          throw new WalCorruptError(file, offset, 'metadata record differs from the one in earlier segments');
        }
        return;
      case 'hardState':
        this.hardState = record.hardState;
        return;
      case 'snapshotMarker':
        this.newestMarker = record.snapshot;
        this.lastIndex = Math.max(this.lastIndex, record.snapshot.index);
        if (record.snapshot.index === this.snapshot.index && record.snapshot.term === this.snapshot.term) {
          this.markerSeen = true;
        }
        return;
      case 'entry':
        this.applyEntry(record.entry, file, offset);
        return;
      default:
        assertNever(record);
    }
  }

  private applyEntry(entry: Entry, file: string, offset: number): void {
    this.lastIndex = entry.index;
    const base = this.snapshot.index;
    if (entry.index <= base) return;
    const position = entry.index - base - 1;
    if (position > this.entries.length) {
      const have = base + this.entries.length;
      throw new WalCorruptError(
        file,
        offset,
        `entry index gap: read entry ${entry.index} after ${have} (replaying from snapshot index ${base})`,
      );
    }
    this.entries.length = position;
    this.entries.push(entry);
  }
}
