import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  applyMergePatch,
  decodeObject,
  errors,
  isApiError,
  Reason,
  type ObjectMeta,
  type ResourceName,
} from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Registry } from '../storage/registry.js';
import type { CachedObject, CacheWatcher } from '../storage/watch-cache.js';
import { parseBody, readBody } from './body.js';
import { bodyFormat, negotiate, patchFormat, type PatchFormat, type Representation } from './content.js';
import { applyJsonPatch, parseJsonPatch } from './json-patch.js';
import { httpResource } from './kinds.js';
import { deleteParams, listParams, writeParams, type ListParams, type WriteParams } from './query.js';
import type { ResourceRoute } from './route.js';
import { requestedReplicas, toScale } from './scale.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { toTable } from './table.js';
import { pruneUnknownFields } from './unknown-fields.js';
import { WatchStream } from './watch-stream.js';

type Obj = { metadata?: ObjectMeta; spec?: Record<string, unknown> } & Record<string, unknown>;

/** A response the server writes: JSON bytes with a status code. */
export interface Reply {
  code: number;
  body: Buffer | string;
  /** application/json unless said otherwise. */
  contentType?: string;
}

export interface ResourceApiOptions {
  maxBodyBytes: number;
  now: () => number;
  /** Server-chosen watch duration when the client gives no timeoutSeconds. */
  watchTimeoutMs: () => number;
}

/** Writes retried on a conflict before the conflict is the answer (kube-apiserver's GuaranteedUpdate). */
const MAX_CONFLICT_RETRIES = 8;

const json = (code: number, value: unknown): Reply => ({ code, body: JSON.stringify(value) });

/**
 * The Kubernetes REST verbs over the registry, one method per verb and subresource.
 * Reads and writes go through the same Registry the gRPC API uses, so validation,
 * allocation, optimistic concurrency and watch events are shared. Every failure is an
 * ApiError; the server turns it into a Status response.
 */
