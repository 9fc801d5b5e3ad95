import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** One health check: returns undefined when healthy, or a reason when not. */
export type Check = () => string | undefined | Promise<string | undefined>;

export interface OpsServerOptions {
  host: string;
  port: number;
  /** Liveness: the process is working (GET /healthz). */
  health?: Record<string, Check>;
  /** Readiness: the process can serve its clients (GET /readyz and /ready). */
  ready?: Record<string, Check>;
  registry?: Registry;
  /** Extra handlers by exact path (e.g. /debug/faults), tried before the built-in ones. */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
}

export interface OpsServer {
  readonly registry: Registry;
  readonly server: Server;
  address(): AddressInfo;
  close(): Promise<void>;
}

async function runChecks(checks: Record<string, Check>): Promise<{ ok: boolean; body: string }> {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of Object.entries(checks)) {
    let reason: string | undefined;
    try {
      reason = await check();
    } catch (err) {
      reason = (err as Error).message;
    }
    if (reason === undefined) {
      lines.push(`[+]${name} ok`);
    } else {
      ok = false;
      lines.push(`[-]${name} failed: ${reason}`);
    }
  }
  lines.push(ok ? 'ok' : 'check failed');
  return { ok, body: lines.join('\n') + '\n' };
}

/**
 * The HTTP endpoints every kemu process serves: /healthz, /readyz (and /ready, as CoreDNS
 * names it) with Kubernetes-style check listings, and Prometheus /metrics.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const registry = opts.registry ?? new Registry();
  // Several servers may share one registry (dns: health and prometheus on two addresses);
  // the process metrics are registered once.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    const route = opts.routes?.[path ?? ''];
    if (route) {
      route(req, res);
      return;
    }
    const handle = async (): Promise<void> => {
      switch (path) {
        case '/healthz':
        case '/livez': {
          const r = await runChecks(opts.health ?? {});
          reply(r.ok ? 200 : 500, r.body);
          return;
        }
        case '/readyz':
        case '/ready': {
          const r = await runChecks({ ...(opts.health ?? {}), ...(opts.ready ?? {}) });
          reply(r.ok ? 200 : 503, r.body);
          return;
        }
        case '/metrics':
          reply(200, await registry.metrics(), registry.contentType);
          return;
        default:
          reply(404, `404 page not found: ${path}\n`);
      }
    };
    handle().catch((err: unknown) => reply(500, `${(err as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    registry,
    server,
    address: () => server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
