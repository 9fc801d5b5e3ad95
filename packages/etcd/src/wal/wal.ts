import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SnapshotMarkerMissingError,
  WalClosedError,
  WalCorruptError,
  WalExistsError,
  WalFailedError,
  WalNotFoundError,
} from './errors.js';
import { constants as fsConstants } from 'node:fs';
import { fsyncDir, isNotFound, mkdirDurably, writeAll, writeFileDurably } from './fs-util.js';
import { encodeRecords, type WalRecord } from './record.js';
import { Replay } from './replay.js';
import { scanSegment } from './segment-scan.js';
import { listSegments, segmentFileName, SEGMENT_SUFFIX, TMP_SUFFIX, type SegmentName } from './segment-name.js';
import { EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotRef, type StorageLogger } from './types.js';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  /** Start a new segment once the current one has reached this many bytes. Default 64 MiB. */
  segmentBytes?: number;
  /** Told about recoveries that discard data (torn tails). */
  logger?: StorageLogger;
}

export interface WalOpenResult {
  wal: Wal;
  /** The opaque bytes given to `Wal.create`. */
  metadata: Uint8Array;
  /** The last hard state saved, or all zeros if none was. */
  hardState: HardState;
  /** Live entries after the snapshot index, consecutive from snapshot.index + 1. */
  entries: Entry[];
}


/** Flags of the segment being appended to: read/write, every write synchronous (O_DSYNC). */
const TAIL_FLAGS = fsConstants.O_RDWR | fsConstants.O_DSYNC;
/** Mutable position of the writer at the end of the newest segment. */
interface Tail {
  handle: FileHandle;
  /** Bytes in the current segment; the next record is written here. */
  size: number;
  /** Rolling crc of the last record written (or queued in `pending`). */
  crc: number;
}

/**
 * Encoded records not yet written: saves that need no sync (a commit-index-only hard
 * state, say) wait here and go out with the next synced write, as etcd's buffered WAL
 * encoder does. Losing them in a crash only regresses the commit index, which is safe.
 */
interface Pending {
  chunks: Uint8Array[];
  bytes: number;
}

/**
 * Write-ahead log of a Raft member: a directory of segment files holding, in order, the
 * entries, hard states and snapshot markers the member persisted. See README.md for the
 * on-disk format and the recovery rules.
 *
 * Durability contract: once a `save(..., true)` or `saveSnapshotMarker` promise resolves,
 * the data survives kill -9 and power loss (given an honest fdatasync). Operations run one
 * at a time in call order even when the caller does not await between them. After any I/O
 * failure the WAL refuses further work (WalFailedError): the state of dirty pages after a
 * failed fsync is unknowable, so the only safe continuation is a restart and recovery.
 */
