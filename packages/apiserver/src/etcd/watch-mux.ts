import type { ClientDuplexStream } from '@grpc/grpc-js';
import { etcdserverpb, mvccpb } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { prefixEnd, type EtcdClient, type KeyValue } from './etcd-client.js';

export interface EtcdEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  /** The value before this event (etcd prev_kv); always set for deletes of live keys. */
  prev: KeyValue | undefined;
}

export interface PrefixWatchHandler {
  /** Events of one revision or more, in revision order. */
  events(events: EtcdEvent[], revision: number): void;
  /** etcd compacted past where this watch needed to resume: the owner must relist. */
  compacted(compactRevision: number): void;
  /** The store has reached `revision` with nothing more for this prefix. */
  progress(revision: number): void;
}

interface PrefixWatch {
  prefix: string;
  /** Revision to resume from after a reconnect: one past the last delivered. */
  next: number;
  handler: PrefixWatchHandler;
  watchId: bigint | undefined;
}

/**
 * All of one apiserver's etcd watches on a single gRPC stream (one watch per resource
 * prefix, as kube-apiserver's watch cache has). It reconnects to another member when the
 * stream breaks and resumes every watch from the revision after the last one delivered,
 * so no event is lost or repeated. requestProgress() answers with a revision R such that
 * every event up to R has been delivered on every watch: the basis of consistent reads
 * from the cache.
 */
export class EtcdWatchMux {
  private stream: ClientDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse> | undefined;
  private readonly watches: PrefixWatch[] = [];
  /** Watches whose create request was sent and not yet answered, in send order. */
  private pendingCreates: PrefixWatch[] = [];
  private readonly byId = new Map<bigint, PrefixWatch>();
  private progressWaiters: ((rev: number) => void)[] = [];
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly etcd: EtcdClient,
    private readonly log: Logger,
  ) {}

  watch(prefix: string, fromRevision: number, handler: PrefixWatchHandler): void {
    const w: PrefixWatch = { prefix, next: fromRevision, handler, watchId: undefined };
    this.watches.push(w);
    if (!this.stream) this.connect();
    else this.sendCreate(w);
  }

  /** Resolves with a revision all watches have caught up to (an etcd progress notification). */
  requestProgress(): Promise<number> {
    return new Promise((resolve) => {
      this.progressWaiters.push(resolve);
      // While disconnected the request goes out on the next stream (see connect()).
      this.stream?.write({ requestUnion: { $case: 'progressRequest', progressRequest: {} } });
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
  }

  private connect(): void {
    if (this.stopped) return;
    const { stream, index } = this.etcd.openWatchStream();
    this.stream = stream;
    this.byId.clear();
    this.pendingCreates = [];
    stream.on('data', (r: etcdserverpb.WatchResponse) => this.onResponse(r));
    const broken = (why: unknown): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (this.stopped) return;
      this.log.warn({ err: why }, 'etcd watch stream broke; resuming on another member');
      this.etcd.failedOver(index);
      // Waiters for progress get an answer after the reconnect instead.
      this.reconnectTimer = setTimeout(() => {
        this.connect();
        if (this.progressWaiters.length) {
          this.stream?.write({ requestUnion: { $case: 'progressRequest', progressRequest: {} } });
        }
      }, 200);
    };
    stream.on('error', broken);
    stream.on('end', () => broken(new Error('stream ended')));
    for (const w of this.watches) this.sendCreate(w);
  }

  private sendCreate(w: PrefixWatch): void {
    this.pendingCreates.push(w);
    this.stream?.write({
      requestUnion: {
        $case: 'createRequest',
        createRequest: etcdserverpb.WatchCreateRequest.fromPartial({
          key: Buffer.from(w.prefix),
          rangeEnd: prefixEnd(w.prefix),
          startRevision: BigInt(w.next),
          prevKv: true,
          progressNotify: true,
        }),
      },
    });
  }

  private onResponse(r: etcdserverpb.WatchResponse): void {
    const revision = Number(r.header?.revision ?? 0n);
    if (r.created) {
      const w = this.pendingCreates.shift();
      if (w) {
        w.watchId = r.watchId;
        this.byId.set(r.watchId, w);
      }
    }
    if (r.watchId === -1n || (r.events.length === 0 && !r.created && !r.canceled && this.byId.has(r.watchId))) {
      // A progress notification: everything up to `revision` has been delivered.
      const targets = r.watchId === -1n ? this.watches : [this.byId.get(r.watchId)!];
      for (const w of targets) {
        if (w.next <= revision) w.next = revision + 1;
        w.handler.progress(revision);
      }
      if (r.watchId === -1n) for (const waiter of this.progressWaiters.splice(0)) waiter(revision);
      return;
    }
    const w = this.byId.get(r.watchId);
    if (!w) return;
    if (r.canceled || r.compactRevision > 0n) {
      this.byId.delete(r.watchId);
      if (r.compactRevision > 0n) {
        this.watches.splice(this.watches.indexOf(w), 1);
        w.handler.compacted(Number(r.compactRevision));
      } else {
        this.log.warn({ prefix: w.prefix, reason: r.cancelReason }, 'etcd canceled a watch; recreating it');
        this.sendCreate(w);
      }
      return;
    }
    if (r.events.length === 0) return;
    const events: EtcdEvent[] = r.events.map((e) => ({
      type: e.type === mvccpb.Event_EventType.DELETE ? 'delete' : 'put',
      kv: toKv(e.kv),
      prev: e.prevKv ? toKv(e.prevKv) : undefined,
    }));
    const last = events[events.length - 1]!.kv.modRevision;
    w.next = last + 1;
    w.handler.events(events, last);
  }
}

function toKv(kv: mvccpb.KeyValue | undefined): KeyValue {
  return {
    key: kv ? kv.key.toString('utf8') : '',
    value: kv?.value ?? Buffer.alloc(0),
    modRevision: Number(kv?.modRevision ?? 0n),
    createRevision: Number(kv?.createRevision ?? 0n),
  };
}
