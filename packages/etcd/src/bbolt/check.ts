// Page-accounting check with the semantics of bbolt's tx.Check(), which `etcdctl snapshot
// status` runs before anything else: every page below the high-water mark must be either
// reachable exactly once (meta, freelist, B+tree page or overflow continuation) or in the
// freelist, never both, and every tree page must be a branch or a leaf.

import { BUCKET_HEADER_SIZE, BUCKET_LEAF_FLAG, BRANCH_ELEMENT_SIZE, LEAF_ELEMENT_SIZE, MAX_PAGE_COUNT, PAGE_HEADER_SIZE, PageFlag, PGID_NO_FREELIST } from './layout.js';
import { readActiveMeta } from './meta.js';

/**
 * Returns the problems found, worded like bbolt's ("page 7: multiple references");
 * an empty list means the file passes. Throws BoltFormatError only when no meta is valid.
 */
export function checkBoltDb(buf: Buffer): string[] {
  const meta = readActiveMeta(buf);
  const { pageSize } = meta;
  const highWater = meta.highWaterPgid;
  const errors: string[] = [];
  const header = (pgid: bigint): { flags: number; count: number; overflow: number; start: number } | undefined => {
    const start = Number(pgid) * pageSize;
    if (start + PAGE_HEADER_SIZE > buf.length) {
      errors.push(`page ${pgid}: beyond end of file`);
      return undefined;
    }
    return { flags: buf.readUInt16LE(start + 8), count: buf.readUInt16LE(start + 10), overflow: buf.readUInt32LE(start + 12), start };
  };

  const freed = new Set<bigint>();
  const reachable = new Set<bigint>([0n, 1n]);
  const hasFreelist = meta.freelistPgid !== PGID_NO_FREELIST;
  if (hasFreelist) {
    const h = header(meta.freelistPgid);
    if (h !== undefined) {
      if ((h.flags & PageFlag.freelist) === 0) errors.push(`page ${meta.freelistPgid}: invalid freelist page`);
      let count = h.count;
      let idsAt = h.start + PAGE_HEADER_SIZE;
      if (count === MAX_PAGE_COUNT) {
        count = Number(buf.readBigUInt64LE(idsAt));
        idsAt += 8;
      }
      for (let i = 0; i < count; i++) {
        if (idsAt + 8 * i + 8 > buf.length) break;
        const id = buf.readBigUInt64LE(idsAt + 8 * i);
        if (freed.has(id)) errors.push(`page ${id}: already freed`);
        freed.add(id);
      }
      for (let i = 0n; i <= BigInt(h.overflow); i++) reachable.add(meta.freelistPgid + i);
    }
  }

  const walk = (pgid: bigint, onLeafElement: (flags: number, value: Buffer) => void): void => {
    if (pgid >= highWater) {
      errors.push(`page ${pgid}: out of bounds: ${highWater}`);
      return;
    }
    const h = header(pgid);
    if (h === undefined) return;
    for (let i = 0n; i <= BigInt(h.overflow); i++) {
      if (reachable.has(pgid + i)) errors.push(`page ${pgid + i}: multiple references`);
      reachable.add(pgid + i);
    }
    const end = h.start + (h.overflow + 1) * pageSize;
    if (freed.has(pgid)) {
      errors.push(`page ${pgid}: reachable freed`);
    } else if ((h.flags & PageFlag.branch) !== 0) {
      for (let i = 0; i < h.count; i++) {
        const elem = h.start + PAGE_HEADER_SIZE + BRANCH_ELEMENT_SIZE * i;
        if (elem + BRANCH_ELEMENT_SIZE > Math.min(end, buf.length)) break;
        walk(buf.readBigUInt64LE(elem + 8), onLeafElement);
      }
    } else if ((h.flags & PageFlag.leaf) !== 0) {
      for (let i = 0; i < h.count; i++) {
        const elem = h.start + PAGE_HEADER_SIZE + LEAF_ELEMENT_SIZE * i;
        if (elem + LEAF_ELEMENT_SIZE > Math.min(end, buf.length)) break;
        const flags = buf.readUInt32LE(elem);
        const valueStart = elem + buf.readUInt32LE(elem + 4) + buf.readUInt32LE(elem + 8);
        onLeafElement(flags, buf.subarray(valueStart, valueStart + buf.readUInt32LE(elem + 12)));
      }
    } else {
      errors.push(`page ${pgid}: invalid type: 0x${h.flags.toString(16)}`);
    }
  };

  // Top-level buckets; inline ones own no pages. Nested buckets are followed too.
  const visitBucketValue = (flags: number, value: Buffer): void => {
    if ((flags & BUCKET_LEAF_FLAG) === 0 || value.length < BUCKET_HEADER_SIZE) return;
    const root = value.readBigUInt64LE(0);
    if (root !== 0n) walk(root, visitBucketValue);
  };
  walk(meta.rootPgid, visitBucketValue);

  // Without a synced freelist bbolt rebuilds it from the unreachable pages, so only
  // a file with a freelist can have unreachable, unfreed pages.
  if (hasFreelist) {
    for (let i = 0n; i < highWater; i++) {
      if (!reachable.has(i) && !freed.has(i)) errors.push(`page ${i}: unreachable unfreed`);
    }
  }
  return errors;
}
