import { WalEncodeError } from './errors.js';

const TWO_32 = 0x1_0000_0000;
/** Largest high word that keeps the value within Number.MAX_SAFE_INTEGER (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1f_ffff;

/**
 * Unsigned 64-bit little-endian fields carried as JS numbers. Raft terms and indexes fit
 * comfortably in 53 bits; anything larger is refused on write and reported as undecodable
 * on read, so a number never silently loses precision.
 */
export function writeU64(buf: Buffer, offset: number, value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WalEncodeError(`storage: ${field} must be a non-negative safe integer, got ${value}`);
  }
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

/** Returns undefined when the stored value does not fit in a safe integer. */
export function readU64(buf: Buffer, offset: number): number | undefined {
  const low = buf.readUInt32LE(offset);
  const high = buf.readUInt32LE(offset + 4);
  if (high > MAX_SAFE_HIGH) return undefined;
  return high * TWO_32 + low;
}

/** Fixed-width lowercase hex used in file names, so lexical order equals numeric order. */
export function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

/** Parses a 16-digit hex field from a file name; undefined if it is not a safe integer. */
export function parseHex16(text: string): number | undefined {
  if (!/^[0-9a-f]{16}$/.test(text)) return undefined;
  const value = BigInt(`0x${text}`);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}
