import { Server, Socket } from 'node:net';
import { ioDeadline } from '@kemu/common';
import type { EndpointInfo, Frontend } from '../types.js';
import { plainIP, type DataPlaneContext } from './context.js';
import { FrontendListener, type ListenOps } from './listener.js';
import { NativeSplicer } from './native-splicer.js';
import type { Splice, SpliceResult, Splicer } from './splicer.js';

type Dialed = { kind: 'connected'; socket: Socket; endpoint: EndpointInfo; servicePort: string } | { kind: 'rejected'; servicePort: string; reason: string };

/** An accepted client, however it was accepted: a net.Socket, or a descriptor the native engine accepted. */
interface Client {
  readonly ip: string;
  /** Known to be gone already (only a JS socket can tell before splicing). */
  gone(): boolean;
  /** Reset at once: no endpoint will serve it. */
  reject(): void;
  splice(backend: Socket, onEnd: (r: SpliceResult) => void): Splice;
}

/**
 * One TCP frontend (ClusterIP:port, NodeIP:NodePort, LoadBalancer IP:port): accepts a client,
 * asks the table for an endpoint, connects (retrying on the next endpoint after a failure,
 * with growing timeouts, as the userspace proxier did) and hands the pair to the splicer.
 * A client is never left hanging: with no usable endpoint it is reset at once.
 * With the native engine the engine accepts too (no net.Server per frontend: 10,000 Services
 * would cost ~25 MB of them); otherwise a paused net.Server does.
 */
// Implements ListenOps with methods rather than closures: one of these exists per
// ClusterIP:port, and per-instance closures cost ~200 bytes each at 10,000 Services.
export class TcpFrontend implements ListenOps {
  private server: Server | undefined;
  private watchId: number | undefined;
  private readonly listener: FrontendListener;

  constructor(
    readonly frontend: Frontend,
    private readonly ctx: DataPlaneContext,
  ) {
    this.listener = new FrontendListener(frontend, ctx, this);
  }

  bindFd(fd: number): void {
    const engine = this.engine();
    if (engine) this.watchId = engine.watch(fd, this);
    else this.jsServer().listen({ fd });
  }

  bindExclusive(onError: (err: NodeJS.ErrnoException) => void): void {
    const server = this.jsServer();
    server.once('error', onError);
    server.listen({ host: this.frontend.ip, port: this.frontend.port, exclusive: true, backlog: 4096 }, () => server.off('error', onError));
  }

  unbind(): void {
    if (this.watchId !== undefined) this.engine()?.unwatch(this.watchId);
    this.watchId = undefined;
    this.server?.close();
  }

  /** A client the native engine accepted on this frontend. */
  accepted(clientFd: number, clientIP: string): void {
    const engine = this.engine();
    if (engine) this.accept(engineClient(engine, clientFd, clientIP));
  }

  private engine(): NativeSplicer | undefined {
    return this.ctx.splicer instanceof NativeSplicer ? this.ctx.splicer : undefined;
  }

