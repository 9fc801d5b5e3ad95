// Writes a complete bbolt v2 database in one pass, as if one transaction had created
// every bucket in an empty file.
//
// Layout produced (pgid: content):
//   0, 1   meta pages (newest txid on page txid % 2, the other holds txid - 1)
//   2      freelist page, empty
//   3..    each non-inline bucket's B+tree (leaves left to right, then each branch level),
//          buckets in name order, then the root bucket's tree (the top-level bucket names)
// Invariant: every pgid below the high-water mark is referenced exactly once (meta,
// freelist, or one B+tree page or overflow continuation), so bbolt's tx.Check() is clean.

import { BoltWriteError } from './errors.js';
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE,
  INLINE_PAGE_RATIO,
  LEAF_ELEMENT_SIZE,
  MAX_KEY_SIZE,
  MAX_PAGE_COUNT,
  MAX_PAGE_SIZE,
  MAX_VALUE_SIZE,
  MIN_PAGE_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
} from './layout.js';
import { writeMetaPage } from './meta.js';
import type { BoltBucketInput, BoltWriteOptions } from './types.js';

const FREELIST_PGID = 2;
const FIRST_DATA_PGID = 3;

interface LeafItem {
  readonly flags: number;
  readonly key: Buffer;
  readonly value: Buffer;
}

interface BranchItem {
  readonly key: Buffer;
  readonly pgid: number;
}

/** Hands out consecutive pgids and keeps the rendered page images until assembly. */
class PageAllocator {
  private next = FIRST_DATA_PGID;
  readonly images: Array<{ readonly pgid: number; readonly data: Buffer }> = [];

  constructor(readonly pageSize: number) {}

  /** Allocates enough consecutive pages for `bytes` and returns the zeroed image. */
  allocate(bytes: number): { pgid: number; data: Buffer; overflow: number } {
    const pages = Math.max(1, Math.ceil(bytes / this.pageSize));
    const pgid = this.next;
    this.next += pages;
    const data = Buffer.alloc(pages * this.pageSize);
    this.images.push({ pgid, data });
    return { pgid, data, overflow: pages - 1 };
  }

  get highWater(): number {
    return this.next;
  }
}

export function writeBoltDb(buckets: readonly BoltBucketInput[], opts: BoltWriteOptions = {}): Buffer {
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || (pageSize & (pageSize - 1)) !== 0) {
    throw new BoltWriteError(`pageSize ${pageSize} must be a power of two in [${MIN_PAGE_SIZE}, ${MAX_PAGE_SIZE}]`);
  }
  const txid = opts.txid ?? 1;
  if (!Number.isSafeInteger(txid) || txid < 1) {
    throw new BoltWriteError(`txid ${txid} must be a positive safe integer`);
  }
  const inline = opts.inlineSmallBuckets ?? true;

  const sorted = [...buckets].sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i]!.name;
    checkKey(name, 'bucket name');
    if (i > 0 && sorted[i - 1]!.name.equals(name)) {
      throw new BoltWriteError(`duplicate bucket name ${show(name)}`);
    }
  }

  const alloc = new PageAllocator(pageSize);
  const rootItems: LeafItem[] = sorted.map((bucket) => {
    const items = sortedEntries(bucket);
    if (inline && isInlineable(items, pageSize)) {
      return { flags: BUCKET_LEAF_FLAG, key: bucket.name, value: inlineBucketValue(items) };
    }
    const root = writeTree(alloc, items);
    return { flags: BUCKET_LEAF_FLAG, key: bucket.name, value: bucketHeader(root) };
  });
  const rootPgid = writeTree(alloc, rootItems);

  const highWater = alloc.highWater;
  const file = Buffer.alloc(highWater * pageSize);
  const meta = {
    pageSize,
    flags: 0,
    rootPgid: BigInt(rootPgid),
    rootSequence: 0n,
    freelistPgid: BigInt(FREELIST_PGID),
    highWaterPgid: BigInt(highWater),
  };
  const newest = (txid % 2) as 0 | 1;
  const older = (1 - newest) as 0 | 1;
  writeMetaPage(file.subarray(newest * pageSize, (newest + 1) * pageSize), newest, { ...meta, txid: BigInt(txid) });
  writeMetaPage(file.subarray(older * pageSize, (older + 1) * pageSize), older, { ...meta, txid: BigInt(txid - 1) });
  writeEmptyFreelist(file.subarray(FREELIST_PGID * pageSize, (FREELIST_PGID + 1) * pageSize));
  for (const image of alloc.images) image.data.copy(file, image.pgid * pageSize);
  return file;
}

