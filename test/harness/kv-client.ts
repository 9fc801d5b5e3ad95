import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';

/**
 * A thin promise wrapper over the generated etcd KV client, pinned to ONE member's client
 * endpoint so a test knows exactly which member served each request (no balancing, no
 * retries). It reconnects quickly to a member killed and restarted on the same address.
 */
export class KvClient {
  private readonly kv: etcdserverpb.KVClient;

  constructor(readonly endpoint: string) {
    this.kv = new etcdserverpb.KVClient(endpoint, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 200,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  private call<Res>(
    send: (md: Metadata, opts: { deadline: number }, cb: (err: Error | null, res: Res) => void) => unknown,
    timeoutMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      send(new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  put(key: string, value: string, timeoutMs = 2000): Promise<etcdserverpb.PutResponse> {
    const req = etcdserverpb.PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) });
    return this.call((md, o, cb) => this.kv.put(req, md, o, cb), timeoutMs);
  }

  /** Linearizable unless `serializable`. Resolves with the value, or null when absent. */
  async get(key: string, opts: { serializable?: boolean; timeoutMs?: number } = {}): Promise<{ value: string | null; modRevision: bigint; revision: bigint }> {
    const req = etcdserverpb.RangeRequest.fromPartial({ key: Buffer.from(key), serializable: opts.serializable ?? false });
    const res = await this.call<etcdserverpb.RangeResponse>((md, o, cb) => this.kv.range(req, md, o, cb), opts.timeoutMs ?? 2000);
    const kv = res.kvs[0];
    return { value: kv ? kv.value.toString() : null, modRevision: kv?.modRevision ?? 0n, revision: res.header?.revision ?? 0n };
  }

  /** Every key that starts with `prefix`. */
  rangePrefix(prefix: string, opts: { serializable: boolean; timeoutMs?: number }): Promise<etcdserverpb.RangeResponse> {
    const req = etcdserverpb.RangeRequest.fromPartial({
      key: Buffer.from(prefix),
      rangeEnd: prefixEnd(Buffer.from(prefix)),
      serializable: opts.serializable,
    });
    return this.call((md, o, cb) => this.kv.range(req, md, o, cb), opts.timeoutMs ?? 5000);
  }

  delete(key: string, timeoutMs = 2000): Promise<etcdserverpb.DeleteRangeResponse> {
    const req = etcdserverpb.DeleteRangeRequest.fromPartial({ key: Buffer.from(key) });
    return this.call((md, o, cb) => this.kv.deleteRange(req, md, o, cb), timeoutMs);
  }

  /** Puts `value` if the key's value is `expect` (null: the key must be absent). */
  async cas(key: string, expect: string | null, value: string, timeoutMs = 2000): Promise<boolean> {
    const compare =
      expect === null
        ? etcdserverpb.Compare.fromPartial({
            key: Buffer.from(key),
            target: etcdserverpb.Compare_CompareTarget.CREATE,
            result: etcdserverpb.Compare_CompareResult.EQUAL,
            targetUnion: { $case: 'createRevision', createRevision: 0n },
          })
        : etcdserverpb.Compare.fromPartial({
            key: Buffer.from(key),
            target: etcdserverpb.Compare_CompareTarget.VALUE,
            result: etcdserverpb.Compare_CompareResult.EQUAL,
            targetUnion: { $case: 'value', value: Buffer.from(expect) },
          });
    const req = etcdserverpb.TxnRequest.fromPartial({
        compare: [compare],
        success: [{ request: { $case: 'requestPut', requestPut: etcdserverpb.PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }) } }],
      });
    const res = await this.call<etcdserverpb.TxnResponse>((md, o, cb) => this.kv.txn(req, md, o, cb), timeoutMs);
    return res.succeeded;
  }

  close(): void {
    this.kv.close();
  }
}

/** etcd's range end for "every key with this prefix": the prefix with its last byte incremented. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Runs `fn` with a fresh client for `endpoint` and closes it afterwards. */
export async function withKvClient<T>(endpoint: string, fn: (c: KvClient) => Promise<T>): Promise<T> {
  const c = new KvClient(endpoint);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
