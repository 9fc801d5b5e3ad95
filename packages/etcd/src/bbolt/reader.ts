// Reads every top-level bucket of a bbolt v2 database held in memory: the file kemu's
// own writer produces as well as files written by real bbolt (etcd snapshots). Trailing
// bytes after the pages (such as etcd's sha256 trailer) are ignored.

import { BoltFormatError, BoltNestedBucketError } from './errors.js';
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_SIZE,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
} from './layout.js';
import { readActiveMeta, type BoltMeta } from './meta.js';
import type { BoltBucket, BoltEntry } from './types.js';

export interface BoltFile {
  /** The meta bbolt would use: the valid one with the highest txid. */
  readonly meta: BoltMeta;
  /** Top-level buckets in name order, each with its entries in key order. */
  readonly buckets: BoltBucket[];
}

/** Parses a bbolt file. Keys and values are copies, independent of `buf`. */
export function readBoltDb(buf: Buffer): BoltBucket[] {
  return readBoltFile(buf).buckets;
}

export function readBoltFile(buf: Buffer): BoltFile {
  const meta = readActiveMeta(buf);
  const { pageSize } = meta;
  if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || (pageSize & (pageSize - 1)) !== 0) {
    throw new BoltFormatError(`meta page size ${pageSize} is not a power of two in [${MIN_PAGE_SIZE}, ${MAX_PAGE_SIZE}]`);
  }
  const reader = new PageReader(buf, meta);
  const buckets: BoltBucket[] = [];
  let previous: Buffer | undefined;
  reader.forEachLeafElement(meta.rootPgid, 'root bucket', (flags, name, value) => {
    if ((flags & BUCKET_LEAF_FLAG) === 0) {
      throw new BoltFormatError(`root bucket holds plain key ${JSON.stringify(name.toString('latin1'))}`);
    }
    if (previous !== undefined && Buffer.compare(previous, name) >= 0) {
      throw new BoltFormatError(`root bucket names out of order at ${JSON.stringify(name.toString('latin1'))}`);
    }
    previous = name;
    buckets.push({ name: Buffer.from(name), entries: reader.readBucket(name, value) });
  });
  return { meta, buckets };
}

type LeafVisitor = (flags: number, key: Buffer, value: Buffer) => void;

class PageReader {
  private readonly pageSize: number;
  private readonly highWater: bigint;
  /** Pages already walked; a second reference means a corrupt (or cyclic) tree. */
  private readonly seen = new Set<bigint>();

  constructor(
    private readonly buf: Buffer,
    meta: BoltMeta,
  ) {
    this.pageSize = meta.pageSize;
    this.highWater = meta.highWaterPgid;
  }

  readBucket(name: Buffer, value: Buffer): BoltEntry[] {
    const label = `bucket ${JSON.stringify(name.toString('latin1'))}`;
    if (value.length < BUCKET_HEADER_SIZE) throw new BoltFormatError(`${label}: header is ${value.length} bytes`);
    const root = value.readBigUInt64LE(0);
    const entries: BoltEntry[] = [];
    const visit: LeafVisitor = (flags, key, v) => {
      if ((flags & BUCKET_LEAF_FLAG) !== 0) throw new BoltNestedBucketError(Buffer.from(name), Buffer.from(key));
      const last = entries[entries.length - 1];
      if (last !== undefined && Buffer.compare(last[0], key) >= 0) {
        throw new BoltFormatError(`${label}: keys out of order at ${JSON.stringify(key.toString('latin1'))}`);
      }
      entries.push([Buffer.from(key), Buffer.from(v)]);
    };
    if (root === 0n) {
      // Inline bucket: a leaf page image follows the header inside the value.
      const page = value.subarray(BUCKET_HEADER_SIZE);
      if (page.length < PAGE_HEADER_SIZE) throw new BoltFormatError(`${label}: inline page too short`);
      const flags = page.readUInt16LE(8);
      if ((flags & PageFlag.leaf) === 0) throw new BoltFormatError(`${label}: inline page is not a leaf (flags ${flags})`);
      this.visitLeaf(page, `${label} inline page`, visit);
    } else {
      this.forEachLeafElement(root, label, visit);
    }
    return entries;
  }

  /** Visits the leaf elements of the tree rooted at `pgid` in key order. */
  forEachLeafElement(pgid: bigint, label: string, visit: LeafVisitor): void {
    const page = this.page(pgid, label);
    const flags = page.readUInt16LE(8);
    if ((flags & PageFlag.leaf) !== 0) {
      this.visitLeaf(page, `${label} page ${pgid}`, visit);
    } else if ((flags & PageFlag.branch) !== 0) {
      const count = page.readUInt16LE(10);
      if (count === 0) throw new BoltFormatError(`${label} page ${pgid}: empty branch page`);
      for (let i = 0; i < count; i++) {
        const elem = PAGE_HEADER_SIZE + BRANCH_ELEMENT_SIZE * i;
        if (elem + BRANCH_ELEMENT_SIZE > page.length) throw new BoltFormatError(`${label} page ${pgid}: element ${i} outside page`);
        this.forEachLeafElement(page.readBigUInt64LE(elem + 8), label, visit);
      }
    } else {
      throw new BoltFormatError(`${label} page ${pgid}: expected a branch or leaf page, found flags 0x${flags.toString(16)}`);
    }
  }

  private visitLeaf(page: Buffer, where: string, visit: LeafVisitor): void {
    const count = page.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const elem = PAGE_HEADER_SIZE + LEAF_ELEMENT_SIZE * i;
      if (elem + LEAF_ELEMENT_SIZE > page.length) throw new BoltFormatError(`${where}: element ${i} outside page`);
      const flags = page.readUInt32LE(elem);
      const keyStart = elem + page.readUInt32LE(elem + 4);
      const keyEnd = keyStart + page.readUInt32LE(elem + 8);
      const valueEnd = keyEnd + page.readUInt32LE(elem + 12);
      if (valueEnd > page.length) throw new BoltFormatError(`${where}: element ${i} data outside page`);
      visit(flags, page.subarray(keyStart, keyEnd), page.subarray(keyEnd, valueEnd));
    }
  }

  /** The bytes of page `pgid` including its overflow pages. */
  private page(pgid: bigint, label: string): Buffer {
    if (pgid < 2n || pgid >= this.highWater) {
      throw new BoltFormatError(`${label}: page ${pgid} outside data pages [2, ${this.highWater})`);
    }
    if (this.seen.has(pgid)) throw new BoltFormatError(`${label}: page ${pgid} referenced twice`);
    this.seen.add(pgid);
    const start = Number(pgid) * this.pageSize;
    if (start + PAGE_HEADER_SIZE > this.buf.length) throw new BoltFormatError(`${label}: page ${pgid} beyond end of file`);
    const id = this.buf.readBigUInt64LE(start);
    if (id !== pgid) throw new BoltFormatError(`${label}: page ${pgid} carries id ${id}`);
    const overflow = this.buf.readUInt32LE(start + 12);
    const end = start + (overflow + 1) * this.pageSize;
    if (BigInt(overflow) >= this.highWater - pgid || end > this.buf.length) {
      throw new BoltFormatError(`${label}: page ${pgid} overflow ${overflow} runs past the end of the file`);
    }
    return this.buf.subarray(start, end);
  }
}
