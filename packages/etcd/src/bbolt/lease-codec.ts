// leasepb.Lease {ID = 1, TTL = 2, RemainingTTL = 3}, the value type of etcd's "lease"
// bucket (keyed by the lease id, 8 bytes big-endian).

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { KvDecodeError } from './errors.js';

export interface LeaseRecord {
  id: bigint;
  ttl: number;
}

export function encodeLease(id: bigint, ttl: number): Buffer {
  return Buffer.from(new BinaryWriter().uint32(8).int64(id).uint32(16).int64(ttl).finish());
}

/** Fields other than ID and TTL are skipped; a record without an ID takes `idFromKey`. */
export function decodeLease(value: Buffer, idFromKey: bigint): LeaseRecord {
  const r = new BinaryReader(value);
  const out: LeaseRecord = { id: idFromKey, ttl: 0 };
  try {
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === WireType.Varint) out.id = BigInt(r.int64());
      else if (field === 2 && wireType === WireType.Varint) out.ttl = Number(r.int64());
      else r.skip(wireType);
    }
  } catch (err) {
    throw new KvDecodeError(`leasepb.Lease ${idFromKey}: ${(err as Error).message}`, { cause: err });
  }
  return out;
}
