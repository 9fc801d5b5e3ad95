import type { Message, NodeId } from './types.js';

interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

/** Hex key of a request context; contexts are compared by content. */
export function ctxKey(ctx: Uint8Array): string {
  let s = '';
  for (const b of ctx) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Pending ReadIndex requests on the leader (ReadOnlySafe). Each request records the
 * commit index when it arrived; once a quorum acks a heartbeat carrying its context,
 * that request and every one queued before it are safe to answer at their index.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** `req.entries[0].data` is the request context. Duplicate contexts are ignored. */
  addRequest(index: number, req: Message): void {
    const key = ctxKey(req.entries[0]!.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat ack for context; returns the voters that acked it so far. */
  recvAck(id: NodeId, ctx: Uint8Array): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Dequeues and returns every request up to and including the one with `ctx`. */
  advance(ctx: Uint8Array): { req: Message; index: number }[] {
    const key = ctxKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: { req: Message; index: number }[] = [];
    for (const k of done) {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      out.push({ req: rs.req, index: rs.index });
    }
    return out;
  }

  /** Context of the newest pending request (heartbeats carry it), if any. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.req.entries[0]!.data;
  }

  get size(): number {
    return this.queue.length;
  }
}
