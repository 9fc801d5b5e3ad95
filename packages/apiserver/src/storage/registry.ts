import { randomUUID } from 'node:crypto';
import {
  applyMergePatch,
  decodeObject,
  errors,
  fieldErrors,
  invalidError,
  isApiError,
  parseFieldSelector,
  parseSelector,
  resourceInfo,
  RESOURCES,
  type ApiError,
  type ObjectMeta,
  type Pod,
  type ResourceInfo,
  type ResourceName,
  type Service,
} from '@kemu/api';
import type { Logger } from '@kemu/common';
import { planServiceAllocation, releaseServiceAllocation, nodePortsOf } from '../allocators/service-allocator.js';
import type { IPRange, PortRange } from '../allocators/ranges.js';
import { EtcdError, type Cmp, type EtcdClient, type KeyValue, type Op } from '../etcd/etcd-client.js';
import { txnOnce } from '../etcd/txn-once.js';
import type { EtcdWatchMux } from '../etcd/watch-mux.js';
import {
  applyDefaults,
  prepareForCreate,
  prepareForStatusUpdate,
  prepareForUpdate,
  validateCreate,
  validateStatusUpdate,
  validateUpdate,
  type ValidationOptions,
} from '../validation/index.js';
import { CachedObject, matches, SUPPORTED_FIELDS, WatchCache, type Filter } from './watch-cache.js';

type Obj = { metadata?: ObjectMeta; spec?: unknown; status?: unknown } & Record<string, unknown>;

export interface RegistryOptions {
  serviceCIDR: IPRange;
  nodePorts: PortRange;
  random?: () => number;
  now?: () => number;
}

export interface ListQuery {
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continue: string;
  resourceVersion: string;
}

export interface DeleteQuery {
  gracePeriodSeconds: number;
  uid: string;
  resourceVersion: string;
}

const MAX_RETRIES = 8;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Storage for every resource, as kube-apiserver's generic registry does it: objects are
 * JSON at `<prefix>/<namespace>/<name>`; create is a Txn on mod_revision == 0; update and
 * delete are Txns on the mod_revision read; resourceVersion is the mod_revision. A
 * Service's ClusterIP and node ports are claimed in the same Txn as the Service, so a
 * failed write leaves nothing behind. Plain lists and watches come from the watch caches.
 */
