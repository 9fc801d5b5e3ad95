import type { HardState } from '@kemu/raft';

/** The Raft types the WAL persists are @kemu/raft's own (types only: no runtime dependency). */
export type { Entry, HardState } from '@kemu/raft';

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