  private jsServer(): Server {
    if (this.server) return this.server;
    const server = new Server({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (s) => {
      s.on('error', () => undefined); // a client reset while we dial is not an agent error
      this.accept(socketClient(s, this.ctx.splicer));
    });
    server.on('error', (err) => this.ctx.log.warn({ frontend: this.frontend.key, err: err.message }, 'frontend listener error'));
    this.server = server;
    return server;
  }

  open(): void {
    this.listener.open();
  }

  close(): void {
    this.listener.close();
  }


  private accept(client: Client): void {
    const ctx = this.ctx;
    const servicePortKey = this.frontend.servicePort;
    if (ctx.connections.size >= ctx.limits.maxConnections || ctx.connections.countFor(servicePortKey) >= ctx.limits.maxConnectionsPerService) {
      ctx.metrics.rejected.inc({ service_port: servicePortKey, reason: 'limit' });
      client.reject();
      return;
    }
    const release = ctx.connections.reserve(servicePortKey);
    void this.dial(client.ip).then((d) => {
      release();
      if (d.kind === 'rejected') {
        ctx.metrics.rejected.inc({ service_port: d.servicePort, reason: d.reason });
        client.reject();
        return;
      }
      if (client.gone()) {
        d.socket.destroy();
        return;
      }
      this.splice(client, d.socket, d.endpoint, d.servicePort);
    });
  }

  private splice(client: Client, backend: Socket, endpoint: EndpointInfo, servicePort: string): void {
    const ctx = this.ctx;
    ctx.table.connectionOpened(servicePort, endpoint.key, client.ip, ctx.now());
    ctx.metrics.connections.inc({ service_port: servicePort });
    let forget = (): void => undefined;
    const splice = client.splice(backend, (r) => {
      forget();
      ctx.table.connectionClosed(servicePort, endpoint.key);
      ctx.table.bytes(servicePort, r.toBackend, r.toClient, endpoint.key);
      if (r.toBackend) ctx.metrics.bytes.inc({ service_port: servicePort, direction: 'to_backend' }, r.toBackend);
      if (r.toClient) ctx.metrics.bytes.inc({ service_port: servicePort, direction: 'to_client' }, r.toClient);
    });
    forget = ctx.connections.add(servicePort, endpoint.key, splice);
  }

  /**
   * Endpoint after endpoint until one connects, with the growing timeouts. An endpoint that
   * refused is not tried again; one that timed out (a full accept queue, a lost SYN) is tried
   * again with a longer timeout once no untried endpoint is left, as the userspace proxier
   * kept dialling while it had time. A timeout also holds the endpoint off for the next
   * connections (ForwardingTable holdOffMs), so a dead node's pods cost one dial timeout
   * every few seconds rather than one per connection until the EndpointSlices drop them.
   */
  private async dial(clientIP: string): Promise<Dialed> {
    const ctx = this.ctx;
    const refused = new Set<string>();
    const slow = new Set<string>();
    let servicePort = this.frontend.servicePort;
    for (const [attempt, timeoutMs] of ctx.limits.dialTimeoutsMs.entries()) {
      let p = ctx.table.pick(this.frontend.key, { clientIP, now: ctx.now(), exclude: new Set([...refused, ...slow]) });
      if (p.kind === 'no-endpoints' && slow.size > 0) {
        slow.clear();
        p = ctx.table.pick(this.frontend.key, { clientIP, now: ctx.now(), exclude: refused });
      }
      switch (p.kind) {
        case 'unknown-frontend':
          return { kind: 'rejected', servicePort, reason: 'no-endpoints' };
        case 'no-endpoints':
          return { kind: 'rejected', servicePort, reason: refused.size > 0 ? 'dial-failed' : 'no-endpoints' };
        case 'drop':
          return { kind: 'rejected', servicePort, reason: 'drop' };
        case 'endpoint':
          break;
      }
      servicePort = p.servicePort.key;
      if (attempt > 0) ctx.metrics.connectRetries.inc({ service_port: servicePort });
      try {
        const socket = await connectEndpoint(p.endpoint, timeoutMs);
        return { kind: 'connected', socket, endpoint: p.endpoint, servicePort };
      } catch (err) {
        const timedOut = (err as NodeJS.ErrnoException).code === 'ETIMEDOUT';
        (timedOut ? slow : refused).add(p.endpoint.key);
        ctx.table.connectFailed(servicePort, p.endpoint.key, timedOut ? ctx.now() : undefined);
        ctx.metrics.connectFailures.inc({ service_port: servicePort });
        ctx.log.debug({ frontend: this.frontend.key, endpoint: p.endpoint.key, err: (err as Error).message }, 'endpoint connect failed');
      }
    }
    return { kind: 'rejected', servicePort, reason: 'dial-failed' };
  }
}

function socketClient(s: Socket, splicer: Splicer): Client {
  return {
    ip: plainIP(s.remoteAddress),
    gone: () => s.destroyed,
    reject: () => s.resetAndDestroy(),
    splice: (backend, onEnd) => splicer.splice(s, backend, onEnd),
  };
}

function engineClient(engine: NativeSplicer, fd: number, ip: string): Client {
  return {
    ip,
    gone: () => false,
    reject: () => engine.reset(fd),
    splice: (backend, onEnd) => engine.spliceAccepted(fd, backend, onEnd),
  };
}

/**
 * Connects without reading: the socket stays paused so no byte is consumed before splicing.
 * The timeout is an ioDeadline, so a connect that finished while the agent was stalled is
 * not reported as timed out.
 */
export function connectEndpoint(ep: Pick<EndpointInfo, 'key' | 'ip' | 'port'>, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ allowHalfOpen: true });
    s.pause();
    const deadline = ioDeadline(timeoutMs, () => {
      s.destroy();
      reject(Object.assign(new Error(`connect ${ep.key}: timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    s.once('error', (err) => {
      deadline.clear();
      s.destroy();
      reject(err);
    });
    s.connect({ host: ep.ip, port: ep.port, noDelay: true }, () => {
      deadline.clear();
      s.removeAllListeners('error');
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}
