import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Logger } from '@kemu/common';
import type { Next, Request, Result } from '../plugin.js';
import { Flag, Rcode } from '../wire/constants.js';
import { encodeError, encodeResponse, truncate, udpLimit } from '../wire/encode.js';
import { rcodeOf } from '../wire/inspect.js';
import { answerOf } from '../wire/message.js';
import { ParseError, parseQuery, type Query } from '../wire/parse.js';
import type { FastTable, NativeServer, NativeUdp } from './native-udp.js';

export interface ServerOptions {
  host: string;
  port: number;
  handler: Next;
  /** RA in replies: set when the chain can forward. */
  recursionAvailable: boolean;
  /** Called with every reply sent (metrics, query log). */
  observers: Array<(req: Request, wire: Buffer) => void>;
  /** Called for each packet that was not a well-formed query (metrics). */
  onMalformed?: (reason: string, rcode: number | 'drop') => void;
  log: Logger;
  /** Idle TCP connections are closed after this long (RFC 7766 suggests seconds). */
  tcpIdleMs?: number;
  /** Serve UDP with the native fast path (IPv4 only) instead of Node's dgram. */
  native?: NativeUdp;
}

/** Largest TCP message kemu reads; larger length prefixes close the connection. */
const MAX_TCP_MESSAGE = 65_535;
/** Queries one TCP connection may have unanswered at once. */
const MAX_TCP_INFLIGHT = 64;

/**
 * Serves one address over UDP and TCP. Each packet is parsed (malformed ones get FORMERR,
 * NOTIMP or BADVERS, or are dropped, never thrown past here), run through the handler
 * chain, encoded and, on UDP, cut to the client's size with TC set when too big.
 */
export class DnsServer {
  private udp: UdpSocket | undefined;
  private nativeServer: NativeServer | undefined;
  private tcp: TcpServer | undefined;
  private readonly conns = new Set<Socket>();

  constructor(private readonly o: ServerOptions) {}

  async listen(): Promise<void> {
    let port: number;
    const native = this.o.native && !this.o.host.includes(':') ? this.o.native : undefined;
    if (native) {
      const n = native.start(this.o.host, this.o.port, (msg, address, from) => {
        this.handle(msg, 'udp', address, from, (wire) => native.send(n, wire, address, from));
      });
      this.nativeServer = n;
      port = native.port(n);
    } else {
      const udp = createSocket({ type: this.o.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
      udp.on('error', (err) => this.o.log.warn({ err }, 'udp socket error'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.o.port, this.o.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.udp = udp;
      port = udp.address().port;
    }
    const tcp = createServer((s) => this.onTcp(s));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: this.o.host, port, backlog: 1024 }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
  }

  /** The port both transports listen on (the configured one, or the one picked for 0). */
  get port(): number {
    if (this.nativeServer && this.o.native) return this.o.native.port(this.nativeServer);
    return this.udp?.address().port ?? this.o.port;
  }

  /** The native path's reply table, when UDP is served natively. */
  fastTable(): FastTable | undefined {
    const n = this.nativeServer;
    const native = this.o.native;
    if (!n || !native) return undefined;
    return { set: (key, reply, ttlMs) => native.set(n, key, reply, ttlMs), clear: () => native.clear(n) };
  }

  /** The native path's counters (see native/udp.c), when UDP is served natively. */
  fastStats(): Float64Array | undefined {
    return this.nativeServer && this.o.native ? this.o.native.stats(this.nativeServer) : undefined;
  }

  async close(): Promise<void> {
    this.udp?.close();
    if (this.nativeServer) this.o.native?.stop(this.nativeServer);
    this.nativeServer = undefined;
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    this.handle(msg, 'udp', rinfo.address, rinfo.port, (wire) => this.udp?.send(wire, rinfo.port, rinfo.address));
  }

  private onTcp(s: Socket): void {
    this.conns.add(s);
    s.setNoDelay(true);
    s.setTimeout(this.o.tcpIdleMs ?? 10_000, () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => this.conns.delete(s));
    let pending: Buffer = Buffer.alloc(0);
    let inflight = 0;
    const reply = (wire: Buffer): void => {
      inflight--;
      if (s.destroyed) return;
      const frame = Buffer.allocUnsafe(2 + wire.length);
      frame.writeUInt16BE(wire.length, 0);
      wire.copy(frame, 2);
      s.write(frame);
      if (inflight < MAX_TCP_INFLIGHT && s.isPaused()) s.resume();
    };
    s.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (len === 0 || len > MAX_TCP_MESSAGE) {
          s.destroy();
          return;
        }
        if (pending.length < 2 + len) break;
        const msg = Buffer.from(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
        inflight++;
        this.handle(msg, 'tcp', s.remoteAddress ?? '', s.remotePort ?? 0, reply, () => inflight--);
      }
      if (inflight >= MAX_TCP_INFLIGHT) s.pause();
    });
  }

  private handle(msg: Buffer, transport: 'udp' | 'tcp', remoteAddress: string, remotePort: number, send: (wire: Buffer) => void, dropped?: () => void): void {
    const startedAt = performance.now();
    let query: Query;
    try {
      query = parseQuery(msg);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.o.onMalformed?.(err.message, err.rcode);
      if (err.rcode === 'drop') {
        dropped?.();
        return;
      }
      send(encodeError(err.id, err.flags, err.rcode, err.query));
      return;
    }
    const req: Request = { query, transport, remoteAddress, remotePort, startedAt };
    const done = (res: Result): void => {
      let wire = res.kind === 'wire' ? res.wire : encodeResponse(query, res.answer, { recursionAvailable: this.o.recursionAvailable }).wire;
      if (transport === 'udp' && wire.length > udpLimit(query)) {
        wire = truncate(query, { ...answerOf(rcodeOf(wire)), authoritative: (wire.readUInt16BE(2) & Flag.AA) !== 0 }, this.o.recursionAvailable);
      }
      send(wire);
      for (const o of this.o.observers) o(req, wire);
    };
    const fail = (err: unknown): void => {
      this.o.log.error({ err, name: query.name }, 'handler failed');
      done({ kind: 'answer', answer: answerOf(Rcode.SERVFAIL) });
    };
    try {
      const res = this.o.handler(req);
      if (res instanceof Promise) res.then(done, fail);
      else done(res);
    } catch (err) {
      fail(err);
    }
  }
}
