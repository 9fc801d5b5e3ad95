import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describeIdentity, formatHostPort } from './pod-identity.js';
import { listenTcp, type ServingWorkload, type WorkloadBase } from './workload.js';

export interface EchoOptions extends WorkloadBase {
  host: string;
  /** 0 picks a free port (tests, in-process hosting). */
  port: number;
  /**
   * Called after the reply to `POST /admin/exit?code=N` has been flushed. A process exits
   * with `code`; an in-process host marks the container as exited instead.
   */
  onExit: (code: number) => void;
}

export interface EchoServer extends ServingWorkload {
  /** The readiness flag `/readyz` reports; starts true. */
  readonly ready: boolean;
}

/** Upper bound of `GET /sleep?ms=N`, so no reply waits longer than a minute. */
export const MAX_SLEEP_MS = 60_000;

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * `kemu/echo`: an HTTP server answering every request with who served it and who asked,
 * as one JSON object per line: {"pod","namespace","podIP","node","client","method","path","host"}
 * (`path` is the request target as sent, query included). It is the backend of the proxy
 * benchmark, so the common path does no parsing beyond a prefix check and builds the
 * reply from a precomputed head. Control paths: GET /healthz, GET /readyz,
 * POST /admin/ready?value=true|false, POST /admin/exit?code=N, GET /sleep?ms=N, GET /bytes?n=N.
 */
/** Largest /bytes answer. */
export const MAX_BYTES = 1 << 30;
const FILLER = Buffer.alloc(1 << 20, 'k');

export async function startEcho(opts: EchoOptions): Promise<EchoServer> {
  const { identity } = opts;
  const head =
    `{"pod":${JSON.stringify(identity.pod)},"namespace":${JSON.stringify(identity.namespace)},` +
    `"podIP":${JSON.stringify(identity.podIP)},"node":${JSON.stringify(identity.node)},"client":"`;
  let ready = true;
  let closed: Promise<void> | undefined;
  const sleepers = new Set<NodeJS.Timeout>();

  const echoBody = (req: IncomingMessage): string => {
    const sock = req.socket;
    const ip = sock.remoteAddress ?? '';
    const client = ip.includes(':') ? `[${ip}]:${sock.remotePort}` : `${ip}:${sock.remotePort}`;
    return `${head}${client}","method":"${req.method}","path":${JSON.stringify(req.url)},"host":${JSON.stringify(req.headers.host ?? '')}}\n`;
  };

  const reply = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, ['content-type', type, 'content-length', String(Buffer.byteLength(body))]);
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const c = url.charCodeAt(1);
    // Every control path starts '/h', '/r', '/a', '/s' or '/b'; anything else is echoed unparsed.
    if (c !== 104 && c !== 114 && c !== 97 && c !== 115 && c !== 98) return reply(res, 200, JSON_TYPE, echoBody(req));
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    switch (path) {
      case '/healthz':
        if (req.method === 'GET' || req.method === 'HEAD') return reply(res, 200, TEXT_TYPE, 'ok');
        break;
      case '/readyz':
        if (req.method === 'GET' || req.method === 'HEAD') {
          return ready ? reply(res, 200, TEXT_TYPE, 'ok') : reply(res, 503, TEXT_TYPE, 'not ready');
        }
        break;
      case '/admin/ready': {
        if (req.method !== 'POST') return methodNotAllowed(res);
        const value = query.get('value');
        if (value !== 'true' && value !== 'false') {
          return reply(res, 400, TEXT_TYPE, `value: must be true or false, got ${JSON.stringify(value)}\n`);
        }
        ready = value === 'true';
        return reply(res, 200, TEXT_TYPE, `ready=${ready}\n`);
      }
      case '/admin/exit': {
        if (req.method !== 'POST') return methodNotAllowed(res);
        const raw = query.get('code') ?? '0';
        if (!/^\d{1,3}$/.test(raw) || Number(raw) > 255) {
          return reply(res, 400, TEXT_TYPE, `code: must be an integer 0-255, got ${JSON.stringify(raw)}\n`);
        }
        const code = Number(raw);
        const body = `exiting with code ${code}\n`;
        res.writeHead(200, ['connection', 'close', 'content-type', TEXT_TYPE, 'content-length', String(body.length)]);
        res.end(body, () => opts.onExit(code));
        return;
      }
      case '/bytes': {
        // Bulk transfer for throughput tests: n bytes (at most MAX_BYTES) of filler.
        if (req.method !== 'GET') break;
        const raw = query.get('n') ?? '';
        if (!/^\d+$/.test(raw) || Number(raw) > MAX_BYTES) {
          return reply(res, 400, TEXT_TYPE, `n: must be an integer 0-${MAX_BYTES}, got ${JSON.stringify(raw)}\n`);
        }
        let left = Number(raw);
        res.writeHead(200, ['content-type', 'application/octet-stream', 'content-length', String(left)]);
        const more = (): void => {
          while (left > 0) {
            const n = Math.min(left, FILLER.length);
            left -= n;
            if (!res.write(n === FILLER.length ? FILLER : FILLER.subarray(0, n))) {
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
        return;
      }
      case '/sleep': {
        if (req.method !== 'GET') break;
        const raw = query.get('ms') ?? '';
        if (!/^\d+$/.test(raw)) return reply(res, 400, TEXT_TYPE, `ms: must be a non-negative integer, got ${JSON.stringify(raw)}\n`);
        const body = echoBody(req);
        const timer = setTimeout(() => {
          sleepers.delete(timer);
          reply(res, 200, JSON_TYPE, body);
        }, Math.min(Number(raw), MAX_SLEEP_MS));
        sleepers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          sleepers.delete(timer);
        });
        return;
      }
    }
    reply(res, 200, JSON_TYPE, echoBody(req));
  };

  const server = createServer(handle);
  const address = await listenTcp(server, opts.host, opts.port);
  opts.log(`echo: listening on ${formatHostPort(address.address, address.port)} (${describeIdentity(identity)})`);

  return {
    address,
    get ready() {
      return ready;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        for (const t of sleepers) clearTimeout(t);
        sleepers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function methodNotAllowed(res: ServerResponse): void {
  const body = 'method not allowed: use POST\n';
  res.writeHead(405, ['allow', 'POST', 'content-type', TEXT_TYPE, 'content-length', String(body.length)]);
  res.end(body);
}
