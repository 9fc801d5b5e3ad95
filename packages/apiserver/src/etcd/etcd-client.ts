import { credentials, Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { etcdserverpb, mvccpb } from '@kemu/api';

const { Compare, Compare_CompareResult, Compare_CompareTarget, RangeRequest, TxnRequest, PutRequest, DeleteRangeRequest } =
  etcdserverpb;

/** A failure talking to etcd, with the gRPC status it came with (`code`). */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    message: string,
    readonly code: GrpcStatus,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** The request may not have been applied, or may have been: the caller must check. */
  get ambiguous(): boolean {
    return this.code === GrpcStatus.UNAVAILABLE || this.code === GrpcStatus.DEADLINE_EXCEEDED;
  }
}

/** One condition of a Txn: the key's mod_revision compared with a value (0: absent). */
export interface Cmp {
  key: string;
  modRevision: number;
  op?: 'equal' | 'less' | 'greater';
}

export type Op = { put: string; value: Buffer | string; lease?: bigint } | { del: string };

export interface KeyValue {
  key: string;
  value: Buffer;
  modRevision: number;
  createRevision: number;
}

export interface TxnResult {
  succeeded: boolean;
  revision: number;
}

export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]! += 1;
      return out;
    }
  }
  return Buffer.from([0]);
}

/**
 * Errors after which the next call goes to another member (and a read is tried there):
 * the member is down, or too slow to answer within the deadline.
 */
const RETRY = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]);

/**
 * The apiserver's etcd v3 client: KV, Txn and Lease calls with failover across the
 * members' client endpoints. Reads retry on another member; a write that failed with
 * an ambiguous error is reported as such (EtcdError.ambiguous) for the storage layer to
 * resolve by reading back, because blindly resending a Txn could apply it twice.
 */
