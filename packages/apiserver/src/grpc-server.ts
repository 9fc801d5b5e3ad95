import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedHandleCall,
} from '@grpc/grpc-js';
import { apiError, apiserverpb, errors, Reason, isApiError, isResourceName, STATUS_TRAILER, type ApiError, type ResourceName } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { Counter, Gauge, Histogram, type Registry as Metrics } from 'prom-client';
import { requestDuration } from './request-duration.js';
import type { TokenAuthenticator, User } from './auth.js';
import type { Registry } from './storage/registry.js';
import type { CacheWatcher } from './storage/watch-cache.js';

type ApiServer = apiserverpb.ApiServer;

const GRPC_CODE: Record<number, GrpcStatus> = {
  400: GrpcStatus.INVALID_ARGUMENT,
  401: GrpcStatus.UNAUTHENTICATED,
  403: GrpcStatus.PERMISSION_DENIED,
  404: GrpcStatus.NOT_FOUND,
  405: GrpcStatus.UNIMPLEMENTED,
  409: GrpcStatus.ABORTED,
  410: GrpcStatus.OUT_OF_RANGE,
  415: GrpcStatus.INVALID_ARGUMENT,
  422: GrpcStatus.INVALID_ARGUMENT,
  500: GrpcStatus.INTERNAL,
  503: GrpcStatus.UNAVAILABLE,
  504: GrpcStatus.DEADLINE_EXCEEDED,
};

/** Buffered events after which a watcher that is not reading is dropped (it will rewatch). */
const MAX_WATCH_BACKLOG = 50_000;

/**
 * The apiserver's gRPC API (kemu.apiserver.v1.Api). The one boundary where requests
 * meet the registry: authentication first, then the verb; every failure leaves as a gRPC
 * status with the Kubernetes Status object in the `kemu-status-bin` trailer.
 */
