import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { apiError, errors, isApiError, Reason, type ApiError } from '@kemu/api';
import { assertNever, type Logger } from '@kemu/common';
import { Counter, Histogram, type Registry as Metrics } from 'prom-client';
import { requestDuration } from '../request-duration.js';
import type { TokenAuthenticator } from '../auth.js';
import type { Registry } from '../storage/registry.js';
import { negotiate } from './content.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { gvString, type GroupVersion } from './kinds.js';
import { openApiV2, openApiV3, openApiV3Index, type JsonSchema } from './openapi.js';
import { encodeOpenApiV2 } from './openapi-proto.js';
import { ResourceApi, type Reply } from './resource-api.js';
import { parsePath, type Route } from './route.js';
import { warningHeader } from './unknown-fields.js';

export interface KubeHttpServerOptions {
  host: string;
  port: number;
  /** PEM certificate and key the HTTPS listener presents. */
  certPem: string;
  keyPem: string;
  maxBodyBytes: number;
  bookmarkIntervalMs: number;
  /** /readyz: undefined when ready, else why not. */
  notReady: () => string | undefined;
  now?: () => number;
  /** Server-chosen watch lifetime (kube-apiserver: 30 to 60 minutes). */
  watchTimeoutMs?: () => number;
}

/**
 * The media type of the protobuf v2 document. Clients ask for `...spec.v2@v1.0+protobuf`;
 * kube-apiserver answers with the dotted form, which Go's mime parser accepts ('@' is not
 * a token character).
 */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * The Kubernetes HTTP API (JSON over HTTPS) on the apiserver, next to the gRPC API:
 * discovery, OpenAPI, and the resource verbs, so kubectl and Kubernetes client
 * libraries work against kemu unchanged. Authentication is the same bearer-token file
 * as gRPC; /version and the health endpoints answer without one, as in Kubernetes.
 * This is the one place where ApiErrors become HTTP Status responses.
 */
export class KubeHttpServer {
  private server: Server | undefined;
  private readonly api: ResourceApi;
  private readonly requests: Histogram<'verb' | 'resource' | 'code'>;
  private readonly watchEvents: Counter;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private openapi: { v2json?: Buffer; v2proto?: Buffer; v3: Map<string, { body: Buffer; hash: string }> } = { v3: new Map() };

  constructor(
    private readonly registry: Registry,
    private readonly auth: TokenAuthenticator,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly o: KubeHttpServerOptions,
  ) {
    const now = o.now ?? Date.now;
    this.api = new ResourceApi(registry, log, {
      maxBodyBytes: o.maxBodyBytes,
      now,
      watchTimeoutMs: o.watchTimeoutMs ?? ((): number => (30 + Math.random() * 30) * 60_000),
    });
    this.requests = requestDuration(metrics);
    this.watchEvents = new Counter({ name: 'apiserver_http_watches_total', help: 'Watches started over the Kubernetes HTTP API.', registers: [metrics] });
  }

