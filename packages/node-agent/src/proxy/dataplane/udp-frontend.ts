import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Frontend } from '../types.js';
import type { DataPlaneContext } from './context.js';
import { FrontendListener } from './listener.js';

interface Session {
  readonly servicePort: string;
  readonly endpoint: string;
  readonly ip: string;
  readonly port: number;
  readonly backend: Socket;
  lastSeen: number;
}

/**
 * One UDP frontend. Each client address gets a session: a socket of its own toward the endpoint
 * chosen for it, whose replies go back to the client from the frontend's address. Sessions
 * end after udpIdleTimeoutMs without traffic or when their endpoint goes away; at most
 * maxUdpSessionsPerFrontend live at once (the least recently used is dropped), so a flood
 * of source addresses costs bounded memory and sockets.
 */
export class UdpFrontend {
  private readonly socket: Socket;
  private readonly listener: FrontendListener;
  // Map order is recency order: a session is re-inserted whenever it sees traffic.
  private readonly sessions = new Map<string, Session>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly frontend: Frontend,
    private readonly ctx: DataPlaneContext,
  ) {
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => {
      try {
        this.onMessage(msg, rinfo);
      } catch (err) {
        // A datagram must never take the node's forwarder down with it.
        ctx.log.error({ frontend: frontend.key, err }, 'udp datagram not forwarded');
      }
    });
    this.socket.on('error', (err) => ctx.log.warn({ frontend: frontend.key, err: err.message }, 'udp frontend error'));
    this.listener = new FrontendListener(frontend, ctx, {
      bindFd: (fd) => this.socket.bind({ fd }),
      bindExclusive: (onError) => {
        this.socket.once('error', onError);
        this.socket.bind({ address: frontend.ip, port: frontend.port, exclusive: true }, () => this.socket.off('error', onError));
      },
      unbind: () => undefined,
    });
  }

  open(): void {
    this.listener.open();
  }

  close(): void {
    this.listener.close();
    clearInterval(this.sweeper);
    for (const key of [...this.sessions.keys()]) this.endSession(key);
    try {
      this.socket.close();
    } catch {
      // never bound
    }
  }


  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Ends the sessions whose endpoint was removed. */
  closeEndpoints(endpoints: readonly string[]): void {
    const gone = new Set(endpoints);
    for (const [key, s] of this.sessions) if (gone.has(s.endpoint)) this.endSession(key);
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const ctx = this.ctx;
    const key = `${rinfo.address}:${rinfo.port}`;
    let s = this.sessions.get(key);
    const now = ctx.now();
    if (s) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
    } else {
      const p = ctx.table.pick(this.frontend.key, { clientIP: rinfo.address, now });
      if (p.kind !== 'endpoint') {
        ctx.metrics.rejected.inc({ service_port: this.frontend.servicePort, reason: p.kind === 'unknown-frontend' ? 'no-endpoints' : p.kind });
        return; // UDP has nobody to tell: the datagram is dropped
      }
      s = this.newSession(key, rinfo, p.servicePort.key, p.endpoint.key, p.endpoint.ip, p.endpoint.port);
      ctx.table.connectionOpened(s.servicePort, s.endpoint, rinfo.address, now);
    }
    s.lastSeen = now;
    s.backend.send(msg, s.port, s.ip);
    ctx.metrics.udpDatagrams.inc({ service_port: s.servicePort, direction: 'to_backend' });
  }

  private newSession(key: string, client: RemoteInfo, servicePort: string, endpoint: string, ip: string, port: number): Session {
    const ctx = this.ctx;
    while (this.sessions.size >= ctx.limits.maxUdpSessionsPerFrontend) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.endSession(oldest);
    }
    const backend = createSocket('udp4');
    const s: Session = { servicePort, endpoint, ip, port, backend, lastSeen: ctx.now() };
    // Not connect()ed: a connect is asynchronous and a send before it completes throws. Replies
    // from anything but the endpoint are ignored instead.
    backend.on('message', (reply, from) => {
      if (from.port !== port || from.address !== ip) return;
      s.lastSeen = ctx.now();
      this.socket.send(reply, client.port, client.address);
      ctx.metrics.udpDatagrams.inc({ service_port: servicePort, direction: 'to_client' });
    });
    backend.on('error', () => {
      ctx.table.connectFailed(servicePort, endpoint);
      this.endSession(key);
    });
    this.sessions.set(key, s);
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(250, Math.min(ctx.limits.udpIdleTimeoutMs, 5000))).unref();
    return s;
  }

  private endSession(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    this.ctx.table.connectionClosed(s.servicePort, s.endpoint);
    try {
      s.backend.close();
    } catch {
      // already closed
    }
    if (this.sessions.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const cutoff = this.ctx.now() - this.ctx.limits.udpIdleTimeoutMs;
    for (const [key, s] of this.sessions) if (s.lastSeen < cutoff) this.endSession(key);
  }
}