export class ApiGrpcService {
  private readonly requests: Histogram<'verb' | 'resource' | 'code'>;
  private readonly watchers: Gauge<'resource'>;
  private readonly watchEvents: Counter<'resource'>;
  private readonly bookmarkWanted = new WeakSet<CacheWatcher>();
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly auth: TokenAuthenticator,
    private readonly log: Logger,
    metrics: Metrics,
    bookmarkIntervalMs: number,
  ) {
    this.requests = requestDuration(metrics);
    this.watchers = new Gauge({ name: 'apiserver_registered_watchers', help: 'Open watches per resource.', labelNames: ['resource'], registers: [metrics] });
    this.watchEvents = new Counter({ name: 'apiserver_watch_events_total', help: 'Watch events sent per resource.', labelNames: ['resource'], registers: [metrics] });
    this.bookmarkTimer = setInterval(() => {
      for (const cache of this.registry.caches.values()) cache.bookmark((w) => this.bookmarkWanted.has(w));
    }, bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  stop(): void {
    clearInterval(this.bookmarkTimer);
  }

  implementation(): ApiServer & Record<string, UntypedHandleCall> {
    return {
      get: this.unary('get', async (req: apiserverpb.GetRequest) => {
        const r = resource(req.ref?.resource);
        return { object: (await this.registry.get(r, req.ref?.namespace ?? '', req.name)).bytes(), warnings: [] };
      }),
      list: this.unary('list', async (req: apiserverpb.ListRequest) => {
        const r = resource(req.ref?.resource);
        const res = await this.registry.list(r, {
          namespace: req.ref?.namespace ?? '',
          labelSelector: req.labelSelector,
          fieldSelector: req.fieldSelector,
          limit: req.limit,
          continue: req.continue,
          resourceVersion: req.resourceVersion,
        });
        return {
          resourceVersion: String(res.rv),
          continue: res.continue,
          remainingItemCount: res.remaining,
          items: res.items.map((c) => c.bytes()),
        };
      }),
      create: this.unary('create', async (req: apiserverpb.ObjectRequest) => {
        const r = resource(req.ref?.resource);
        const obj = await this.registry.create(r, req.ref?.namespace ?? '', parseBody(req.object), req.dryRun);
        return { object: obj.bytes(), warnings: [] };
      }),
      update: this.unary('update', async (req: apiserverpb.ObjectRequest) => {
        const r = resource(req.ref?.resource);
        return { object: (await this.registry.update(r, req.ref?.namespace ?? '', parseBody(req.object), 'main')).bytes(), warnings: [] };
      }),
      updateStatus: this.unary('update', async (req: apiserverpb.ObjectRequest) => {
        const r = resource(req.ref?.resource);
        return { object: (await this.registry.update(r, req.ref?.namespace ?? '', parseBody(req.object), 'status')).bytes(), warnings: [] };
      }),
      patch: this.unary('patch', async (req: apiserverpb.PatchRequest) => {
        const r = resource(req.ref?.resource);
        if (req.patchType !== 'merge' && req.patchType !== '') {
          throw errors.badRequest(`the patch type ${JSON.stringify(req.patchType)} is not supported (kemu supports "merge")`);
        }
        const obj = await this.registry.patch(r, req.ref?.namespace ?? '', req.name, parseBody(req.patch), req.status ? 'status' : 'main');
        return { object: obj.bytes(), warnings: [] };
      }),
      delete: this.unary('delete', async (req: apiserverpb.DeleteRequest) => {
        const r = resource(req.ref?.resource);
        const obj = await this.registry.delete(r, req.ref?.namespace ?? '', req.name, {
          gracePeriodSeconds: req.gracePeriodSeconds,
          uid: req.uid,
          resourceVersion: req.resourceVersion,
        });
        return { object: obj.bytes(), warnings: [] };
      }),
      watch: (call: ServerWritableStream<apiserverpb.WatchRequest, apiserverpb.WatchEvent>) => this.watch(call),
    };
  }

  private authenticate(md: Metadata): User {
    const user = this.auth.authenticate(md.get('authorization')[0]?.toString());
    if (!user) throw errors.unauthorized();
    return user;
  }

  private unary<Req, Res>(verb: string, fn: (req: Req, user: User) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const start = performance.now();
      const resourceName = (call.request as { ref?: { resource?: string } }).ref?.resource ?? '';
      const run = async (): Promise<Res> => fn(call.request, this.authenticate(call.metadata));
      run().then(
        (res) => {
          this.requests.labels(verb, resourceName, '200').observe((performance.now() - start) / 1000);
          callback(null, res);
        },
        (err: unknown) => {
          const e = toApiError(err, this.log);
          this.requests.labels(verb, resourceName, String(e.code)).observe((performance.now() - start) / 1000);
          callback(toServiceError(e));
        },
      );
    };
  }

  private watch(call: ServerWritableStream<apiserverpb.WatchRequest, apiserverpb.WatchEvent>): void {
    let unregister: (() => void) | undefined;
    let r: ResourceName;
    const fail = (err: unknown): void => {
      const e = toApiError(err, this.log);
      if (e.code === 401 || e.code === 404 || e.code === 400) {
        call.emit('error', toServiceError(e));
        return;
      }
      // Kubernetes reports a watch that cannot start (e.g. 410 Expired) as an ERROR event.
      call.write({ type: 'ERROR', object: Buffer.from(JSON.stringify(e.status)) });
      call.end();
    };
    try {
      this.authenticate(call.metadata);
      r = resource(call.request.ref?.resource);
    } catch (err) {
      return fail(err);
    }
    const req = call.request;
    const cache = this.registry.cache(r);
    let closed = false;
    const watcher: CacheWatcher = {
      filter: this.registry.filter(r, {
        namespace: req.ref?.namespace ?? '',
        labelSelector: req.labelSelector,
        fieldSelector: req.fieldSelector,
      }),
      send: (type, obj) => {
        if (closed) return true;
        const object =
          typeof obj === 'number'
            ? Buffer.from(JSON.stringify({ kind: cache.info.kind, apiVersion: cache.info.apiVersion, metadata: { resourceVersion: String(obj) } }))
            : (obj).bytes();
        call.write({ type, object });
        this.watchEvents.labels(r).inc();
        return call.writableLength < MAX_WATCH_BACKLOG;
      },
      close: (reason) => {
        if (closed) return;
        closed = true;
        this.log.info({ resource: r, reason }, 'closing watch');
        unregister?.();
        this.watchers.labels(r).dec();
        call.end();
      },
    };
    if (req.allowWatchBookmarks) this.bookmarkWanted.add(watcher);
    call.on('cancelled', () => watcher.close('client cancelled'));
    call.on('error', () => watcher.close('stream error'));
    cache.whenReady().then(
      () => {
        if (call.cancelled) return;
        try {
          unregister = cache.watch(watcher, req.resourceVersion, req.sendInitialEvents);
          this.watchers.labels(r).inc();
        } catch (err) {
          closed = true;
          fail(err);
        }
      },
      (err: unknown) => fail(err),
    );
  }
}

function resource(name: string | undefined): ResourceName {
  if (name && isResourceName(name)) return name;
  throw apiError(Reason.NotFound, `the server could not find the requested resource (${JSON.stringify(name ?? '')})`);
}

function parseBody(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch (err) {
    throw errors.badRequest(`json: invalid request body: ${(err as Error).message}`);
  }
}

function toApiError(err: unknown, log: Logger): ApiError {
  if (isApiError(err)) return err;
  log.error({ err }, 'internal error');
  return errors.internal((err as Error)?.message ?? String(err), err);
}

function toServiceError(e: ApiError): { code: GrpcStatus; details: string; metadata: Metadata } {
  const md = new Metadata();
  md.set(STATUS_TRAILER, Buffer.from(JSON.stringify(e.status)));
  return { code: GRPC_CODE[e.code] ?? GrpcStatus.UNKNOWN, details: e.message, metadata: md };
}