  async start(): Promise<void> {
    const server = createServer({ cert: this.o.certPem, key: this.o.keyPem }, (req, res) => this.serve(req, res));
    server.on('clientError', (_err, socket) => socket.destroy());
    // Idle keep-alive connections stay open longer than Go's transport keeps them (90 s), so a
    // client never reuses a connection the server is closing (Node's default is 5 s).
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 130_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.bookmarkTimer = setInterval(() => {
      for (const cache of this.registry.caches.values()) cache.bookmark((w) => this.api.bookmarkWanted.has(w));
    }, this.o.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  address(): AddressInfo {
    return this.server!.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    for (const w of [...this.api.watches]) w.close('server shutting down');
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2_000).unref();
    });
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const url = new URL(req.url ?? '/', 'https://kemu');
    const route = parsePath(url.pathname);
    const verb = (req.method ?? 'GET').toLowerCase();
    const resource = route.kind === 'resource' ? route.resource : route.kind;
    const warnings: string[] = [];
    const finish = (code: number): void => {
      this.requests.labels(verb, resource, String(code)).observe((performance.now() - start) / 1000);
    };
    this.dispatch(req, res, route, url.searchParams, (w) => warnings.push(w)).then(
      (reply) => {
        if (reply === undefined) {
          this.watchEvents.inc();
          finish(200);
          return;
        }
        this.write(res, reply.code, reply.body, warnings, reply.contentType);
        finish(reply.code);
      },
      (err: unknown) => {
        const e = this.toApiError(err);
        if (res.headersSent) {
          res.destroy();
        } else {
          this.write(res, e.code, JSON.stringify(e.status), warnings);
        }
        finish(e.code);
      },
    );
  }

  private write(res: ServerResponse, code: number, body: Buffer | string, warnings: readonly string[], contentType = 'application/json'): void {
    const headers: Record<string, string | string[]> = { 'content-type': contentType, 'cache-control': 'no-cache, private' };
    if (warnings.length) headers['warning'] = warnings.map(warningHeader);
    res.writeHead(code, headers);
    res.end(body);
  }

  private toApiError(err: unknown): ApiError {
    if (isApiError(err)) return err;
    this.log.error({ err }, 'internal error in the HTTP API');
    return errors.internal((err as Error)?.message ?? String(err), err);
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: URLSearchParams,
    warn: (w: string) => void,
  ): Promise<Reply | undefined> {
    const method = req.method ?? 'GET';
    if (route.kind === 'version' || route.kind === 'health') {
      if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      if (route.kind === 'version') return { code: 200, body: JSON.stringify(versionInfo(process.versions.node, `${process.platform}/${goArch()}`)) };
      const why = route.check === 'readyz' ? this.o.notReady() : undefined;
      return why ? { code: 500, body: `[-]storage failed: ${why}\n`, contentType: 'text/plain; charset=utf-8' } : { code: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' };
    }
    if (!this.auth.authenticate(req.headers.authorization)) throw errors.unauthorized();
    if (route.kind === 'resource') return this.api.handle(req, res, route, query, warn);
    if (method !== 'GET') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    switch (route.kind) {
      case 'core-versions':
        return { code: 200, body: JSON.stringify(coreVersions(`${this.o.host}:${this.address().port}`)) };
      case 'group-list':
        return { code: 200, body: JSON.stringify(groupList()) };
      case 'group':
        return { code: 200, body: JSON.stringify(apiGroup(route.group)) };
      case 'resource-list':
        return { code: 200, body: JSON.stringify(resourceList(route.gv)) };
      case 'openapi-v2':
        return this.openApiV2(req.headers.accept);
      case 'openapi-v3-root':
        return { code: 200, body: JSON.stringify(openApiV3Index((gv) => this.v3(gv).hash)) };
      case 'openapi-v3':
        negotiate(req.headers.accept, false);
        return { code: 200, body: this.v3(route.gv).body };
      case 'not-found':
        throw apiError(Reason.NotFound, 'the server could not find the requested resource');
      default:
        return assertNever(route);
    }
  }

  private openApiV2(accept: string | undefined): Reply {
    const a = accept ?? '';
    if (a.includes('protobuf') && !a.includes('application/json')) {
      this.openapi.v2proto ??= Buffer.from(encodeOpenApiV2(openApiV2()));
      return { code: 200, body: this.openapi.v2proto, contentType: OPENAPI_V2_PROTOBUF };
    }
    negotiate(accept, false);
    this.openapi.v2json ??= Buffer.from(JSON.stringify(openApiV2()));
    return { code: 200, body: this.openapi.v2json, contentType: 'application/json' };
  }

  private v3(gv: GroupVersion): { body: Buffer; hash: string } {
    const key = gvString(gv);
    let doc = this.openapi.v3.get(key);
    if (!doc) {
      const body = Buffer.from(JSON.stringify(openApiV3(gv) satisfies JsonSchema));
      doc = { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() };
      this.openapi.v3.set(key, doc);
    }
    return doc;
  }
}

/** Go's GOARCH for Node's process.arch (kubectl prints the server platform). */
function goArch(): string {
  const a = process.arch;
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}
