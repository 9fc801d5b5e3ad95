// Encoding and validation of the meta record stored in pages 0 and 1.

import { BoltFormatError } from './errors.js';
import { fnv1a64 } from './fnv1a64.js';
import { BOLT_MAGIC, BOLT_VERSION, META_SIZE, MetaOffset, PAGE_HEADER_SIZE, PageFlag } from './layout.js';

/** The meta record of a bbolt file. pgids and txid are u64 on disk; bigint here. */
export interface BoltMeta {
  readonly pageSize: number;
  readonly flags: number;
  /** Root bucket header: the pgid of the page holding the top-level bucket names. */
  readonly rootPgid: bigint;
  readonly rootSequence: bigint;
  readonly freelistPgid: bigint;
  /** High-water mark: first pgid never allocated. Every page below it is in use or free. */
  readonly highWaterPgid: bigint;
  readonly txid: bigint;
}

/** Writes a complete meta page (header + meta record) for page `pageId` into `page`. */
export function writeMetaPage(page: Buffer, pageId: 0 | 1, meta: BoltMeta): void {
  page.writeBigUInt64LE(BigInt(pageId), 0);
  page.writeUInt16LE(PageFlag.meta, 8);
  page.writeUInt16LE(0, 10);
  page.writeUInt32LE(0, 12);
  const m = page.subarray(PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + META_SIZE);
  m.writeUInt32LE(BOLT_MAGIC, MetaOffset.magic);
  m.writeUInt32LE(BOLT_VERSION, MetaOffset.version);
  m.writeUInt32LE(meta.pageSize, MetaOffset.pageSize);
  m.writeUInt32LE(meta.flags, MetaOffset.flags);
  m.writeBigUInt64LE(meta.rootPgid, MetaOffset.rootPgid);
  m.writeBigUInt64LE(meta.rootSequence, MetaOffset.rootSequence);
  m.writeBigUInt64LE(meta.freelistPgid, MetaOffset.freelist);
  m.writeBigUInt64LE(meta.highWaterPgid, MetaOffset.pgid);
  m.writeBigUInt64LE(meta.txid, MetaOffset.txid);
  m.writeBigUInt64LE(fnv1a64(m.subarray(0, MetaOffset.checksum)), MetaOffset.checksum);
}

export type MetaParseResult =
  | { readonly ok: true; readonly meta: BoltMeta }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses the meta record of the page starting at `pageOffset`. Mirrors bbolt's
 * meta.validate(): magic, version and checksum must match (a zero checksum is accepted,
 * as bbolt does, for files written before checksums existed).
 */
export function parseMeta(buf: Buffer, pageOffset: number): MetaParseResult {
  const start = pageOffset + PAGE_HEADER_SIZE;
  if (start + META_SIZE > buf.length) return { ok: false, reason: 'file too short for a meta page' };
  const m = buf.subarray(start, start + META_SIZE);
  if (m.readUInt32LE(MetaOffset.magic) !== BOLT_MAGIC) return { ok: false, reason: 'invalid magic' };
  const version = m.readUInt32LE(MetaOffset.version);
  if (version !== BOLT_VERSION) return { ok: false, reason: `unsupported version ${version}` };
  const checksum = m.readBigUInt64LE(MetaOffset.checksum);
  if (checksum !== 0n && checksum !== fnv1a64(m.subarray(0, MetaOffset.checksum))) {
    return { ok: false, reason: 'checksum mismatch' };
  }
  return {
    ok: true,
    meta: {
      pageSize: m.readUInt32LE(MetaOffset.pageSize),
      flags: m.readUInt32LE(MetaOffset.flags),
      rootPgid: m.readBigUInt64LE(MetaOffset.rootPgid),
      rootSequence: m.readBigUInt64LE(MetaOffset.rootSequence),
      freelistPgid: m.readBigUInt64LE(MetaOffset.freelist),
      highWaterPgid: m.readBigUInt64LE(MetaOffset.pgid),
      txid: m.readBigUInt64LE(MetaOffset.txid),
    },
  };
}

/**
 * Picks the meta bbolt would use: of the two meta pages, the valid one with the highest
 * txid. Page 0's meta tells where page 1 is; if page 0 is damaged, common page sizes are tried.
 */
export function readActiveMeta(buf: Buffer): BoltMeta {
  const m0 = parseMeta(buf, 0);
  const sizes = m0.ok ? [m0.meta.pageSize] : [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536];
  let best: BoltMeta | undefined = m0.ok ? m0.meta : undefined;
  let m1Reason = 'not found';
  for (const size of sizes) {
    const m1 = parseMeta(buf, size);
    if (!m1.ok) {
      m1Reason = m1.reason;
      continue;
    }
    if (m1.meta.pageSize !== size) continue;
    if (best === undefined || m1.meta.txid > best.txid) best = m1.meta;
    break;
  }
  if (best === undefined) {
    const r0 = m0.ok ? 'ok' : m0.reason;
    throw new BoltFormatError(`no valid meta page (meta 0: ${r0}; meta 1: ${m1Reason})`);
  }
  return best;
}
