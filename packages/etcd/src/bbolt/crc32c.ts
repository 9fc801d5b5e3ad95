// CRC-32C (Castagnoli), as Go's crc32.MakeTable(crc32.Castagnoli); etcdctl hashes
// snapshots with it.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** Streaming CRC-32C: feed chunks with update(), read the value with digest(). */
export class Crc32c {
  private crc = 0xffffffff;

  update(data: Uint8Array): this {
    let c = this.crc;
    for (const byte of data) c = TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
    this.crc = c;
    return this;
  }

  digest(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }
}