export class EtcdClient {
  private readonly kv: InstanceType<typeof etcdserverpb.KVClient>[];
  private readonly lease: InstanceType<typeof etcdserverpb.LeaseClient>[];
  readonly watchClients: InstanceType<typeof etcdserverpb.WatchClient>[];
  private readonly maintenance: InstanceType<typeof etcdserverpb.MaintenanceClient>[];
  private current = 0;
  private leaderTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly endpoints: readonly string[],
    private readonly timeoutMs = 5_000,
  ) {
    if (endpoints.length === 0) throw new Error('etcd: no endpoints');
    const opts = {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.max_receive_message_length': 512 * 1024 * 1024,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': 3_000,
    };
    this.kv = endpoints.map((e) => new etcdserverpb.KVClient(e, credentials.createInsecure(), opts));
    this.lease = endpoints.map((e) => new etcdserverpb.LeaseClient(e, credentials.createInsecure(), opts));
    this.watchClients = endpoints.map((e) => new etcdserverpb.WatchClient(e, credentials.createInsecure(), opts));
    this.maintenance = endpoints.map((e) => new etcdserverpb.MaintenanceClient(e, credentials.createInsecure(), opts));
  }

  close(): void {
    clearInterval(this.leaderTimer);
    for (const c of [...this.kv, ...this.lease, ...this.watchClients, ...this.maintenance]) c.close();
  }

  /**
   * Prefers the Raft leader's endpoint, and looks again every `intervalMs` and after a
   * failure. Any member serves every request, but a follower forwards a write to the
   * leader and answers only once it has learned of the commit: measured on kemu's etcd
   * here, a put through a follower took 12.5 ms at the median against 5.2 ms through the
   * leader, and the apiserver's writes and watch events are on every endpoint's path.
   */
  async followLeader(intervalMs = 5_000): Promise<void> {
    await this.findLeader();
    this.leaderTimer = setInterval(() => void this.findLeader(), intervalMs);
    this.leaderTimer.unref();
  }

  private async findLeader(): Promise<void> {
    const answers = await Promise.all(
      this.maintenance.map(
        (c) =>
          new Promise<etcdserverpb.StatusResponse | undefined>((resolve) =>
            c.status({}, new Metadata(), { deadline: Date.now() + 1_000 }, (err, res) => resolve(err ? undefined : res)),
          ),
      ),
    );
    const i = answers.findIndex((s) => s !== undefined && s.leader !== 0n && s.leader === s.header?.memberId);
    if (i >= 0 && i !== this.preferred()) this.current = i;
  }

  /** The index of the endpoint to use next; moves on after a member failed. */
  preferred(): number {
    return this.current % this.endpoints.length;
  }
  /**
   * Endpoint `i` failed: move on from it, if it is still the one in use (calls failing
   * together on one member move on once, not once each, which could lead back to it).
   */
  failedOver(i: number): void {
    if (this.preferred() === i) this.current = i + 1;
    if (this.leaderTimer) void this.findLeader();
  }

  async get(key: string): Promise<{ kv: KeyValue | undefined; revision: number }> {
    const res = await this.read<etcdserverpb.RangeResponse>((c, md, o, cb) => c.range(RangeRequest.fromPartial({ key: Buffer.from(key) }), md, o, cb));
    return { kv: res.kvs[0] ? toKv(res.kvs[0]) : undefined, revision: Number(res.header?.revision ?? 0n) };
  }

  /** Keys in [from, end of prefix), at `revision` (0: latest), at most `limit` (0: all). */
  async range(
    prefix: string,
    opts: { from?: string; limit?: number; revision?: number; countOnly?: boolean } = {},
  ): Promise<{ kvs: KeyValue[]; more: boolean; count: number; revision: number }> {
    const req = RangeRequest.fromPartial({
      key: Buffer.from(opts.from ?? prefix),
      rangeEnd: prefixEnd(prefix),
      limit: BigInt(opts.limit ?? 0),
      revision: BigInt(opts.revision ?? 0),
      countOnly: opts.countOnly ?? false,
    });
    const res = await this.read<etcdserverpb.RangeResponse>((c, md, o, cb) => c.range(req, md, o, cb));
    return {
      kvs: res.kvs.map(toKv),
      more: res.more,
      count: Number(res.count),
      revision: Number(res.header?.revision ?? 0n),
    };
  }

  /** The current revision of the store, read linearizably. */
  async currentRevision(): Promise<number> {
    const res = await this.read<etcdserverpb.RangeResponse>((c, md, o, cb) =>
      c.range(RangeRequest.fromPartial({ key: Buffer.from('/registry/'), limit: 1n, countOnly: true }), md, o, cb),
    );
    return Number(res.header?.revision ?? 0n);
  }

  async txn(cmps: readonly Cmp[], success: readonly Op[], failure: readonly Op[] = []): Promise<TxnResult> {
    const req = TxnRequest.fromPartial({
      compare: cmps.map((c) =>
        Compare.fromPartial({
          key: Buffer.from(c.key),
          target: Compare_CompareTarget.MOD,
          result:
            c.op === 'less'
              ? Compare_CompareResult.LESS
              : c.op === 'greater'
                ? Compare_CompareResult.GREATER
                : Compare_CompareResult.EQUAL,
          targetUnion: { $case: 'modRevision', modRevision: BigInt(c.modRevision) },
        }),
      ),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    });
    const res = await this.write<etcdserverpb.TxnResponse>((c, md, o, cb) => c.txn(req, md, o, cb));
    return { succeeded: res.succeeded, revision: Number(res.header?.revision ?? 0n) };
  }

  async compact(revision: number): Promise<void> {
    await this.write<etcdserverpb.CompactionResponse>((c, md, o, cb) =>
      c.compact(etcdserverpb.CompactionRequest.fromPartial({ revision: BigInt(revision), physical: false }), md, o, cb),
    );
  }

  async grantLease(ttlSeconds: number): Promise<bigint> {
    const res = await this.call<InstanceType<typeof etcdserverpb.LeaseClient>, etcdserverpb.LeaseGrantResponse>(this.lease, (c, md, o, cb) => c.leaseGrant({ TTL: BigInt(ttlSeconds), ID: 0n }, md, o, cb), true);
    if (res.error) throw new EtcdError(`etcd: lease grant: ${res.error}`, GrpcStatus.UNKNOWN);
    return res.ID;
  }

  /** One keep-alive round trip; returns the remaining TTL (<= 0: the lease is gone). */
  keepAliveOnce(id: bigint): Promise<number> {
    const index = this.preferred();
    const client = this.lease[index]!;
    return new Promise((resolve, reject) => {
      const stream = client.leaseKeepAlive(new Metadata(), { deadline: Date.now() + this.timeoutMs });
      let settled = false;
      stream.on('data', (r: etcdserverpb.LeaseKeepAliveResponse) => {
        settled = true;
        stream.end();
        resolve(Number(r.TTL));
      });
      stream.on('error', (err: ServiceError) => {
        if (settled) return;
        settled = true;
        if (RETRY.has(err.code)) this.failedOver(index);
        reject(new EtcdError(`etcd: lease keep-alive: ${err.details}`, err.code, { cause: err }));
      });
      stream.on('end', () => {
        if (!settled) reject(new EtcdError('etcd: lease keep-alive stream ended', GrpcStatus.UNAVAILABLE));
      });
      stream.write({ ID: id });
    });
  }

  /** A Watch stream on the preferred member, and that member's index (for failedOver). */
  openWatchStream(): { stream: ClientDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse>; index: number } {
    const index = this.preferred();
    return { stream: this.watchClients[index]!.watch(new Metadata()), index };
  }

  private read<Res>(
    fn: (c: InstanceType<typeof etcdserverpb.KVClient>, md: Metadata, o: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => void,
  ): Promise<Res> {
    return this.call(this.kv, fn, true);
  }

  private write<Res>(
    fn: (c: InstanceType<typeof etcdserverpb.KVClient>, md: Metadata, o: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => void,
  ): Promise<Res> {
    return this.call(this.kv, fn, false);
  }

  private async call<C, Res>(
    clients: readonly C[],
    fn: (c: C, md: Metadata, o: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => void,
    retry: boolean,
  ): Promise<Res> {
    const attempts = retry ? clients.length * 3 : 1;
    let last: ServiceError | undefined;
    for (let i = 0; i < attempts; i++) {
      const index = this.preferred();
      const c = clients[index]!;
      try {
        return await new Promise<Res>((resolve, reject) =>
          fn(c, new Metadata(), { deadline: Date.now() + this.timeoutMs }, (e, r) => (e ? reject(e) : resolve(r))),
        );
      } catch (err) {
        const e = err as ServiceError;
        last = e;
        if (RETRY.has(e.code) || /leader changed|no leader|timed out/.test(e.details ?? '')) {
          this.failedOver(index);
          if (retry && i < attempts - 1) {
            await new Promise((r) => setTimeout(r, i < clients.length ? 20 : 200));
            continue;
          }
        }
        throw new EtcdError(`etcd: ${e.details || e.message}`, e.code, { cause: e });
      }
    }
    throw new EtcdError(`etcd: ${last?.details ?? 'unavailable'}`, last?.code ?? GrpcStatus.UNAVAILABLE, { cause: last });
  }
}

function toKv(kv: mvccpb.KeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    modRevision: Number(kv.modRevision),
    createRevision: Number(kv.createRevision),
  };
}

function toRequestOp(op: Op): etcdserverpb.RequestOp {
  if ('put' in op) {
    return {
      request: {
        $case: 'requestPut',
        requestPut: PutRequest.fromPartial({
          key: Buffer.from(op.put),
          value: typeof op.value === 'string' ? Buffer.from(op.value) : op.value,
          lease: op.lease ?? 0n,
        }),
      },
    };
  }
  return { request: { $case: 'requestDeleteRange', requestDeleteRange: DeleteRangeRequest.fromPartial({ key: Buffer.from(op.del) }) } };
}
