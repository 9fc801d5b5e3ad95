import { crc32 } from 'node:zlib';
import { decodeBody, MAX_RECORD_BODY_BYTES, RECORD_HEADER_BYTES, type WalRecord } from './record.js';

export interface ScannedRecord {
  record: WalRecord;
  /** Byte offset of the record's header within the segment. */
  offset: number;
}

/**
 * How the scan of one segment ended.
 * - clean: every byte belongs to a valid record.
 * - torn: the bytes from `offset` on are what an interrupted append leaves behind (a record
 *   cut short by the end of the file, or a bad record with nothing but zeros after it).
 *   Only acceptable in the last segment; the caller truncates there.
 * - corrupt: a bad record with data after it, or a structurally impossible record.
 */
export type ScanEnd =
  | { kind: 'clean' }
  | { kind: 'torn'; offset: number; reason: string }
  | { kind: 'corrupt'; offset: number; reason: string };

export interface SegmentScan {
  records: ScannedRecord[];
  /** Rolling crc after the last valid record (the seed when only the seed record is valid). */
  crc: number;
  /** Offset just past the last valid record. */
  validEnd: number;
  end: ScanEnd;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== 0) return false;
  }
  return true;
}

/**
 * Reads the records of one segment. Pure: takes the file's bytes, returns what they hold.
 *
 * `expectedSeed` is the crc the previous segment ended with; the segment's crcSeed record
 * must carry it (undefined for the oldest segment on disk, whose seed is taken as given).
 *
 * Torn-versus-corrupt rule: a bad record is a torn tail only if nothing but zeros follows
 * it (or the file ends inside it with an intact length field). An append that a crash
 * interrupted can only leave such a shape; anything else means bytes that were once
 * valid changed, and acknowledged data may be behind them.
 */
export function scanSegment(buf: Buffer, expectedSeed: number | undefined): SegmentScan {
  const records: ScannedRecord[] = [];
  let crc: number | undefined;
  let pos = 0;
  const finish = (end: ScanEnd): SegmentScan => ({ records, crc: crc ?? 0, validEnd: pos, end });
  const bad = (reason: string, restFrom: number): SegmentScan =>
    finish(allZero(buf, restFrom) ? { kind: 'torn', offset: pos, reason } : { kind: 'corrupt', offset: pos, reason });

  while (pos < buf.length) {
    if (buf.length - pos < RECORD_HEADER_BYTES) {
      return finish({ kind: 'torn', offset: pos, reason: 'record header cut short by end of file' });
    }
    const bodyLength = buf.readUInt32LE(pos);
    const lengthGuard = buf.readUInt32LE(pos + 4);
    const storedCrc = buf.readUInt32LE(pos + 8);
    if (bodyLength === 0 && lengthGuard === 0 && storedCrc === 0) {
      return bad('zero-filled region', pos);
    }
    if ((bodyLength ^ lengthGuard) >>> 0 !== 0xffffffff || bodyLength < 1 || bodyLength > MAX_RECORD_BODY_BYTES) {
      return bad(`damaged record length ${bodyLength}`, pos + RECORD_HEADER_BYTES);
    }
    const end = pos + RECORD_HEADER_BYTES + bodyLength;
    if (end > buf.length) {
      return finish({ kind: 'torn', offset: pos, reason: `record of ${bodyLength} bytes cut short by end of file` });
    }
    const body = buf.subarray(pos + RECORD_HEADER_BYTES, end);
    let chainIn: number;
    if (crc === undefined) {
      // The seed record chains from its own payload; it must come first and be well formed.
      const seedLike = body.readUInt8(0) === 1 && body.length === 5;
      if (!seedLike) return bad('segment does not start with a crc seed record', end);
      chainIn = body.readUInt32LE(1);
    } else {
      chainIn = crc;
    }
    const computed = crc32(body, chainIn);
    if (computed !== storedCrc) {
      return bad(`crc mismatch (stored ${storedCrc.toString(16)}, computed ${computed.toString(16)})`, end);
    }
    const record = decodeBody(body);
    if (typeof record === 'string') {
      return finish({ kind: 'corrupt', offset: pos, reason: record });
    }
    if (record.kind === 'crcSeed') {
      if (crc !== undefined) return finish({ kind: 'corrupt', offset: pos, reason: 'crc seed record inside a segment' });
      if (expectedSeed !== undefined && record.seed !== expectedSeed) {
        return finish({
          kind: 'corrupt',
          offset: pos,
          reason: `crc seed ${record.seed.toString(16)} does not chain from the previous segment's ${expectedSeed.toString(16)}`,
        });
      }
    }
    records.push({ record, offset: pos });
    crc = computed;
    pos = end;
  }
  return finish({ kind: 'clean' });
}
