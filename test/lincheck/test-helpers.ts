import type { KvInput, KvOperation, KvOutput } from './kv-model.js';
import { KV_UNKNOWN } from './kv-model.js';

/** Test support: terse constructors for hand-built KV histories. */
export function kvOp(clientId: number, call: number, ret: number, input: KvInput, output: KvOutput): KvOperation {
  return { clientId, input, call, return: ret, output };
}

export const get = (c: number, call: number, ret: number, value: string | null, key = 'x'): KvOperation =>
  kvOp(c, call, ret, { op: 'get', key }, { value });

export const put = (c: number, call: number, ret: number, value: string, key = 'x'): KvOperation =>
  kvOp(c, call, ret, { op: 'put', key, value }, ret === Infinity ? KV_UNKNOWN : {});

export const del = (c: number, call: number, ret: number, key = 'x'): KvOperation =>
  kvOp(c, call, ret, { op: 'delete', key }, ret === Infinity ? KV_UNKNOWN : {});

export const cas = (
  c: number,
  call: number,
  ret: number,
  expectValue: string | null,
  value: string,
  ok: boolean | 'unknown',
  key = 'x',
): KvOperation => kvOp(c, call, ret, { op: 'cas', key, expectValue, value }, ok === 'unknown' ? KV_UNKNOWN : { ok });
