import { hex16, parseHex16 } from './u64.js';

/**
 * Segment file name: `<16-hex seq>-<16-hex firstIndex>.wal`.
 * seq numbers segments 0, 1, 2, ... with no gaps. firstIndex is one past the last entry
 * index written before the segment was started, so every live entry (one not later
 * overwritten) in older segments has an index below it.
 */
export interface SegmentName {
  seq: number;
  firstIndex: number;
  name: string;
}

export const SEGMENT_SUFFIX = '.wal';
export const TMP_SUFFIX = '.tmp';

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}${SEGMENT_SUFFIX}`;
}

export function parseSegmentName(name: string): SegmentName | undefined {
  const match = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
  if (match === null) return undefined;
  const seq = parseHex16(match[1] ?? '');
  const firstIndex = parseHex16(match[2] ?? '');
  if (seq === undefined || firstIndex === undefined) return undefined;
  return { seq, firstIndex, name };
}

/** Segments found in a directory listing, oldest first. */
export function listSegments(names: readonly string[]): SegmentName[] {
  const segments: SegmentName[] = [];
  for (const name of names) {
    const parsed = parseSegmentName(name);
    if (parsed !== undefined) segments.push(parsed);
  }
  return segments.sort((a, b) => a.seq - b.seq);
}
