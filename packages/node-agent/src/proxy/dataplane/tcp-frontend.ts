import { Server, Socket } from 'node:net';
import type { EndpointInfo, Frontend } from '../types.js';
import { plainIP, type DataPlaneContext } from './context.js';
import { FrontendListener } from './listener.js';

type Dialed = { kind: 'connected'; socket: Socket; endpoint: EndpointInfo; servicePort: string } | { kind: 'rejected'; servicePort: string; reason: string };

/**
 * One TCP frontend (ClusterIP:port, NodeIP:NodePort, LoadBalancer IP:port): accepts a client,
 * asks the table for an endpoint, connects (retrying on the next endpoint after a failure,
 * with growing timeouts, as the userspace proxier did) and hands the pair to the splicer.
 * A client is never left hanging: with no usable endpoint it is reset at once.
 */
export class TcpFrontend {
  private readonly server: Server;
  private readonly listener: FrontendListener;

  constructor(
    readonly frontend: Frontend,
    private readonly ctx: DataPlaneContext,
  ) {
    this.server = new Server({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
    this.server.on('error', (err) => ctx.log.warn({ frontend: frontend.key, err: err.message }, 'frontend listener error'));
    this.listener = new FrontendListener(frontend, ctx, {
      listenFd: (fd) => this.server.listen({ fd }),
      listen: (onError) => {
        this.server.once('error', onError);
        this.server.listen({ host: frontend.ip, port: frontend.port, exclusive: true, backlog: 4096 }, () => this.server.off('error', onError));
      },
      close: () => {
        this.server.close();
      },
    });
  }

  open(): void {
    this.listener.open();
  }

  close(): void {
    this.listener.close();
  }

  get state(): 'serving' | 'standby' | 'closed' {
    return this.listener.state;
  }

  private accept(client: Socket): void {
    const ctx = this.ctx;
    client.on('error', () => undefined); // a client reset while we dial is not an agent error
    const servicePortKey = this.frontend.servicePort;
    if (ctx.connections.size >= ctx.limits.maxConnections || ctx.connections.countFor(servicePortKey) >= ctx.limits.maxConnectionsPerService) {
      ctx.metrics.rejected.inc({ service_port: servicePortKey, reason: 'limit' });
      client.resetAndDestroy();
      return;
    }
    const clientIP = plainIP(client.remoteAddress);
    void this.dial(clientIP).then((d) => {
      if (d.kind === 'rejected') {
        ctx.metrics.rejected.inc({ service_port: d.servicePort, reason: d.reason });
        client.resetAndDestroy();
        return;
      }
      if (client.destroyed) {
        d.socket.destroy();
        return;
      }
      this.splice(client, clientIP, d.socket, d.endpoint, d.servicePort);
    });
  }

  private splice(client: Socket, clientIP: string, backend: Socket, endpoint: EndpointInfo, servicePort: string): void {
    const ctx = this.ctx;
    ctx.table.connectionOpened(servicePort, endpoint.key, clientIP, ctx.now());
    ctx.metrics.connections.inc({ service_port: servicePort });
    let forget = (): void => undefined;
    const splice = ctx.splicer.splice(client, backend, (r) => {
      forget();
      ctx.table.connectionClosed(servicePort, endpoint.key);
      ctx.table.bytes(servicePort, r.toBackend, r.toClient, endpoint.key);
      if (r.toBackend) ctx.metrics.bytes.inc({ service_port: servicePort, direction: 'to_backend' }, r.toBackend);
      if (r.toClient) ctx.metrics.bytes.inc({ service_port: servicePort, direction: 'to_client' }, r.toClient);
    });
    forget = ctx.connections.add(servicePort, endpoint.key, splice);
  }

  private async dial(clientIP: string): Promise<Dialed> {
    const ctx = this.ctx;
    const exclude = new Set<string>();
    let servicePort = this.frontend.servicePort;
    for (const [attempt, timeoutMs] of ctx.limits.dialTimeoutsMs.entries()) {
      const p = ctx.table.pick(this.frontend.key, { clientIP, now: ctx.now(), exclude });
      switch (p.kind) {
        case 'unknown-frontend':
          return { kind: 'rejected', servicePort, reason: 'no-endpoints' };
        case 'no-endpoints':
          return { kind: 'rejected', servicePort, reason: exclude.size > 0 ? 'dial-failed' : 'no-endpoints' };
        case 'drop':
          return { kind: 'rejected', servicePort, reason: 'drop' };
        case 'endpoint':
          break;
      }
      servicePort = p.servicePort.key;
      if (attempt > 0) ctx.metrics.connectRetries.inc({ service_port: servicePort });
      try {
        const socket = await connect(p.endpoint, timeoutMs);
        return { kind: 'connected', socket, endpoint: p.endpoint, servicePort };
      } catch (err) {
        exclude.add(p.endpoint.key);
        ctx.table.connectFailed(servicePort, p.endpoint.key);
        ctx.metrics.connectFailures.inc({ service_port: servicePort });
        ctx.log.debug({ frontend: this.frontend.key, endpoint: p.endpoint.key, err: (err as Error).message }, 'endpoint connect failed');
      }
    }
    return { kind: 'rejected', servicePort, reason: 'dial-failed' };
  }
}

/** Connects without reading: the socket stays paused so no byte is consumed before splicing. */
function connect(ep: EndpointInfo, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ allowHalfOpen: true });
    s.pause();
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ${ep.key}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('error', (err) => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    });
    s.connect({ host: ep.ip, port: ep.port, noDelay: true }, () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}