function sortedEntries(bucket: BoltBucketInput): LeafItem[] {
  const items: LeafItem[] = bucket.entries.map(([key, value]) => ({ flags: 0, key, value }));
  items.sort((a, b) => Buffer.compare(a.key, b.key));
  for (let i = 0; i < items.length; i++) {
    const { key, value } = items[i]!;
    checkKey(key, `key in bucket ${show(bucket.name)}`);
    if (value.length > MAX_VALUE_SIZE) {
      throw new BoltWriteError(`value of key ${show(key)} in bucket ${show(bucket.name)} exceeds ${MAX_VALUE_SIZE} bytes`);
    }
    if (i > 0 && items[i - 1]!.key.equals(key)) {
      throw new BoltWriteError(`duplicate key ${show(key)} in bucket ${show(bucket.name)}`);
    }
  }
  return items;
}

function checkKey(key: Buffer, what: string): void {
  if (key.length === 0) throw new BoltWriteError(`${what} must not be empty`);
  if (key.length > MAX_KEY_SIZE) throw new BoltWriteError(`${what} ${show(key.subarray(0, 32))}... exceeds ${MAX_KEY_SIZE} bytes`);
}

function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

const leafElementBytes = (item: LeafItem): number => LEAF_ELEMENT_SIZE + item.key.length + item.value.length;
const branchElementBytes = (item: BranchItem): number => BRANCH_ELEMENT_SIZE + item.key.length;

/** Same rule as bbolt's Bucket.inlineable(): one leaf of at most pageSize / 4 bytes. */
function isInlineable(items: readonly LeafItem[], pageSize: number): boolean {
  let size = PAGE_HEADER_SIZE;
  for (const item of items) size += leafElementBytes(item);
  return size <= pageSize / INLINE_PAGE_RATIO;
}

function bucketHeader(rootPgid: number): Buffer {
  const header = Buffer.alloc(BUCKET_HEADER_SIZE);
  header.writeBigUInt64LE(BigInt(rootPgid), 0);
  header.writeBigUInt64LE(0n, 8); // sequence
  return header;
}

/** Inline bucket: header with root 0, then a leaf page image (id 0) of exactly its used size. */
function inlineBucketValue(items: readonly LeafItem[]): Buffer {
  let size = PAGE_HEADER_SIZE;
  for (const item of items) size += leafElementBytes(item);
  const value = Buffer.alloc(BUCKET_HEADER_SIZE + size);
  bucketHeader(0).copy(value, 0);
  renderLeaf(value.subarray(BUCKET_HEADER_SIZE), 0, 0, items);
  return value;
}

/**
 * Writes the B+tree for `items` (already sorted, unique) and returns its root pgid.
 * An empty bucket is one empty leaf page, as bbolt leaves it.
 */
