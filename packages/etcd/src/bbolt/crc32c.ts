// Streaming CRC-32C (Castagnoli) over the MVCC store's implementation (mvcc/codec.ts);
// etcdctl hashes snapshot files with it.

import { crc32c } from '../mvcc/codec.js';

/** Feed chunks with update(), read the value with digest(). */
export class Crc32c {
  private crc = 0;

  update(data: Uint8Array): this {
    this.crc = crc32c(this.crc, data);
    return this;
  }

  digest(): number {
    return this.crc;
  }
}
