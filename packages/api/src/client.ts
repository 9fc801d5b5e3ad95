import { connectivityState, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ApiError, apiError, errors, Reason } from './errors.js';
import {
  ApiClient as GrpcApiClient,
  type ObjectResponse,
  type ResourceRef,
  type WatchEvent as PbWatchEvent,
} from './gen/kemu/apiserver/apiserver.js';
import type { Status } from './gen/kemu/api/meta.js';
import { resourceInfo, type ResourceName, type ResourceTypes } from './resources.js';

/** The trailer that carries a failed call's Kubernetes Status object as JSON. */
export const STATUS_TRAILER = 'kemu-status-bin';

export interface ClientOptions {
  /** apiserver gRPC addresses, host:port; calls fail over between them. */
  endpoints: readonly string[];
  /** Bearer token (every component has its own, see the apiserver's token file). */
  token: string;
  /** Per-call deadline for unary calls. */
  timeoutMs?: number;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue: string;
  remainingItemCount: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  uid?: string;
  resourceVersion?: string;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export type WatchEvent<T> = { type: WatchEventType; object: T } | { type: 'ERROR'; status: Status };

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface WatchHandle {
  close(): void;
  /** Settles when the stream ends: resolves on a clean end or close(), rejects with the error. */
  readonly done: Promise<void>;
}

const RETRYABLE = new Set<number>([GrpcStatus.UNAVAILABLE]);
/**
 * Errors after which the next call goes to another endpoint: the apiserver is unreachable,
 * or a call waited its whole deadline (for a connection to a host that vanished, whose
 * connect attempts get no answer at all, grpc-js keeps the call waiting for one).
 */
const MOVE_ON = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]);

/**
 * A typed client for the apiserver's gRPC API. Objects are plain Kubernetes-shaped
 * objects (see @kemu/api's types); failures are ApiErrors carrying the server's Status.
 * Unary calls fail over to the next endpoint when one is unreachable.
 */
