/**
 * Raft types persisted by the WAL. Structurally identical to kemu's raft package so values
 * pass between the two without conversion; defined here to keep the storage layer free of
 * a dependency on the protocol core.
 */
export interface Entry {
  term: number;
  index: number;
  data: Uint8Array;
}

export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/** Identifies a snapshot: the last log position it covers. */
export interface SnapshotRef {
  index: number;
  term: number;
}

/** Optional sink for events worth an operator's attention (torn tails, skipped snapshots). */
export interface StorageLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const EMPTY_HARD_STATE: Readonly<HardState> = Object.freeze({ term: 0, vote: 0, commit: 0 });