export class Wal {
  private queue: Promise<void> = Promise.resolve();
  private pending: Pending = { chunks: [], bytes: 0 };
  private failure: { cause: unknown } | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly metadata: Uint8Array,
    private readonly segmentBytes: number,
    /** Segments on disk, oldest first; the last is being appended to. Never empty. */
    private segments: SegmentName[],
    private tail: Tail,
    /** Index the next segment's name starts after (see Replay.lastIndex). */
    private lastIndex: number,
    /** Copied into each new segment so releasing old segments never loses it. */
    private hardState: HardState | undefined,
    /** Copied into each new segment so the newest snapshot stays verifiable after release. */
    private newestMarker: SnapshotRef | undefined,
  ) {}

  /** True if `dir` holds at least one segment file. */
  static async exists(dir: string): Promise<boolean> {
    try {
      return listSegments(await readdir(dir)).length > 0;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Creates a new, empty log in `dir` (created if missing). Throws WalExistsError if one is there. */
  static async create(dir: string, metadata: Uint8Array, options: WalOptions = {}): Promise<Wal> {
    await mkdirDurably(dir);
    if (await Wal.exists(dir)) throw new WalExistsError(dir);
    await removeTmpFiles(dir, await readdir(dir));
    const first: SegmentName = { seq: 0, firstIndex: 1, name: segmentFileName(0, 1) };
    const header = encodeRecords(
      [
        { kind: 'crcSeed', seed: 0 },
        { kind: 'metadata', data: metadata },
      ],
      0,
    );
    const path = join(dir, first.name);
    await writeFileDurably(dir, path + TMP_SUFFIX, path, [header.bytes]);
    const handle = await open(path, TAIL_FLAGS);
    const tail: Tail = { handle, size: header.bytes.byteLength, crc: header.crc };
    return new Wal(dir, new Uint8Array(metadata), segmentBytesOf(options), [first], tail, 0, undefined, undefined);
  }

  /**
   * Opens an existing log and replays it from `fromSnapshot` (default: the beginning).
   * Truncates a torn tail of the newest segment (reporting it to the logger) and leaves the
   * WAL ready to append. Throws WalCorruptError for damage anywhere else, and
   * SnapshotMarkerMissingError if a non-zero snapshot was never recorded in the log.
   */
  static async open(dir: string, fromSnapshot?: SnapshotRef, options: WalOptions = {}): Promise<WalOpenResult> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) throw new WalNotFoundError(dir);
      throw err;
    }
    const segments = listSegments(names);
    const first = segments[0];
    const newest = segments[segments.length - 1];
    if (first === undefined || newest === undefined) throw new WalNotFoundError(dir);
    await removeTmpFiles(dir, names);
    segments.forEach((segment, i) => {
      if (segment.seq !== first.seq + i) {
        throw new WalCorruptError(segment.name, 0, `segment sequence jumps from ${first.seq + i - 1} to ${segment.seq}`);
      }
    });

    const snapshot = fromSnapshot ?? { index: 0, term: 0 };
    const replay = new Replay(snapshot);
    let expectedSeed: number | undefined;
    let newestBytes = 0;
    let tornAt: { offset: number; reason: string } | undefined;
    for (const [i, segment] of segments.entries()) {
      const isNewest = i === segments.length - 1;
      const bytes = await readFile(join(dir, segment.name));
      const scan = scanSegment(bytes, expectedSeed);
      const end = scan.end;
      if (end.kind === 'corrupt') throw new WalCorruptError(segment.name, end.offset, end.reason);
      if (end.kind === 'torn') {
        // Segments are fsynced before the next one is created, so only the newest can be torn.
        if (!isNewest) throw new WalCorruptError(segment.name, end.offset, `torn record in a non-final segment: ${end.reason}`);
        tornAt = { offset: end.offset, reason: end.reason };
      }
      if (scan.records.length === 0) throw new WalCorruptError(segment.name, 0, 'segment has no valid crc seed record');
      for (const { record, offset } of scan.records) replay.apply(record, segment.name, offset);
      expectedSeed = scan.crc;
      newestBytes = scan.validEnd;
      if (isNewest && tornAt !== undefined) {
        options.logger?.warn('wal: discarding torn tail', {
          dir,
          file: segment.name,
          offset: tornAt.offset,
          discardedBytes: bytes.byteLength - tornAt.offset,
          reason: tornAt.reason,
        });
      }
    }
    if (replay.metadata === undefined) throw new WalCorruptError(first.name, 0, 'no metadata record');
    if (!replay.snapshotMarkerFound) throw new SnapshotMarkerMissingError(dir, snapshot.index, snapshot.term);

    const handle = await open(join(dir, newest.name), TAIL_FLAGS);
    try {
      if (tornAt !== undefined) {
        await handle.truncate(newestBytes);
        await handle.datasync();
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    const tail: Tail = { handle, size: newestBytes, crc: expectedSeed ?? 0 };
    const wal = new Wal(
      dir,
      replay.metadata,
      segmentBytesOf(options),
      segments,
      tail,
      replay.lastIndex,
      replay.hardState,
      replay.newestMarker,
    );
    return {
      wal,
      metadata: replay.metadata,
      hardState: replay.hardState ?? { ...EMPTY_HARD_STATE },
      entries: replay.entries,
    };
  }

  /**
   * Appends `entries` (then `hardState`, if given) as one durable write if `mustSync`;
   * otherwise they wait in memory for the next synced write (see Pending).
   * Entries at an index at or below ones already saved replace them on replay.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], mustSync: boolean): Promise<void> {
    return this.enqueue(async () => {
      const records: WalRecord[] = entries.map((entry) => ({ kind: 'entry', entry }));
      if (hardState !== undefined) records.push({ kind: 'hardState', hardState });
      if (records.length > 0) {
        await this.append(records, !mustSync);
        const last = entries[entries.length - 1];
        if (last !== undefined) this.lastIndex = last.index;
        if (hardState !== undefined) this.hardState = { ...hardState };
      }
      if (mustSync) await this.sync();
      await this.rotateIfFull();
    });
  }

  /** Records that a snapshot covering the log through `ref` exists; synced before resolving. */
  saveSnapshotMarker(ref: SnapshotRef): Promise<void> {
    return this.enqueue(async () => {
      await this.append([{ kind: 'snapshotMarker', snapshot: ref }]);
      this.newestMarker = { index: ref.index, term: ref.term };
      this.lastIndex = Math.max(this.lastIndex, ref.index);
      await this.sync();
      await this.rotateIfFull();
    });
  }

  /**
   * Deletes whole segments whose live entries are all below `index`: every segment older
   * than the newest one whose name's first index is <= `index`. The segment holding `index`
   * and the newest segment always stay, and every segment starts with a copy of the newest
   * snapshot marker and hard state, so replay from the newest snapshot keeps working.
   * Caller's contract: a snapshot at or beyond `index - 1` is durably saved (and marked).
   */
  releaseTo(index: number): Promise<void> {
    return this.enqueue(async () => {
      let keepFrom = 0;
      this.segments.forEach((segment, i) => {
        if (segment.firstIndex <= index) keepFrom = i;
      });
      if (keepFrom === 0) return;
      const doomed = this.segments.slice(0, keepFrom);
      // Oldest first: after a crash part way, what remains is still a contiguous suffix.
      for (const segment of doomed) {
        await this.io(`delete ${segment.name}`, () => unlink(join(this.dir, segment.name)));
        this.segments.shift();
      }
      await this.io('fsync directory', () => fsyncDir(this.dir));
    });
  }

  /** Syncs anything unsynced and closes the file. Later calls reject with WalClosedError; a second close is a no-op. */
  close(): Promise<void> {
    if (this.closed) return this.queue;
    const result = this.queue.then(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        if (this.failure === undefined) await this.flushPending();
      } finally {
        await this.tail.handle.close();
      }
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const result = this.queue.then(async () => {
      if (this.closed) throw new WalClosedError(this.dir);
      if (this.failure !== undefined) {
        throw new WalFailedError(this.dir, 'unusable after an earlier I/O failure', this.failure.cause);
      }
      await op();
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Runs an I/O step; any failure poisons the WAL (see class comment). */
  private async io<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      this.failure = { cause: err };
      throw new WalFailedError(this.dir, `${what} failed`, err);
    }
  }

  /** Encodes records; writes them (with anything pending) unless `defer`, which only queues them. */
  private async append(records: readonly WalRecord[], defer = false): Promise<void> {
    // Encoding errors (bad input) are thrown here, before any I/O, and leave the WAL usable.
    const { bytes, crc } = encodeRecords(records, this.tail.crc);
    this.tail.crc = crc;
    this.pending.chunks.push(bytes);
    this.pending.bytes += bytes.byteLength;
    if (!defer) await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (this.pending.bytes === 0) return;
    const { chunks, bytes: total } = this.pending;
    this.pending = { chunks: [], bytes: 0 };
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    const tail = this.tail;
    await this.io('write', () => writeAll(tail.handle, bytes, tail.size));
    tail.size += total;
  }

  /**
   * Makes everything saved so far durable. The tail is opened O_DSYNC, so a completed
   * write is already as durable as write + fdatasync would make it (one syscall, one trip
   * through libuv's thread pool): syncing is writing out what is pending.
   */
  private sync(): Promise<void> {
    return this.flushPending();
  }

  /**
   * Starts the next segment once the current one is full. The current segment is synced
   * first: a later segment existing implies every earlier one is complete on disk, which is
   * what lets replay call a damaged non-final segment corruption rather than a torn tail.
   */
  private async rotateIfFull(): Promise<void> {
    if (this.tail.size < this.segmentBytes) return;
    await this.sync();
    const previous = this.segments[this.segments.length - 1];
    if (previous === undefined) throw new Error('wal: invariant violated: no segments');
    const next: SegmentName = {
      seq: previous.seq + 1,
      firstIndex: this.lastIndex + 1,
      name: segmentFileName(previous.seq + 1, this.lastIndex + 1),
    };
    const records: WalRecord[] = [
      { kind: 'crcSeed', seed: this.tail.crc },
      { kind: 'metadata', data: this.metadata },
    ];
    if (this.hardState !== undefined) records.push({ kind: 'hardState', hardState: this.hardState });
    if (this.newestMarker !== undefined) records.push({ kind: 'snapshotMarker', snapshot: this.newestMarker });
    const header = encodeRecords(records, this.tail.crc);
    const path = join(this.dir, next.name);
    await this.io(`create ${next.name}`, () => writeFileDurably(this.dir, path + TMP_SUFFIX, path, [header.bytes]));
    const handle = await this.io(`open ${next.name}`, () => open(path, TAIL_FLAGS));
    const old = this.tail.handle;
    this.tail = { handle, size: header.bytes.byteLength, crc: header.crc };
    this.segments.push(next);
    await this.io('close previous segment', () => old.close());
  }
}

function segmentBytesOf(options: WalOptions): number {
  const bytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`wal: segmentBytes must be a positive integer, got ${bytes}`);
  return bytes;
}

/** Leftovers of a rotation or creation a crash interrupted; never part of the log. */
async function removeTmpFiles(dir: string, names: readonly string[]): Promise<void> {
  const leftovers = names.filter((name) => name.endsWith(SEGMENT_SUFFIX + TMP_SUFFIX));
  for (const name of leftovers) await unlink(join(dir, name));
  if (leftovers.length > 0) await fsyncDir(dir);
}
