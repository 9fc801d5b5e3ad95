import { createSocket, type Socket } from 'node:dgram';
import type { Next, Plugin, Request, Result } from '../../plugin.js';
import { Flag, Rcode } from '../../wire/constants.js';
import { answerOf } from '../../wire/message.js';
import { inZone } from '../kubernetes/records.js';
import { tcpExchange } from '../../tcp-exchange.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardOptions {
  /** Names at or under this zone are forwarded (`.` for all). */
  from: string;
  upstreams: Upstream[];
  /** Per upstream try. */
  timeoutMs: number;
}

interface Pending {
  upstream: Upstream;
  resolve: (wire: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * The `forward` plugin: relays queries for names outside the cluster to upstream servers
 * over UDP (TCP when the upstream's reply is truncated), trying each upstream in turn
 * with a timeout. When none answers the client gets SERVFAIL: an answer, never a hang.
 */
export class ForwardPlugin implements Plugin {
  readonly name = 'forward';
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly from: string;
  private next = 0;

  constructor(private readonly o: ForwardOptions) {
    this.from = o.from === '.' ? '.' : `${o.from.replace(/\.$/, '').toLowerCase()}.`;
  }

  async start(): Promise<void> {
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      if (!p || p.upstream.port !== rinfo.port || p.upstream.host !== rinfo.address) return;
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(p.timer);
      p.resolve(msg);
    });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.unref();
    this.socket = s;
  }

  async stop(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    this.socket?.close();
    await Promise.resolve();
  }

  serve(req: Request, next: Next): Result | Promise<Result> {
    if (this.from !== '.' && !inZone(req.query.name, this.from)) return next(req);
    return this.forward(req);
  }

  private async forward(req: Request): Promise<Result> {
    const q = req.query;
    const packet = Buffer.from(q.packet);
    for (let i = 0; i < this.o.upstreams.length; i++) {
      const upstream = this.o.upstreams[(this.next + i) % this.o.upstreams.length]!;
      let reply = await this.udp(packet, upstream);
      if (reply && reply.readUInt16BE(2) & Flag.TC) reply = (await tcpExchange(upstream, packet, this.o.timeoutMs).catch(() => undefined)) ?? reply;
      if (reply) {
        this.next = (this.next + i) % this.o.upstreams.length;
        reply.writeUInt16BE(q.id, 0);
        return { kind: 'wire', wire: reply };
      }
    }
    return { kind: 'answer', answer: answerOf(Rcode.SERVFAIL) };
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  private udp(packet: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = this.freeId();
      const out = Buffer.from(packet);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.o.timeoutMs);
      this.pending.set(id, { upstream, resolve, timer });
      this.socket?.send(out, upstream.port, upstream.host);
    });
  }
}