export class Registry {
  readonly caches = new Map<ResourceName, WatchCache>();
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly etcd: EtcdClient,
    mux: EtcdWatchMux,
    private readonly log: Logger,
    private readonly opts: RegistryOptions,
  ) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    for (const r of Object.keys(RESOURCES) as ResourceName[]) {
      this.caches.set(r, new WatchCache(resourceInfo(r), etcd, mux, log, (kv) => decodeStored(kv)));
    }
    this.trackAllocations();
  }

  async start(): Promise<void> {
    await Promise.all([...this.caches.values()].map((c) => c.start()));
  }

  cache(r: ResourceName): WatchCache {
    return this.caches.get(r)!;
  }

  key(info: ResourceInfo, namespace: string, name: string): string {
    return info.namespaced ? `${info.etcdPrefix}/${namespace}/${name}` : `${info.etcdPrefix}/${name}`;
  }

  async get(r: ResourceName, namespace: string, name: string): Promise<CachedObject> {
    const info = resourceInfo(r);
    const { kv } = await this.etcdCall(() => this.etcd.get(this.key(info, namespace, name)));
    if (!kv) throw errors.notFound({ resource: r, group: info.group, name });
    return decodeStored(kv);
  }

  /**
   * The object to base a write on. Like kube-apiserver's GuaranteedUpdate, the first try
   * uses the watch cache's copy (saving an etcd read per write); the Txn's mod_revision
   * compare catches a stale copy, and every retry reads etcd. A client that named a
   * resourceVersion the cache has not reached yet also gets an etcd read.
   */
  private async current(r: ResourceName, namespace: string, name: string, attempt: number, wantRv: string): Promise<CachedObject> {
    if (attempt === 0) {
      const cached = this.cache(r).getByKey(this.key(resourceInfo(r), namespace, name));
      if (cached && (!wantRv || wantRv === String(cached.rv))) return cached;
    }
    return this.get(r, namespace, name);
  }

  filter(r: ResourceName, q: { namespace: string; labelSelector: string; fieldSelector: string }): Filter {
    const info = resourceInfo(r);
    return {
      namespace: info.namespaced ? q.namespace : '',
      labels: parseSelector(q.labelSelector),
      fields: parseFieldSelector(q.fieldSelector, SUPPORTED_FIELDS),
    };
  }

  async list(r: ResourceName, q: ListQuery): Promise<{ items: CachedObject[]; rv: number; continue: string; remaining: number }> {
    const f = this.filter(r, q);
    if (q.limit > 0 || q.continue) return this.listPaged(r, f, q);
    const cache = this.cache(r);
    if (q.resourceVersion === '') await cache.waitFor(await this.etcdCall(() => this.etcd.currentRevision()));
    else if (q.resourceVersion !== '0') await cache.waitFor(parseRv(q.resourceVersion));
    else await cache.whenReady();
    const { items, rv } = cache.list(f);
    return { items, rv, continue: '', remaining: 0 };
  }

  /** limit/continue: pages read from etcd at one revision, like kube-apiserver. */
  private async listPaged(
    r: ResourceName,
    f: Filter,
    q: ListQuery,
  ): Promise<{ items: CachedObject[]; rv: number; continue: string; remaining: number }> {
    const info = resourceInfo(r);
    const prefix = info.namespaced && f.namespace ? `${info.etcdPrefix}/${f.namespace}/` : `${info.etcdPrefix}/`;
    let from = prefix;
    let rev = 0;
    if (q.continue) {
      const t = decodeContinue(q.continue);
      if (!t.start.startsWith(prefix)) throw errors.badRequest('continue key is not valid: continue key does not match this list');
      from = t.start;
      rev = t.rv;
    }
    const limit = q.limit > 0 ? q.limit : 500;
    const items: CachedObject[] = [];
    let revision = rev;
    let cont = '';
    for (;;) {
      let page;
      try {
        page = await this.etcd.range(prefix, { from, limit, revision });
      } catch (err) {
        if (err instanceof EtcdError && /compacted/.test(err.message)) {
          throw errors.expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        }
        throw this.unavailable(err);
      }
      revision = page.revision;
      for (const kv of page.kvs) {
        if (items.length === limit) {
          cont = encodeContinue({ rv: revision, start: kv.key });
          break;
        }
        const c = decodeStored(kv);
        if (matches(f, c)) items.push(c);
      }
      const lastKv = page.kvs[page.kvs.length - 1];
      if (cont || !page.more || !lastKv) break;
      from = lastKv.key + '\0';
    }
    let remaining = 0;
    if (cont) remaining = (await this.etcd.range(prefix, { from: decodeContinue(cont).start, revision, countOnly: true })).count;
    return { items, rv: revision, continue: cont, remaining };
  }

  async create(r: ResourceName, namespace: string, raw: unknown, dryRun = false): Promise<CachedObject> {
    const info = resourceInfo(r);
    const obj = decodeObject(r, raw) as Obj;
    const meta = (obj.metadata ??= {});
    if (info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = meta.namespace || namespace || 'default';
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = meta.generateName + this.randomSuffix();
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    applyDefaults(r, obj as never);
    prepareForCreate(r, obj as never);
    const errs = validateCreate(r, obj as never, this.validation());
    if (errs.length) throw invalidError(info.kind, meta.name ?? '', info.group, errs);
    if (info.namespaced && r !== 'namespaces') await this.requireNamespace(meta.namespace);
    const key = this.key(info, meta.namespace ?? '', meta.name!);

    // A Service's allocation could fail on its own ClusterIP before the Txn's compare says
    // the name is taken: look first, so the answer is AlreadyExists (other kinds let the
    // Txn tell, which saves a round trip per create).
    if (r === 'services' && (await this.etcdCall(() => this.etcd.get(key))).kv) {
      throw errors.alreadyExists({ resource: r, group: info.group, name: meta.name });
    }
    for (let attempt = 0; ; attempt++) {
      let alloc = { cmps: [] as Cmp[], ops: [] as Op[] };
      const toStore = structuredClone(obj);
      if (r === 'services') alloc = planServiceAllocation(toStore as Service, undefined, this.opts.serviceCIDR, this.opts.nodePorts, this.taken(), this.random);
      if (dryRun) return new CachedObject(toStore, 0);
      const value = JSON.stringify(toStore);
      const res = await this.writeTxn(
        [{ key, modRevision: 0 }, ...alloc.cmps],
        [{ put: key, value }, ...alloc.ops],
        async () => {
          const { kv } = await this.etcd.get(key);
          return kv && decodeStored(kv).meta.uid === meta.uid ? kv.modRevision : undefined;
        },
      );
      if (res.succeeded) return withRv(toStore, res.revision);
      const { kv } = await this.etcdCall(() => this.etcd.get(key));
      if (kv) throw errors.alreadyExists({ resource: r, group: info.group, name: meta.name });
      if (attempt >= MAX_RETRIES) throw errors.internal('failed to allocate: too many conflicting allocations, try again');
      await this.refreshAllocations(alloc.cmps);
    }
  }

  /** Update (status: false) or UpdateStatus (status: true), with optimistic concurrency. */
  async update(r: ResourceName, namespace: string, raw: unknown, subresource: 'main' | 'status'): Promise<CachedObject> {
    const info = resourceInfo(r);
    const obj = decodeObject(r, raw) as Obj;
    const name = obj.metadata?.name ?? '';
    if (!name) throw invalidError(info.kind, '', info.group, [fieldErrors.required('metadata.name', 'name is required')]);
    const ns = info.namespaced ? obj.metadata?.namespace || namespace || 'default' : '';
    if (info.namespaced && obj.metadata?.namespace && namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (info.namespaced) (obj.metadata ??= {}).namespace = ns;
    const wantRv = obj.metadata?.resourceVersion ?? '';
    for (let attempt = 0; ; attempt++) {
      const cur = await this.current(r, ns, name, attempt, wantRv);
      if (wantRv && wantRv !== String(cur.rv)) throw errors.conflict({ resource: r, group: info.group, name });
      const res = await this.replace(r, info, cur, obj, subresource);
      if (res !== 'conflict') return res;
      if (wantRv || attempt >= MAX_RETRIES) throw errors.conflict({ resource: r, group: info.group, name });
    }
  }

  async patch(r: ResourceName, namespace: string, name: string, patch: unknown, subresource: 'main' | 'status'): Promise<CachedObject> {
    const info = resourceInfo(r);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw errors.badRequest('json: cannot unmarshal a merge patch that is not a JSON object');
    }
    for (let attempt = 0; ; attempt++) {
      const patchRv = (patch as Obj).metadata?.resourceVersion;
      const cur = await this.current(r, info.namespaced ? namespace : '', name, attempt, patchRv ?? '');
      const merged = applyMergePatch(cur.obj, patch) as Obj;
      if (patchRv && patchRv !== String(cur.rv)) throw errors.conflict({ resource: r, group: info.group, name });
      const res = await this.replace(r, info, cur, decodeObject(r, merged) as Obj, subresource);
      if (res !== 'conflict') return res;
      if (patchRv || attempt >= MAX_RETRIES) throw errors.conflict({ resource: r, group: info.group, name });
    }
  }

  /** Writes `next` over `cur` if `cur` is still current; 'conflict' if it was not. */
  private async replace(
    r: ResourceName,
    info: ResourceInfo,
    cur: CachedObject,
    incoming: Obj,
    subresource: 'main' | 'status',
  ): Promise<CachedObject | 'conflict'> {
    const old = cur.obj as Obj;
    const next = structuredClone(incoming);
    let errs;
    if (subresource === 'status') {
      prepareForStatusUpdate(r, next as never, old as never);
      errs = validateStatusUpdate(r, next as never, old as never, this.validation());
    } else {
      applyDefaults(r, next as never);
      prepareForUpdate(r, next as never, old as never, { serviceCIDR: this.opts.serviceCIDR.cidr });
      errs = validateUpdate(r, next as never, bindingBase(r, next, old) as never, this.validation());
    }
    if (!info.namespaced && next.metadata) delete next.metadata.namespace;
    if (next.metadata) delete next.metadata.resourceVersion;
    if (errs.length) throw invalidError(info.kind, old.metadata?.name ?? '', info.group, errs);
    const key = this.key(info, old.metadata?.namespace ?? '', old.metadata?.name ?? '');

    // Finalizers all gone from an object marked for deletion: it can go now.
    if (next.metadata?.deletionTimestamp && !(next.metadata.finalizers?.length) && (r !== 'pods' || (next.metadata.deletionGracePeriodSeconds ?? 0) === 0)) {
      return this.remove(r, key, cur, next);
    }
    let alloc = { cmps: [] as Cmp[], ops: [] as Op[] };
    if (r === 'services' && subresource === 'main') {
      alloc = planServiceAllocation(next as Service, old as Service, this.opts.serviceCIDR, this.opts.nodePorts, this.taken(old as Service), this.random);
    }
    const strip = structuredClone(old);
    if (strip.metadata) delete strip.metadata.resourceVersion;
    const value = JSON.stringify(next);
    if (value === JSON.stringify(strip)) {
      // A no-op update keeps its resourceVersion, if `cur` really is the latest.
      if (this.cache(r).getByKey(key) !== cur) return cur;
      const { kv } = await this.etcdCall(() => this.etcd.get(key));
      return kv?.modRevision === cur.rv ? cur : 'conflict';
    }
    const res = await this.writeTxn([{ key, modRevision: cur.rv }, ...alloc.cmps], [{ put: key, value }, ...alloc.ops], async () => {
      const { kv } = await this.etcd.get(key);
      return kv && kv.value.toString('utf8') === value ? kv.modRevision : undefined;
    });
    if (res.succeeded) return withRv(next, res.revision);
    // The object moved on or a newly claimed value was taken: the caller retries, and
    // values seen taken are avoided on the next pick.
    if (alloc.cmps.length) await this.refreshAllocations(alloc.cmps);
    return 'conflict';
  }

  async delete(r: ResourceName, namespace: string, name: string, q: DeleteQuery): Promise<CachedObject> {
    const info = resourceInfo(r);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.current(r, info.namespaced ? namespace : '', name, attempt, q.resourceVersion);
      const old = cur.obj as Obj;
      const meta = old.metadata ?? {};
      if (q.uid && q.uid !== meta.uid) {
        throw errors.conflict(
          { resource: r, group: info.group, name },
          `Precondition failed: UID in precondition: ${q.uid}, UID in object meta: ${meta.uid ?? ''}`,
        );
      }
      if (q.resourceVersion && q.resourceVersion !== String(cur.rv)) {
        throw errors.conflict(
          { resource: r, group: info.group, name },
          `Precondition failed: ResourceVersion in precondition: ${q.resourceVersion}, ResourceVersion in object meta: ${cur.rv}`,
        );
      }
      const key = this.key(info, meta.namespace ?? '', meta.name ?? '');
      let grace = 0;
      if (r === 'pods') {
        const pod = old as Pod;
        grace = q.gracePeriodSeconds >= 0 ? q.gracePeriodSeconds : (pod.spec?.terminationGracePeriodSeconds ?? 30);
        const phase = pod.status?.phase;
        if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
        // A second delete may shorten the grace period, never lengthen it.
        if (meta.deletionTimestamp && meta.deletionGracePeriodSeconds !== undefined) grace = Math.min(grace, meta.deletionGracePeriodSeconds);
      }
      const finalizers = meta.finalizers?.length ?? 0;
      let res: CachedObject | 'conflict';
      if (finalizers > 0 || grace > 0) {
        if (meta.deletionTimestamp && (r !== 'pods' || grace === meta.deletionGracePeriodSeconds)) return cur;
        const next = structuredClone(old);
        next.metadata = {
          ...next.metadata,
          deletionTimestamp: rfc3339(this.now() + grace * 1000),
          deletionGracePeriodSeconds: grace,
        };
        delete next.metadata.resourceVersion;
        const value = JSON.stringify(next);
        const w = await this.writeTxn([{ key, modRevision: cur.rv }], [{ put: key, value }], async () => {
          const { kv } = await this.etcd.get(key);
          return kv && kv.value.toString('utf8') === value ? kv.modRevision : undefined;
        });
        res = w.succeeded ? withRv(next, w.revision) : 'conflict';
      } else {
        res = await this.remove(r, key, cur, old);
      }
      if (res !== 'conflict') return res;
      if (q.resourceVersion || attempt >= MAX_RETRIES) throw errors.conflict({ resource: r, group: info.group, name });
    }
  }

  private async remove(r: ResourceName, key: string, cur: CachedObject, last: Obj): Promise<CachedObject | 'conflict'> {
    const release = r === 'services' ? releaseServiceAllocation(cur.obj) : [];
    const res = await this.writeTxn([{ key, modRevision: cur.rv }], [{ del: key }, ...release], async () => {
      const { kv } = await this.etcd.get(key);
      return kv ? undefined : -1;
    });
    if (!res.succeeded) return 'conflict';
    return withRv(structuredClone(last), res.revision > 0 ? res.revision : cur.rv);
  }

  /**
   * Runs a Txn at most once even when etcd's answer is lost (txnOnce): `confirm` returns
   * the revision if the write did land, undefined if it did not.
   */
  private async writeTxn(cmps: Cmp[], ops: Op[], confirm: () => Promise<number | undefined>): Promise<{ succeeded: boolean; revision: number }> {
    try {
      return await txnOnce(() => this.etcd.txn(cmps, ops), confirm);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private validation(): ValidationOptions {
    return { serviceCIDR: this.opts.serviceCIDR.cidr, nodePortRange: this.opts.nodePorts, allowLoopbackEndpoints: true };
  }

  private async etcdCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private unavailable(err: unknown): ApiError {
    if (isApiError(err)) return err;
    this.log.warn({ err }, 'etcd request failed');
    return errors.unavailable(`etcd cluster is unavailable or misconfigured: ${(err as Error).message}`, err);
  }

  private async requireNamespace(ns: string | undefined): Promise<void> {
    const name = ns ?? 'default';
    const info = resourceInfo('namespaces');
    if (this.cache('namespaces').getByKey(this.key(info, '', name))) return;
    const { kv } = await this.etcdCall(() => this.etcd.get(this.key(info, '', name)));
    if (!kv) throw errors.notFound({ resource: 'namespaces', name });
  }

  /**
   * What the Service cache says is allocated (the Txn's compares are the real guard),
   * without `except`'s own values, plus values other apiservers were seen to claim.
   */
  private taken(except?: Service): { ip(ip: string): boolean; port(p: number): boolean } {
    const mineIPs = new Set(except?.spec?.clusterIP ? [except.spec.clusterIP] : []);
    const minePorts = new Set(except ? nodePortsOf(except) : []);
    const a = this.allocated;
    return {
      ip: (x) => (a.ips.get(x) ?? 0) - (mineIPs.has(x) ? 1 : 0) > 0 || this.extraTaken.ips.has(x),
      port: (p) => (a.ports.get(p) ?? 0) - (minePorts.has(p) ? 1 : 0) > 0 || this.extraTaken.ports.has(p),
    };
  }

  /** Reference counts of the ClusterIPs and node ports of the Services in the cache. */
  private readonly allocated = { ips: new Map<string, number>(), ports: new Map<number, number>() };

  private trackAllocations(): void {
    const a = this.allocated;
    const bump = <K>(m: Map<K, number>, k: K, d: number): void => {
      const n = (m.get(k) ?? 0) + d;
      if (n > 0) m.set(k, n);
      else m.delete(k);
    };
    const apply = (c: CachedObject | undefined, d: number): void => {
      if (!c) return;
      const s = c.obj as Service;
      const ip = s.spec?.clusterIP;
      if (ip && ip !== 'None') {
        bump(a.ips, ip, d);
        if (d > 0) this.extraTaken.ips.delete(ip);
      }
      for (const p of nodePortsOf(s)) {
        bump(a.ports, p, d);
        if (d > 0) this.extraTaken.ports.delete(p);
      }
    };
    this.cache('services').subscribe({
      reset: () => {
        a.ips.clear();
        a.ports.clear();
      },
      change: (prev, cur) => {
        apply(prev, -1);
        apply(cur, 1);
      },
    });
  }

  /** Values another apiserver claimed before our cache saw its Service: avoid them next try. */
  private readonly extraTaken = { ips: new Set<string>(), ports: new Set<number>() };
  private async refreshAllocations(cmps: readonly Cmp[]): Promise<void> {
    for (const c of cmps) {
      const { kv } = await this.etcdCall(() => this.etcd.get(c.key));
      if (!kv) continue;
      const v = c.key.slice(c.key.lastIndexOf('/') + 1);
      if (c.key.startsWith('/registry/ipaddresses/')) this.extraTaken.ips.add(v);
      else this.extraTaken.ports.add(Number(v));
    }
  }

  private randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(this.random() * NAME_CHARS.length)];
    return s;
  }
}

/**
 * kemu has no pods/binding subresource: an update of an unbound pod that sets
 * spec.nodeName is the scheduler's binding. It is validated as if the stored pod already
 * had that node, so the pod-spec immutability rule judges every other field.
 */
function bindingBase(r: ResourceName, next: Obj, old: Obj): Obj {
  const want = (next as Pod).spec?.nodeName;
  if (r !== 'pods' || !want || (old as Pod).spec?.nodeName) return old;
  const base = structuredClone(old) as Pod;
  (base.spec ??= {}).nodeName = want;
  return base as Obj;
}

export function decodeStored(kv: KeyValue): CachedObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as Obj;
  (obj.metadata ??= {}).resourceVersion = String(kv.modRevision);
  return new CachedObject(obj, kv.modRevision);
}

function withRv(obj: Obj, rv: number): CachedObject {
  (obj.metadata ??= {}).resourceVersion = String(rv);
  return new CachedObject(obj, rv);
}

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function parseRv(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n)) throw errors.badRequest(`invalid resourceVersion: ${s}`);
  return n;
}

function encodeContinue(t: { rv: number; start: string }): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof t.rv === 'number' && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch {
    // reported below
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

