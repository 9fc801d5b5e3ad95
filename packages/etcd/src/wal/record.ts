import { crc32 } from 'node:zlib';
import { assertNever } from './assert-never.js';
import { WalEncodeError } from './errors.js';
import type { Entry, HardState, SnapshotRef } from './types.js';
import { readU64, writeU64 } from './u64.js';

/**
 * Record framing (all integers little-endian):
 *
 *   offset 0  u32  bodyLength            length of type byte + payload, >= 1
 *   offset 4  u32  bodyLength ^ 0xffffffff  guards the length field on its own
 *   offset 8  u32  crc                   crc32(body) seeded with the previous record's crc
 *   offset 12 u8   type                  RecordCode
 *   offset 13 ...  payload
 *
 * The length guard lets the reader tell "this record is cut off by the end of the file"
 * (torn tail) from "the length field itself is damaged" (corruption), which a plain length
 * cannot. The rolling crc makes every record vouch for all records before it.
 */
export const RECORD_HEADER_BYTES = 12;
/** Upper bound on one record's body; a larger length field is treated as damage. */
export const MAX_RECORD_BODY_BYTES = 256 * 1024 * 1024;

export const RecordCode = {
  crcSeed: 1,
  metadata: 2,
  entry: 3,
  hardState: 4,
  snapshotMarker: 5,
} as const;

export type WalRecord =
  /** First record of every segment: the crc the previous segment ended with (0 for the first). */
  | { kind: 'crcSeed'; seed: number }
  | { kind: 'metadata'; data: Uint8Array }
  | { kind: 'entry'; entry: Entry }
  | { kind: 'hardState'; hardState: HardState }
  | { kind: 'snapshotMarker'; snapshot: SnapshotRef };

const ENTRY_FIXED = 16;
const HARD_STATE_BYTES = 24;
const MARKER_BYTES = 16;
const SEED_BYTES = 4;

function payloadLength(record: WalRecord): number {
  switch (record.kind) {
    case 'crcSeed':
      return SEED_BYTES;
    case 'metadata':
      return record.data.byteLength;
    case 'entry':
      return ENTRY_FIXED + record.entry.data.byteLength;
    case 'hardState':
      return HARD_STATE_BYTES;
    case 'snapshotMarker':
      return MARKER_BYTES;
    default:
      return assertNever(record);
  }
}

/** Bytes the record occupies on disk, header included. */
export function frameLength(record: WalRecord): number {
  return RECORD_HEADER_BYTES + 1 + payloadLength(record);
}

function writePayload(buf: Buffer, at: number, record: WalRecord): void {
  switch (record.kind) {
    case 'crcSeed':
      buf.writeUInt32LE(record.seed >>> 0, at);
      return;
    case 'metadata':
      buf.set(record.data, at);
      return;
    case 'entry':
      writeU64(buf, at, record.entry.term, 'entry.term');
      writeU64(buf, at + 8, record.entry.index, 'entry.index');
      buf.set(record.entry.data, at + ENTRY_FIXED);
      return;
    case 'hardState':
      writeU64(buf, at, record.hardState.term, 'hardState.term');
      writeU64(buf, at + 8, record.hardState.vote, 'hardState.vote');
      writeU64(buf, at + 16, record.hardState.commit, 'hardState.commit');
      return;
    case 'snapshotMarker':
      writeU64(buf, at, record.snapshot.index, 'snapshot.index');
      writeU64(buf, at + 8, record.snapshot.term, 'snapshot.term');
      return;
    default:
      assertNever(record);
  }
}

/**
 * Encodes records into one contiguous buffer (so a batch costs one write syscall) and
 * returns the crc of the last record, which seeds the next batch. A crcSeed record is
 * chained from its own seed value, which must equal `prevCrc` when it starts a segment.
 * Throws WalEncodeError before producing anything if a field is out of range.
 */
export function encodeRecords(records: readonly WalRecord[], prevCrc: number): { bytes: Buffer; crc: number } {
  let total = 0;
  for (const record of records) {
    const len = frameLength(record);
    if (len - RECORD_HEADER_BYTES > MAX_RECORD_BODY_BYTES) {
      throw new WalEncodeError(`wal: ${record.kind} record of ${len} bytes exceeds the ${MAX_RECORD_BODY_BYTES}-byte limit`);
    }
    total += len;
  }
  const buf = Buffer.allocUnsafe(total);
  let crc = prevCrc >>> 0;
  let at = 0;
  for (const record of records) {
    const bodyLength = frameLength(record) - RECORD_HEADER_BYTES;
    const bodyStart = at + RECORD_HEADER_BYTES;
    buf.writeUInt32LE(bodyLength, at);
    buf.writeUInt32LE(~bodyLength >>> 0, at + 4);
    buf.writeUInt8(RecordCode[record.kind], bodyStart);
    writePayload(buf, bodyStart + 1, record);
    const chainIn = record.kind === 'crcSeed' ? record.seed >>> 0 : crc;
    crc = crc32(buf.subarray(bodyStart, bodyStart + bodyLength), chainIn);
    buf.writeUInt32LE(crc, at + 8);
    at = bodyStart + bodyLength;
  }
  return { bytes: buf, crc };
}

/**
 * Decodes a record body whose crc has already been verified. Returns a reason string when
 * the body is well-checksummed but not a record this version understands (that is
 * corruption or a newer writer, never a torn write).
 */
export function decodeBody(body: Buffer): WalRecord | string {
  const code = body.readUInt8(0);
  const payload = body.subarray(1);
  const fixed = (expected: number, name: string): string | undefined =>
    payload.byteLength === expected ? undefined : `${name} record has ${payload.byteLength} payload bytes, want ${expected}`;
  switch (code) {
    case RecordCode.crcSeed: {
      const bad = fixed(SEED_BYTES, 'crcSeed');
      return bad ?? { kind: 'crcSeed', seed: payload.readUInt32LE(0) };
    }
    case RecordCode.metadata:
      return { kind: 'metadata', data: new Uint8Array(payload) };
    case RecordCode.entry: {
      if (payload.byteLength < ENTRY_FIXED) return `entry record has only ${payload.byteLength} payload bytes`;
      const term = readU64(payload, 0);
      const index = readU64(payload, 8);
      if (term === undefined || index === undefined) return 'entry term or index exceeds 2^53';
      // Copy: the caller's entries must not pin the whole segment buffer in memory.
      const data = new Uint8Array(payload.subarray(ENTRY_FIXED));
      return { kind: 'entry', entry: { term, index, data } };
    }
    case RecordCode.hardState: {
      const bad = fixed(HARD_STATE_BYTES, 'hardState');
      if (bad !== undefined) return bad;
      const term = readU64(payload, 0);
      const vote = readU64(payload, 8);
      const commit = readU64(payload, 16);
      if (term === undefined || vote === undefined || commit === undefined) return 'hardState field exceeds 2^53';
      return { kind: 'hardState', hardState: { term, vote, commit } };
    }
    case RecordCode.snapshotMarker: {
      const bad = fixed(MARKER_BYTES, 'snapshotMarker');
      if (bad !== undefined) return bad;
      const index = readU64(payload, 0);
      const term = readU64(payload, 8);
      if (index === undefined || term === undefined) return 'snapshot marker field exceeds 2^53';
      return { kind: 'snapshotMarker', snapshot: { index, term } };
    }
    default:
      return `unknown record type ${code}`;
  }
}
