import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';

/** Reconnect quickly to a member that was killed and restarted on the same address. */
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

export interface PrefixRangeOptions {
  /** Serve from the member's local state without a ReadIndex round (may be stale). */
  serializable: boolean;
  timeoutMs?: number;
}

/**
 * An etcd KV client pinned to ONE member's client endpoint, so a test knows exactly which
 * member served each request (no client-side balancing, no retries).
 */
export class PinnedKvClient {
  private readonly client: etcdserverpb.KVClient;

  constructor(readonly endpoint: string) {
    this.client = new etcdserverpb.KVClient(endpoint, credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  put(key: string, value: string, timeoutMs = 3000): Promise<etcdserverpb.PutResponse> {
    const req = etcdserverpb.PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) });
    return new Promise((resolve, reject) => {
      this.client.put(req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** Every key that starts with `prefix`. */
  rangePrefix(prefix: string, opts: PrefixRangeOptions): Promise<etcdserverpb.RangeResponse> {
    const req = etcdserverpb.RangeRequest.fromPartial({
      key: Buffer.from(prefix),
      rangeEnd: prefixEnd(Buffer.from(prefix)),
      serializable: opts.serializable,
    });
    return new Promise((resolve, reject) => {
      this.client.range(req, new Metadata(), { deadline: Date.now() + (opts.timeoutMs ?? 5000) }, (err: ServiceError | null, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  close(): void {
    this.client.close();
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
export async function withPinnedKvClient<T>(endpoint: string, fn: (c: PinnedKvClient) => Promise<T>): Promise<T> {
  const c = new PinnedKvClient(endpoint);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
