// FNV-1a 64-bit hash (Go hash/fnv New64a), used by bbolt for the meta checksum.

const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function fnv1a64(data: Uint8Array): bigint {
  let h = OFFSET_BASIS;
  for (const byte of data) {
    h ^= BigInt(byte);
    h = (h * PRIME) & MASK;
  }
  return h;
}
