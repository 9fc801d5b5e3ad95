import { createServer, type Server } from 'node:http';
import type { Frontend } from '../types.js';
import type { DataPlaneContext } from './context.js';
import { FrontendListener } from './listener.js';

/**
 * A Service's healthCheckNodePort (externalTrafficPolicy Local): answers 200 when this node
 * has a local ready endpoint for the Service and 503 when it has none, so that an external
 * load balancer sends traffic only to nodes that will not drop it.
 */
export class HealthCheckFrontend {
  private readonly server: Server;
  private readonly listener: FrontendListener;

  constructor(
    readonly frontend: Frontend,
    ctx: DataPlaneContext,
  ) {
    this.server = createServer((req, res) => {
      const answer = ctx.table.healthCheck(frontend.port);
      const code = answer?.code ?? 503;
      res.writeHead(code, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
      res.end(answer?.body ?? '{}');
    });
    this.server.keepAliveTimeout = 5000;
    this.server.on('error', (err) => ctx.log.warn({ frontend: frontend.key, err: err.message }, 'health check listener error'));
    this.listener = new FrontendListener(frontend, ctx, {
      bindFd: (fd) => this.server.listen({ fd }),
      bindExclusive: (onError) => {
        this.server.once('error', onError);
        this.server.listen({ host: frontend.ip, port: frontend.port, exclusive: true }, () => this.server.off('error', onError));
      },
      unbind: () => {
        this.server.close();
        this.server.closeAllConnections();
      },
    });
  }

  open(): void {
    this.listener.open();
  }

  close(): void {
    this.listener.close();
  }
}