export class ResourceApi {
  /** Watches that want bookmarks (the server's bookmark timer asks the caches). */
  readonly bookmarkWanted = new WeakSet<CacheWatcher>();
  readonly watches = new Set<WatchStream>();

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly o: ResourceApiOptions,
  ) {}

  /** Handles one request for a resource path; undefined when the response was streamed. */
  async handle(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams, warn: (w: string) => void): Promise<Reply | undefined> {
    const info = httpResource(route.resource);
    if (info.namespaced && route.name && !route.namespace) throw errors.notFound({ resource: route.resource, group: info.group, name: route.name });
    const method = req.method ?? 'GET';
    const isWatch = route.watchPath || (method === 'GET' && !route.name && listParams(query).watch);
    if (route.watchPath && !isWatch) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    if (isWatch) {
      if (route.name) query.set('fieldSelector', [query.get('fieldSelector'), `metadata.name=${route.name}`].filter(Boolean).join(','));
      const rep = negotiate(req.headers.accept, route.subresource === '');
      await this.watch(res, route, listParams(query), rep);
      return undefined;
    }
    switch (method) {
      case 'GET': {
        const rep = negotiate(req.headers.accept, route.subresource === '');
        if (!route.name) return this.list(route, listParams(query), rep);
        return this.get(route, rep, listParams(query));
      }
      case 'POST':
        if (route.name || (info.namespaced && !route.namespace)) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        negotiate(req.headers.accept, false);
        return this.create(route, await this.body(req), writeParams(query), warn);
      case 'PUT':
        if (!route.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        negotiate(req.headers.accept, false);
        return this.update(route, await this.body(req), writeParams(query), warn);
      case 'PATCH': {
        if (!route.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        negotiate(req.headers.accept, false);
        const fmt = patchFormat(req.headers['content-type']);
        const raw = await readBody(req, this.o.maxBodyBytes);
        return this.patch(route, fmt, parseBody(raw, 'json'), writeParams(query), warn);
      }
      case 'DELETE': {
        negotiate(req.headers.accept, false);
        const format = bodyFormat(req.headers['content-type']);
        const raw = await readBody(req, this.o.maxBodyBytes);
        const body = raw.length === 0 || (format !== 'protobuf' && raw.toString('utf8').trim() === '') ? undefined : parseBody(raw, format);
        if (!route.name) return this.deleteCollection(route, listParams(query), body, query);
        return this.delete(route, body, query);
      }
      default:
        throw errors.methodNotAllowed(`the server does not allow this method on the requested resource (${method})`);
    }
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    const format = bodyFormat(req.headers['content-type']);
    return parseBody(await readBody(req, this.o.maxBodyBytes), format);
  }

  // ---- reads ----

  private async list(route: ResourceRoute, lp: ListParams, rep: Representation): Promise<Reply> {
    const info = httpResource(route.resource);
    const res = await this.registry.list(route.resource, {
      namespace: route.namespace,
      labelSelector: lp.labelSelector,
      fieldSelector: lp.fieldSelector,
      limit: lp.limit,
      continue: lp.continue,
      resourceVersion: lp.resourceVersion,
    });
    const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(res.rv) };
    if (res.continue) {
      meta.continue = res.continue;
      meta.remainingItemCount = res.remaining;
    }
    if (rep.kind === 'table') {
      return json(200, toTable(route.resource, res.items.map((c) => c.obj), meta, { now: this.o.now(), includeObject: lp.includeObject, noHeaders: false, apiVersion: rep.apiVersion }));
    }
    const head = `{"kind":"${info.kind}List","apiVersion":"${info.apiVersion}","metadata":${JSON.stringify(meta)},"items":[`;
    const parts: Buffer[] = [Buffer.from(head)];
    res.items.forEach((c, i) => {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(c.bytes());
    });
    parts.push(Buffer.from(']}'));
    return { code: 200, body: Buffer.concat(parts) };
  }

  private async get(route: ResourceRoute, rep: Representation, lp: ListParams): Promise<Reply> {
    const cur = await this.registry.get(route.resource, route.namespace, route.name);
    if (route.subresource === 'scale') return json(200, toScale(cur.obj));
    if (rep.kind === 'table') {
      return json(200, toTable(route.resource, [cur.obj], { resourceVersion: String(cur.rv) }, { now: this.o.now(), includeObject: lp.includeObject, noHeaders: false, apiVersion: rep.apiVersion }));
    }
    return { code: 200, body: cur.bytes() };
  }

  private async watch(res: ServerResponse, route: ResourceRoute, lp: ListParams, rep: Representation): Promise<void> {
    const r = route.resource;
    const rv = lp.resourceVersion;
    if (rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion: ${rv}`);
    const filter = this.registry.filter(r, { namespace: route.namespace, labelSelector: lp.labelSelector, fieldSelector: lp.fieldSelector });
    const cache = this.registry.cache(r);
    let unregister: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined = undefined;
    const stream: WatchStream = new WatchStream(res, {
      info: httpResource(r),
      filter,
      representation: rep,
      includeObject: lp.includeObject,
      now: this.o.now,
      onClose: () => {
        unregister?.();
        clearTimeout(timer);
        this.watches.delete(stream);
      },
    });
    res.on('close', () => stream.close('client went away'));
    await cache.whenReady();
    if (stream.isClosed) return;
    stream.begin();
    this.watches.add(stream);
    if (lp.allowWatchBookmarks) this.bookmarkWanted.add(stream);
    timer = setTimeout(() => stream.close('timeout'), lp.timeoutSeconds !== undefined ? lp.timeoutSeconds * 1000 : this.o.watchTimeoutMs());
    timer.unref();
    try {
      unregister = cache.watch(stream, rv, lp.sendInitialEvents ?? false);
    } catch (err) {
      // As kube-apiserver reports a watch that cannot start (410 Expired): an ERROR event.
      stream.error(isApiError(err) ? err.status : errors.internal((err as Error).message).status);
      return;
    }
    if (stream.isClosed) unregister();
    else if (lp.sendInitialEvents && lp.allowWatchBookmarks) stream.initialEventsEnd(cache.rv);
  }

  // ---- writes ----

  /**
   * Drops or rejects fields kemu's schema lacks, per `?fieldValidation=`: Strict rejects
   * them (400, the strict decoder's message); Warn and Ignore drop them with a Warning
   * header each (kemu never drops a field without saying so).
   */
  private admit(r: ResourceName, raw: unknown, wp: WriteParams, warn: (w: string) => void): unknown {
    const { value, unknown } = pruneUnknownFields(r, raw);
    if (unknown.length === 0) return value;
    if (wp.fieldValidation === 'Strict') {
      decodeObject(r, value);
      const info = httpResource(r);
      throw errors.badRequest(
        `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
      );
    }
    for (const u of unknown) warn(`unknown field "${u}"`);
    return value;
  }

  private async create(route: ResourceRoute, raw: unknown, wp: WriteParams, warn: (w: string) => void): Promise<Reply> {
    if (route.subresource) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const obj = this.admit(route.resource, raw, wp, warn);
    const created = await this.registry.create(route.resource, route.namespace, obj, wp.dryRun);
    return { code: 201, body: created.bytes() };
  }

  private noDryRun(wp: { dryRun: boolean }): void {
    if (wp.dryRun) throw errors.badRequest('dryRun: kemu supports server-side dry run for create only');
  }

  private async update(route: ResourceRoute, raw: unknown, wp: WriteParams, warn: (w: string) => void): Promise<Reply> {
    this.noDryRun(wp);
    if (route.subresource === 'scale') return this.writeScale(route, raw);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      decodeObject(route.resource, raw);
    }
    const obj = raw as Obj;
    const bodyName = obj.metadata?.name;
    if (bodyName !== undefined && bodyName !== route.name) {
      throw errors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${route.name})`);
    }
    (obj.metadata ??= {}).name = route.name;
    const admitted = this.admit(route.resource, obj, wp, warn);
    const updated = await this.registry.update(route.resource, route.namespace, admitted, route.subresource === 'status' ? 'status' : 'main');
    return { code: 200, body: updated.bytes() };
  }

  private async patch(route: ResourceRoute, fmt: PatchFormat, patch: unknown, wp: WriteParams, warn: (w: string) => void): Promise<Reply> {
    this.noDryRun(wp);
    const info = httpResource(route.resource);
    const ops = fmt === 'json-patch' ? parseJsonPatch(patch) : undefined;
    if (fmt !== 'json-patch' && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
      throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
    }
    const apply = (cur: unknown, root: string | undefined): unknown => {
      switch (fmt) {
        case 'json-patch':
          return applyJsonPatch(cur, ops!);
        case 'merge-patch':
          return applyMergePatch(cur, patch);
        case 'strategic-merge-patch':
          return root === undefined ? applyMergePatch(cur, patch) : applyStrategicMergePatch(cur, patch, root);
      }
    };
    const explicitRv = JSON.stringify(patch).includes('"resourceVersion"');
    if (route.subresource === 'scale') {
      const cur = await this.registry.get(route.resource, route.namespace, route.name);
      return this.writeScale(route, apply(toScale(cur.obj), undefined));
    }
    const updated = await this.modify(route, route.subresource === 'status' ? 'status' : 'main', explicitRv, (cur) => apply(cur, info.schema), wp, warn);
    return { code: 200, body: updated.bytes() };
  }

  /**
   * Read-modify-write with optimistic concurrency: `change` gets the stored object; a
   * conflict (someone wrote in between) retries from a fresh read unless the client
   * named the resourceVersion it expects.
   */
  private async modify(
    route: ResourceRoute,
    sub: 'main' | 'status',
    explicitRv: boolean,
    change: (cur: Obj) => unknown,
    wp: WriteParams,
    warn: (w: string) => void,
  ): Promise<CachedObject> {
    const seen = new Set<string>();
    const once = (w: string): void => {
      if (!seen.has(w)) warn(w);
      seen.add(w);
    };
    for (let attempt = 0; ; attempt++) {
      const cur = await this.registry.get(route.resource, route.namespace, route.name);
      const next = change(structuredClone(cur.obj));
      if (typeof next !== 'object' || next === null || Array.isArray(next)) decodeObject(route.resource, next);
      const meta = ((next as Obj).metadata ??= {});
      if (meta.name !== route.name) {
        throw errors.badRequest(`the name of the object (${meta.name ?? ''}) does not match the name on the URL (${route.name})`);
      }
      meta.resourceVersion ??= String(cur.rv);
      try {
        return await this.registry.update(route.resource, route.namespace, this.admit(route.resource, next, wp, once), sub);
      } catch (err) {
        if (!explicitRv && isApiError(err, Reason.Conflict) && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  private async writeScale(route: ResourceRoute, body: unknown): Promise<Reply> {
    const want = requestedReplicas(body, route.name);
    const noWarnings = (): void => undefined;
    const updated = await this.modify(
      route,
      'main',
      want.resourceVersion !== '',
      (cur) => {
        if (want.resourceVersion) (cur.metadata ??= {}).resourceVersion = want.resourceVersion;
        (cur.spec ??= {})['replicas'] = want.replicas;
        return cur;
      },
      { dryRun: false, fieldValidation: 'Strict' },
      noWarnings,
    );
    return json(200, toScale(updated.obj));
  }

  // ---- deletes ----

  private async delete(route: ResourceRoute, body: unknown, query: URLSearchParams): Promise<Reply> {
    if (route.subresource) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const dp = deleteParams(query, body);
    this.noDryRun(dp);
    const r = route.resource;
    const opts = { gracePeriodSeconds: dp.gracePeriodSeconds, uid: dp.uid, resourceVersion: dp.resourceVersion };
    if (dp.propagationPolicy === 'Background') return this.deleted(r, await this.registry.delete(r, route.namespace, route.name, opts));
    const cur = await this.registry.get(r, route.namespace, route.name);
    const uid = cur.meta.uid ?? '';
    if (this.dependentsOf(uid).length === 0) return this.deleted(r, await this.registry.delete(r, route.namespace, route.name, opts));
    // Orphan and Foreground, as kube-apiserver and its garbage collector do them: the
    // owner is first marked deleted under a finalizer ("orphan" / "foregroundDeletion"),
    // so no controller adopts or recreates its dependents meanwhile; then the dependents
    // let go of it (Orphan) or are deleted (Foreground); then the finalizer goes, and the
    // owner with it. kemu's garbage collector knows neither finalizer, so this server
    // carries the steps out itself.
    const finalizer = dp.propagationPolicy === 'Orphan' ? 'orphan' : 'foregroundDeletion';
    const strict = { dryRun: false, fieldValidation: 'Strict' } as const;
    const quiet = (): void => undefined;
    await this.modify(route, 'main', opts.resourceVersion !== '', (o) => {
      if (opts.uid && o.metadata?.uid !== opts.uid) {
        throw errors.conflict({ resource: r, group: httpResource(r).group, name: route.name }, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${o.metadata?.uid ?? ''}`);
      }
      if (opts.resourceVersion) (o.metadata ??= {}).resourceVersion = opts.resourceVersion;
      const m = (o.metadata ??= {});
      if (!m.finalizers?.includes(finalizer)) m.finalizers = [...(m.finalizers ?? []), finalizer];
      return o;
    }, strict, quiet);
    await this.registry.delete(r, route.namespace, route.name, { gracePeriodSeconds: dp.gracePeriodSeconds, uid: '', resourceVersion: '' });
    if (dp.propagationPolicy === 'Orphan') await this.orphanDependents(uid);
    else await this.deleteDependents(uid);
    const last = await this.modify(route, 'main', false, (o) => {
      const m = (o.metadata ??= {});
      m.finalizers = (m.finalizers ?? []).filter((f) => f !== finalizer);
      if (m.finalizers.length === 0) delete m.finalizers;
      return o;
    }, strict, quiet);
    return this.deleted(r, last);
  }

  /** The object while it is still there (graceful or finalizers pending), else a Success Status. */
  private deleted(r: ResourceName, obj: CachedObject): Reply {
    const m = obj.meta;
    const pending = (m.finalizers?.length ?? 0) > 0 || (r === 'pods' && (m.deletionGracePeriodSeconds ?? 0) > 0);
    if (pending) return { code: 200, body: obj.bytes() };
    const info = httpResource(r);
    const details: Record<string, string> = { name: m.name ?? '', kind: r, uid: m.uid ?? '' };
    if (info.group) details['group'] = info.group;
    return json(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
  }

  private async deleteCollection(route: ResourceRoute, lp: ListParams, body: unknown, query: URLSearchParams): Promise<Reply> {
    if (route.subresource) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const dp = deleteParams(query, body);
    this.noDryRun(dp);
    const info = httpResource(route.resource);
    const list = await this.registry.list(route.resource, {
      namespace: route.namespace,
      labelSelector: lp.labelSelector,
      fieldSelector: lp.fieldSelector,
      limit: 0,
      continue: '',
      resourceVersion: '',
    });
    const items: Buffer[] = [];
    for (const c of list.items) {
      try {
        const gone = await this.registry.delete(route.resource, c.meta.namespace ?? '', c.meta.name ?? '', {
          gracePeriodSeconds: dp.gracePeriodSeconds,
          uid: '',
          resourceVersion: '',
        });
        items.push(gone.bytes());
      } catch (err) {
        if (!isApiError(err, Reason.NotFound)) throw err;
      }
    }
    const head = `{"kind":"${info.kind}List","apiVersion":"${info.apiVersion}","metadata":{"resourceVersion":"${list.rv}"},"items":[`;
    return { code: 200, body: Buffer.concat([Buffer.from(head), ...items.flatMap((b, i) => (i ? [Buffer.from(','), b] : [b])), Buffer.from(']}')]) };
  }

  /** Every cached object that names `uid` among its ownerReferences. */
  private dependentsOf(uid: string): { r: ResourceName; namespace: string; name: string }[] {
    const out: { r: ResourceName; namespace: string; name: string }[] = [];
    if (!uid) return out;
    for (const [r, cache] of this.registry.caches) {
      for (const c of cache.all()) {
        if (c.meta.ownerReferences?.some((o) => o.uid === uid)) out.push({ r, namespace: c.meta.namespace ?? '', name: c.meta.name ?? '' });
      }
    }
    return out;
  }

  /** propagationPolicy=Orphan: dependents lose their reference to the owner first. */
  private async orphanDependents(uid: string): Promise<void> {
    for (const d of this.dependentsOf(uid)) {
      const route: ResourceRoute = { kind: 'resource', resource: d.r, namespace: d.namespace, name: d.name, subresource: '', watchPath: false };
      try {
        await this.modify(
          route,
          'main',
          false,
          (cur) => {
            const m = (cur.metadata ??= {});
            m.ownerReferences = (m.ownerReferences ?? []).filter((o) => o.uid !== uid);
            if (m.ownerReferences.length === 0) delete m.ownerReferences;
            return cur;
          },
          { dryRun: false, fieldValidation: 'Strict' },
          () => undefined,
        );
      } catch (err) {
        if (!isApiError(err, Reason.NotFound)) throw err;
      }
    }
  }

  /**
   * propagationPolicy=Foreground: the dependents are deleted (each with background
   * propagation, so the garbage collector takes theirs) before the owner goes.
   */
  private async deleteDependents(uid: string): Promise<void> {
    for (const d of this.dependentsOf(uid)) {
      try {
        await this.registry.delete(d.r, d.namespace, d.name, { gracePeriodSeconds: -1, uid: '', resourceVersion: '' });
      } catch (err) {
        if (!isApiError(err, Reason.NotFound)) throw err;
      }
    }
    this.log.debug({ uid }, 'foreground deletion: dependents deleted first');
  }
}