export class KubeClient {
  private readonly clients: GrpcApiClient[];
  private current = 0;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions) {
    if (options.endpoints.length === 0) throw new Error('KubeClient: no apiserver endpoints');
    this.clients = options.endpoints.map(
      (e) =>
        new GrpcApiClient(e, credentials.createInsecure(), {
          'grpc.keepalive_time_ms': 10_000,
          'grpc.keepalive_timeout_ms': 5_000,
          'grpc.max_receive_message_length': 256 * 1024 * 1024,
          'grpc.max_send_message_length': 64 * 1024 * 1024,
          'grpc.initial_reconnect_backoff_ms': 100,
          'grpc.max_reconnect_backoff_ms': 1_000,
        }),
    );
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  /** The apiserver endpoint the next call goes to. */
  endpoint(): string {
    return this.options.endpoints[this.pick()]!;
  }

  /**
   * The index of the endpoint for the next call: the current one, unless its connection
   * is failing or still being made while another endpoint's is up.
   */
  private pick(): number {
    const n = this.clients.length;
    const cur = this.current % n;
    const state = this.clients[cur]!.getChannel().getConnectivityState(false);
    if (state === connectivityState.READY || state === connectivityState.IDLE) return cur;
    for (let k = 1; k < n; k++) {
      const i = (cur + k) % n;
      if (this.clients[i]!.getChannel().getConnectivityState(true) === connectivityState.READY) return (this.current = i);
    }
    return cur;
  }

  /**
   * Endpoint `i` failed: later calls go to the next one. Only if `i` is still the current
   * endpoint: several calls failing on one endpoint at once (every watch on an apiserver
   * that died) move on once, not once each, which could lead straight back to it.
   */
  private failedOver(i: number): void {
    if (this.current % this.clients.length === i) this.current = i + 1;
  }

  async get<R extends ResourceName>(resource: R, namespace: string, name: string): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, opts, cb) =>
      c.get({ ref: ref(resource, namespace), name }, md, opts, cb),
    );
    return parse(res.object);
  }

  async list<R extends ResourceName>(resource: R, opts: ListOptions = {}): Promise<ListResult<ResourceTypes[R]>> {
    const res = await this.unary<{ items: Buffer[]; resourceVersion: string; continue: string; remainingItemCount: number }>(
      (c, md, o, cb) =>
        c.list(
          {
            ref: ref(resource, opts.namespace ?? ''),
            labelSelector: opts.labelSelector ?? '',
            fieldSelector: opts.fieldSelector ?? '',
            limit: opts.limit ?? 0,
            continue: opts.continue ?? '',
            resourceVersion: opts.resourceVersion ?? '',
          },
          md,
          o,
          cb,
        ),
    );
    return {
      items: res.items.map((b) => parse<ResourceTypes[R]>(b)),
      resourceVersion: res.resourceVersion,
      continue: res.continue,
      remainingItemCount: res.remainingItemCount,
    };
  }

  async create<R extends ResourceName>(resource: R, obj: ResourceTypes[R], dryRun = false): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, o, cb) =>
      c.create({ ref: ref(resource, obj.metadata?.namespace ?? ''), object: encode(obj), dryRun }, md, o, cb),
    );
    return parse(res.object);
  }

  async update<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, o, cb) =>
      c.update({ ref: ref(resource, obj.metadata?.namespace ?? ''), object: encode(obj), dryRun: false }, md, o, cb),
    );
    return parse(res.object);
  }

  async updateStatus<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, o, cb) =>
      c.updateStatus({ ref: ref(resource, obj.metadata?.namespace ?? ''), object: encode(obj), dryRun: false }, md, o, cb),
    );
    return parse(res.object);
  }

  /** JSON merge patch (RFC 7386) of the object, or of its status with `status: true`. */
  async patch<R extends ResourceName>(
    resource: R,
    namespace: string,
    name: string,
    patch: unknown,
    opts: { status?: boolean } = {},
  ): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, o, cb) =>
      c.patch(
        {
          ref: ref(resource, namespace),
          name,
          patchType: 'merge',
          patch: Buffer.from(JSON.stringify(patch)),
          status: opts.status ?? false,
        },
        md,
        o,
        cb,
      ),
    );
    return parse(res.object);
  }

  /** Deletes (or, for a graceful pod delete or pending finalizers, marks for deletion). */
  async delete<R extends ResourceName>(
    resource: R,
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<ResourceTypes[R]> {
    const res = await this.unary<ObjectResponse>((c, md, o, cb) =>
      c.delete(
        {
          ref: ref(resource, namespace),
          name,
          gracePeriodSeconds: opts.gracePeriodSeconds ?? -1,
          uid: opts.uid ?? '',
          resourceVersion: opts.resourceVersion ?? '',
          propagationPolicy: opts.propagationPolicy ?? '',
        },
        md,
        o,
        cb,
      ),
    );
    return parse(res.object);
  }

  /** Opens a watch; events arrive in order on `onEvent`. */
  watch<R extends ResourceName>(
    resource: R,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<ResourceTypes[R]>) => void,
  ): WatchHandle {
    const index = this.pick();
    const stream = this.clients[index]!.watch(
      {
        ref: ref(resource, opts.namespace ?? ''),
        labelSelector: opts.labelSelector ?? '',
        fieldSelector: opts.fieldSelector ?? '',
        resourceVersion: opts.resourceVersion ?? '',
        allowWatchBookmarks: opts.allowWatchBookmarks ?? false,
        sendInitialEvents: opts.sendInitialEvents ?? false,
      },
      this.metadata(),
    );
    let closed = false;
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (e: PbWatchEvent) => {
        if (closed) return;
        if (e.type === 'ERROR') onEvent({ type: 'ERROR', status: parse<Status>(e.object) });
        else onEvent({ type: e.type as WatchEventType, object: parse<ResourceTypes[R]>(e.object) });
      });
      stream.on('error', (err: ServiceError) => {
        if (closed || err.code === GrpcStatus.CANCELLED) return resolve();
        if (MOVE_ON.has(err.code)) this.failedOver(index);
        reject(toApiError(err));
      });
      stream.on('end', () => resolve());
    });
    done.catch(() => undefined);
    return {
      close: () => {
        closed = true;
        stream.cancel();
      },
      done,
    };
  }

  private metadata(): Metadata {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.options.token}`);
    return md;
  }

  private async unary<Res>(
    call: (
      c: GrpcApiClient,
      md: Metadata,
      opts: { deadline: number },
      cb: (err: ServiceError | null, res: Res) => void,
    ) => void,
  ): Promise<Res> {
    let lastErr: ServiceError | undefined;
    for (let attempt = 0; attempt < this.clients.length * 2; attempt++) {
      const index = this.pick();
      try {
        return await new Promise<Res>((resolve, reject) =>
          call(this.clients[index]!, this.metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) =>
            err ? reject(err) : resolve(res),
          ),
        );
      } catch (err) {
        const e = err as ServiceError;
        if (MOVE_ON.has(e.code)) this.failedOver(index);
        if (!RETRYABLE.has(e.code)) throw toApiError(e);
        lastErr = e;
        if (attempt >= this.clients.length - 1) await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw toApiError(lastErr!);
  }
}

function ref(resource: ResourceName, namespace: string): ResourceRef {
  return { resource, namespace: resourceInfo(resource).namespaced ? namespace : '' };
}

function encode(obj: unknown): Buffer {
  return Buffer.from(JSON.stringify(obj));
}

function parse<T>(b: Buffer | Uint8Array): T {
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as T;
}

/** Turns a gRPC error into the ApiError the server meant (its Status trailer), or a 503. */
export function toApiError(err: ServiceError): ApiError {
  const raw = err.metadata?.get(STATUS_TRAILER)[0];
  if (raw !== undefined) {
    try {
      return new ApiError(JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw) as Status, { cause: err });
    } catch {
      // fall through: an unreadable trailer is reported as the transport error it came with
    }
  }
  if (err.code === GrpcStatus.UNAUTHENTICATED) return errors.unauthorized();
  if (err.code === GrpcStatus.DEADLINE_EXCEEDED) return apiError(Reason.Timeout, `apiserver: ${err.details}`, undefined, undefined, err);
  return errors.unavailable(`apiserver unavailable: ${err.details || err.message}`, err);
}
