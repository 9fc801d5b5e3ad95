// mvccpb.KeyValue, the value type of etcd's "key" bucket. The codec itself lives with
// the MVCC store (mvcc/codec.ts); this wraps it with the bbolt module's error type.

import { marshalKeyValue, unmarshalKeyValue } from '../mvcc/codec.js';
import type { KeyValue } from '../mvcc/types.js';
import { KvDecodeError } from './errors.js';

export type MvccKeyValue = KeyValue;

export const encodeKeyValue = (kv: MvccKeyValue): Buffer => marshalKeyValue(kv);

export function decodeKeyValue(buf: Buffer): MvccKeyValue {
  try {
    return unmarshalKeyValue(buf);
  } catch (err) {
    throw new KvDecodeError(`mvccpb.KeyValue: ${(err as Error).message}`, { cause: err });
  }
}
