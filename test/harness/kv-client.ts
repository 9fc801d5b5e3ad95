import { credentials, Metadata } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';

/** A thin promise wrapper over the generated etcd KV client, one channel per endpoint. */
export class KvClient {
  private readonly kv: etcdserverpb.KVClient;

  constructor(readonly endpoint: string) {
    this.kv = new etcdserverpb.KVClient(endpoint, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 200,
    });
  }

  private call<Req, Res>(
    fn: (req: Req, md: Metadata, opts: { deadline: number }, cb: (err: Error | null, res: Res) => void) => unknown,
    req: Req,
    timeoutMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(this.kv, req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  put(key: string, value: string, timeoutMs = 2000): Promise<etcdserverpb.PutResponse> {
    return this.call(this.kv.put, etcdserverpb.PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }), timeoutMs);
  }

  /** Linearizable unless `serializable`. Resolves with the value, or null when absent. */
  async get(key: string, opts: { serializable?: boolean; timeoutMs?: number } = {}): Promise<{ value: string | null; modRevision: bigint; revision: bigint }> {
    const res = await this.call(
      this.kv.range,
      etcdserverpb.RangeRequest.fromPartial({ key: Buffer.from(key), serializable: opts.serializable ?? false }),
      opts.timeoutMs ?? 2000,
    );
    const kv = res.kvs[0];
    return { value: kv ? kv.value.toString() : null, modRevision: kv?.modRevision ?? 0n, revision: res.header?.revision ?? 0n };
  }

  delete(key: string, timeoutMs = 2000): Promise<etcdserverpb.DeleteRangeResponse> {
    return this.call(this.kv.deleteRange, etcdserverpb.DeleteRangeRequest.fromPartial({ key: Buffer.from(key) }), timeoutMs);
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
    const res = await this.call(
      this.kv.txn,
      etcdserverpb.TxnRequest.fromPartial({
        compare: [compare],
        success: [{ request: { $case: 'requestPut', requestPut: etcdserverpb.PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }) } }],
      }),
      timeoutMs,
    );
    return res.succeeded;
  }

  close(): void {
    this.kv.close();
  }
}
