import { createHash } from 'node:crypto';

/**
 * Reads the top-level buckets of a bbolt database file, the format of an etcd snapshot
 * (`etcdctl snapshot save`, kemu's Maintenance.Snapshot). Read-only and strict: every
 * page id, offset and length is checked against the file, and a page reached twice
 * (a cycle) is an error.
 *
 * Layout (little-endian): page header {id u64, flags u16, count u16, overflow u32};
 * the meta (pages 0 and 1, at byte 16) {magic, version, pageSize, flags, root {pgid,
 * sequence}, freelist, pgid, txid, checksum = FNV-1a 64 of the 56 bytes before it};
 * branch elements {pos u32, ksize u32, pgid u64}; leaf elements {flags u32, pos u32,
 * ksize u32, vsize u32}, positions relative to the element; a bucket is a leaf value
 * {root pgid u64, sequence u64}, followed by the bucket's own page when root is 0 (inline).
 */

export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
}

const MAGIC = 0xed0cdaed;
const PAGE_HEADER = 16;
const ELEMENT = 16;
const FLAG_BRANCH = 0x01;
const FLAG_LEAF = 0x02;
const LEAF_BUCKET = 0x01;
export const SHA256_TRAILER = 32;

export interface BoltEntry {
  key: Buffer;
  value: Buffer;
}

interface Meta {
  pageSize: number;
  root: bigint;
  txid: bigint;
}

function fnv1a64(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of b) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h;
}

function readMeta(buf: Buffer, at: number): Meta | undefined {
  const m = at + PAGE_HEADER;
  if (m + 64 > buf.length) return undefined;
  if (buf.readUInt32LE(m) !== MAGIC || buf.readUInt32LE(m + 4) !== 2) return undefined;
  if (fnv1a64(buf.subarray(m, m + 56)) !== buf.readBigUInt64LE(m + 56)) return undefined;
  return { pageSize: buf.readUInt32LE(m + 8), root: buf.readBigUInt64LE(m + 16), txid: buf.readBigUInt64LE(m + 48) };
}

/** The newest valid meta of the two (bbolt's choice when it opens a file). */
function activeMeta(db: Buffer): Meta {
  const first = readMeta(db, 0);
  if (!first && (db.length < PAGE_HEADER + 64 || db.readUInt32LE(PAGE_HEADER) !== MAGIC)) {
    throw new SnapshotFileError('not a bbolt database (no bbolt magic in the first page)');
  }
  const size = first?.pageSize ?? db.readUInt32LE(PAGE_HEADER + 8);
  if (size < 512 || size > 1 << 16 || (size & (size - 1)) !== 0) throw new SnapshotFileError(`bad page size ${size}`);
  const second = readMeta(db, size);
  const metas = [first, second].filter((m): m is Meta => m !== undefined && m.pageSize === size);
  if (metas.length === 0) throw new SnapshotFileError('both meta pages fail their checksum');
  return metas.reduce((a, b) => (b.txid > a.txid ? b : a));
}

/**
 * Splits off etcd's sha256 trailer and checks it. etcd tells a snapshot with a trailer
 * from a bare database by size: a bare one is a whole number of pages.
 */
export function verifySnapshot(file: Buffer): { db: Buffer; hashed: boolean } {
  const size = activeMeta(file).pageSize;
  if (file.length % size === SHA256_TRAILER) {
    const db = file.subarray(0, file.length - SHA256_TRAILER);
    const want = file.subarray(file.length - SHA256_TRAILER);
    if (!createHash('sha256').update(db).digest().equals(want)) throw new SnapshotFileError('the sha256 at the end of the file does not match its contents (damaged or cut short)');
    return { db, hashed: true };
  }
  if (file.length % size === 0) return { db: file, hashed: false };
  throw new SnapshotFileError(`size ${file.length} is neither whole ${size}-byte pages nor pages plus a sha256`);
}

class PageWalker {
  private readonly seen = new Set<bigint>();
  constructor(
    private readonly db: Buffer,
    private readonly pageSize: number,
  ) {}

  /** The bytes of page `id` with its overflow pages. */
  page(id: bigint): Buffer {
    if (this.seen.has(id)) throw new SnapshotFileError(`page ${id} is reached twice`);
    this.seen.add(id);
    const at = Number(id) * this.pageSize;
    if (id < 2n || at + PAGE_HEADER > this.db.length) throw new SnapshotFileError(`page ${id} is outside the file`);
    const overflow = this.db.readUInt32LE(at + 12);
    const end = at + (overflow + 1) * this.pageSize;
    if (end > this.db.length) throw new SnapshotFileError(`page ${id} (+${overflow} overflow) runs past the end of the file`);
    return this.db.subarray(at, end);
  }

  /** Every leaf element under the tree rooted at `page` (a buffer holding a page), in key order. */
  leaves(page: Buffer, out: Array<{ flags: number; key: Buffer; value: Buffer }>, depth = 0): void {
    if (depth > 64) throw new SnapshotFileError('tree deeper than 64 levels');
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    if (PAGE_HEADER + count * ELEMENT > page.length) throw new SnapshotFileError(`page of ${count} elements does not fit`);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * ELEMENT;
      if (flags & FLAG_BRANCH) {
        this.leaves(this.page(page.readBigUInt64LE(e + 8)), out, depth + 1);
      } else if (flags & FLAG_LEAF) {
        const pos = e + page.readUInt32LE(e + 4);
        const ksize = page.readUInt32LE(e + 8);
        const vsize = page.readUInt32LE(e + 12);
        if (pos + ksize + vsize > page.length) throw new SnapshotFileError('leaf element runs past its page');
        out.push({ flags: page.readUInt32LE(e), key: page.subarray(pos, pos + ksize), value: page.subarray(pos + ksize, pos + ksize + vsize) });
      } else {
        throw new SnapshotFileError(`page with flags 0x${flags.toString(16)} where a tree page belongs`);
      }
    }
  }

  bucket(value: Buffer): BoltEntry[] {
    if (value.length < 16) throw new SnapshotFileError('bucket header shorter than 16 bytes');
    const root = value.readBigUInt64LE(0);
    const out: Array<{ flags: number; key: Buffer; value: Buffer }> = [];
    this.leaves(root === 0n ? value.subarray(16) : this.page(root), out);
    if (out.some((e) => e.flags & LEAF_BUCKET)) throw new SnapshotFileError('nested buckets are not part of an etcd database');
    return out.map(({ key, value }) => ({ key, value }));
  }
}

/** The top-level buckets by name, each with its entries in key order. */
export function readBuckets(db: Buffer): Map<string, BoltEntry[]> {
  const meta = activeMeta(db);
  const walker = new PageWalker(db, meta.pageSize);
  const top: Array<{ flags: number; key: Buffer; value: Buffer }> = [];
  walker.leaves(walker.page(meta.root), top);
  const out = new Map<string, BoltEntry[]>();
  for (const e of top) {
    if (!(e.flags & LEAF_BUCKET)) continue;
    out.set(e.key.toString('latin1'), walker.bucket(e.value));
  }
  return out;
}
