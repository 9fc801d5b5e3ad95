import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SnapshotCorruptError } from './errors.js';
import { fsyncDir, isNotFound, mkdirDurably, writeFileDurably } from './fs-util.js';
import type { SnapshotRef, StorageLogger } from './types.js';
import { hex16, parseHex16, readU64, writeU64 } from './u64.js';

/** A snapshot as stored on disk: the state machine's bytes as of (index, term). */
export interface StoredSnapshot {
  index: number;
  term: number;
  data: Uint8Array;
}

export interface SnapshotterOptions {
  /** Told about snapshot files skipped because they are damaged. */
  logger?: StorageLogger;
}

/**
 * Snapshot file: `<16-hex term>-<16-hex index>.snap`, a 48-byte header then the data.
 *
 *   0  8 bytes  magic "KEMUSNAP"
 *   8  u32      format version (1)
 *   12 u32      crc32 of data
 *   16 u64      data length
 *   24 u64      term
 *   32 u64      index
 *   40 u32      reserved, 0
 *   44 u32      crc32 of bytes 0..43
 */
const MAGIC = Buffer.from('KEMUSNAP', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 48;
const SNAP_SUFFIX = '.snap';
const TMP_SUFFIX = '.tmp';

interface SnapName {
  name: string;
  term: number;
  index: number;
}

function snapFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}${SNAP_SUFFIX}`;
}

function parseSnapName(name: string): SnapName | undefined {
  const match = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (match === null) return undefined;
  const term = parseHex16(match[1] ?? '');
  const index = parseHex16(match[2] ?? '');
  if (term === undefined || index === undefined) return undefined;
  return { name, term, index };
}

function encodeHeader(snapshot: StoredSnapshot): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(crc32(snapshot.data), 12);
  writeU64(header, 16, snapshot.data.byteLength, 'snapshot data length');
  writeU64(header, 24, snapshot.term, 'snapshot.term');
  writeU64(header, 32, snapshot.index, 'snapshot.index');
  header.writeUInt32LE(crc32(header.subarray(0, 44)), 44);
  return header;
}

/** Validates a whole snapshot file; returns the reason it is unusable, or the snapshot. */
export function decodeSnapshotFile(bytes: Buffer, expected: SnapshotRef): StoredSnapshot | string {
  if (bytes.byteLength < HEADER_BYTES) return `file has ${bytes.byteLength} bytes, shorter than the header`;
  if (!bytes.subarray(0, 8).equals(MAGIC)) return 'bad magic';
  if (crc32(bytes.subarray(0, 44)) !== bytes.readUInt32LE(44)) return 'header crc mismatch';
  const version = bytes.readUInt32LE(8);
  if (version !== VERSION) return `unsupported version ${version}`;
  const length = readU64(bytes, 16);
  const term = readU64(bytes, 24);
  const index = readU64(bytes, 32);
  if (length !== bytes.byteLength - HEADER_BYTES) {
    return `header says ${length ?? 'over 2^53'} data bytes, file holds ${bytes.byteLength - HEADER_BYTES}`;
  }
  if (term !== expected.term || index !== expected.index) {
    return `header says term ${term} index ${index}, file name says term ${expected.term} index ${expected.index}`;
  }
  const data = bytes.subarray(HEADER_BYTES);
  if (crc32(data) !== bytes.readUInt32LE(12)) return 'data crc mismatch';
  return { index, term, data: new Uint8Array(data) };
}

/**
 * Snapshot files in one directory. Each save is atomic (tmp file, fsync, rename, fsync of
 * the directory), so a crash leaves either the old set or the new set plus a stray tmp.
 * Operations run one at a time in call order.
 */
export class Snapshotter {
  private queue: Promise<void> = Promise.resolve();
  private readonly logger: StorageLogger | undefined;

  constructor(
    readonly dir: string,
    options: SnapshotterOptions = {},
  ) {
    this.logger = options.logger;
  }

  /** Durably writes the snapshot; resolves once it will survive a crash. */
  save(snapshot: StoredSnapshot): Promise<void> {
    return this.enqueue(async () => {
      const header = encodeHeader(snapshot);
      await mkdirDurably(this.dir);
      const path = join(this.dir, snapFileName(snapshot.term, snapshot.index));
      await writeFileDurably(this.dir, path + TMP_SUFFIX, path, [header, snapshot.data]);
    });
  }

  /**
   * The newest valid snapshot (highest index, then term) that `accept` admits, or undefined.
   * Damaged files are reported to the logger and skipped in favour of older ones; use
   * `accept` to skip snapshots the WAL has no marker for.
   */
  loadNewest(accept: (ref: SnapshotRef) => boolean = () => true): Promise<StoredSnapshot | undefined> {
    return this.enqueue(async () => {
      for (const candidate of await this.listNewestFirst()) {
        if (!accept(candidate)) continue;
        const loaded = await this.load(candidate);
        if (loaded !== undefined) return loaded;
      }
      return undefined;
    });
  }

  /**
   * Deletes all but the `keep` newest snapshot files, never deleting the newest valid one
   * (if the newest files are damaged, older ones are kept down to the first valid one).
   * Also removes tmp files left by interrupted saves.
   */
  prune(keep = 3): Promise<void> {
    return this.enqueue(async () => {
      let names: string[];
      try {
        names = await readdir(this.dir);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      const doomed = names.filter((name) => name.endsWith(SNAP_SUFFIX + TMP_SUFFIX));
      let foundValid = false;
      for (const [i, candidate] of sortNewestFirst(names).entries()) {
        if (i < keep || !foundValid) {
          if (!foundValid) foundValid = (await this.load(candidate)) !== undefined;
          continue;
        }
        doomed.push(candidate.name);
      }
      for (const name of doomed) await unlink(join(this.dir, name));
      if (doomed.length > 0) await fsyncDir(this.dir);
    });
  }

  private async listNewestFirst(): Promise<SnapName[]> {
    try {
      return sortNewestFirst(await readdir(this.dir));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  private async load(candidate: SnapName): Promise<StoredSnapshot | undefined> {
    const bytes = await readFile(join(this.dir, candidate.name));
    const result = decodeSnapshotFile(bytes, candidate);
    if (typeof result !== 'string') return result;
    const error = new SnapshotCorruptError(candidate.name, result);
    this.logger?.warn('snapshot: skipping damaged snapshot file', { dir: this.dir, file: candidate.name, reason: result, error });
    return undefined;
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(op);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function sortNewestFirst(names: readonly string[]): SnapName[] {
  const parsed: SnapName[] = [];
  for (const name of names) {
    const snap = parseSnapName(name);
    if (snap !== undefined) parsed.push(snap);
  }
  return parsed.sort((a, b) => b.index - a.index || b.term - a.term);
}