function writeTree(alloc: PageAllocator, items: readonly LeafItem[]): number {
  let level: BranchItem[] = packPages(items, leafElementBytes, alloc.pageSize, 1).map((chunk) => {
    let size = PAGE_HEADER_SIZE;
    for (const item of chunk) size += leafElementBytes(item);
    const { pgid, data, overflow } = alloc.allocate(size);
    renderLeaf(data, pgid, overflow, chunk);
    return { key: chunk[0]?.key ?? Buffer.alloc(0), pgid };
  });
  while (level.length > 1) {
    // At least two children per branch page, so each level is smaller than the one below.
    level = packPages(level, branchElementBytes, alloc.pageSize, 2).map((chunk) => {
      let size = PAGE_HEADER_SIZE;
      for (const item of chunk) size += branchElementBytes(item);
      const { pgid, data, overflow } = alloc.allocate(size);
      renderBranch(data, pgid, overflow, chunk);
      // Invariant: a branch element's key is the first key of the subtree it points to.
      return { key: chunk[0]!.key, pgid };
    });
  }
  return level[0]!.pgid;
}

/**
 * Splits items into pages, filling each page up to pageSize but with at least
 * `minPerPage` elements (the page then spans overflow pages). Always returns at least
 * one chunk.
 */
function packPages<T>(items: readonly T[], bytes: (item: T) => number, pageSize: number, minPerPage: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = PAGE_HEADER_SIZE;
  for (const item of items) {
    const b = bytes(item);
    if (current.length >= minPerPage && (size + b > pageSize || current.length === MAX_PAGE_COUNT)) {
      chunks.push(current);
      current = [];
      size = PAGE_HEADER_SIZE;
    }
    current.push(item);
    size += b;
  }
  chunks.push(current);
  // Avoid a lone element in the last page, as bbolt keeps two keys per page where it
  // can: borrow one from the previous page, or (branch pages, which must hold two)
  // merge into it.
  const last = chunks[chunks.length - 1]!;
  const prev = chunks[chunks.length - 2];
  if (prev !== undefined && last.length === 1) {
    const moved = prev[prev.length - 1]!;
    if (prev.length > 2 && PAGE_HEADER_SIZE + bytes(moved) + bytes(last[0]!) <= pageSize) {
      prev.pop();
      last.unshift(moved);
    } else if (minPerPage > 1) {
      prev.push(...last);
      chunks.pop();
    }
  }
  return chunks;
}

function writeHeader(page: Buffer, pgid: number, flags: number, count: number, overflow: number): void {
  page.writeBigUInt64LE(BigInt(pgid), 0);
  page.writeUInt16LE(flags, 8);
  page.writeUInt16LE(count, 10);
  page.writeUInt32LE(overflow, 12);
}

/** Element i sits at 16 + 16*i; its `pos` is the distance from the element to its key. */
function renderLeaf(page: Buffer, pgid: number, overflow: number, items: readonly LeafItem[]): void {
  writeHeader(page, pgid, PageFlag.leaf, items.length, overflow);
  let data = PAGE_HEADER_SIZE + LEAF_ELEMENT_SIZE * items.length;
  items.forEach((item, i) => {
    const elem = PAGE_HEADER_SIZE + LEAF_ELEMENT_SIZE * i;
    page.writeUInt32LE(item.flags, elem);
    page.writeUInt32LE(data - elem, elem + 4);
    page.writeUInt32LE(item.key.length, elem + 8);
    page.writeUInt32LE(item.value.length, elem + 12);
    data += item.key.copy(page, data);
    data += item.value.copy(page, data);
  });
}

function renderBranch(page: Buffer, pgid: number, overflow: number, items: readonly BranchItem[]): void {
  writeHeader(page, pgid, PageFlag.branch, items.length, overflow);
  let data = PAGE_HEADER_SIZE + BRANCH_ELEMENT_SIZE * items.length;
  items.forEach((item, i) => {
    const elem = PAGE_HEADER_SIZE + BRANCH_ELEMENT_SIZE * i;
    page.writeUInt32LE(data - elem, elem);
    page.writeUInt32LE(item.key.length, elem + 4);
    page.writeBigUInt64LE(BigInt(item.pgid), elem + 8);
    data += item.key.copy(page, data);
  });
}

function writeEmptyFreelist(page: Buffer): void {
  writeHeader(page, FREELIST_PGID, PageFlag.freelist, 0, 0);
}
