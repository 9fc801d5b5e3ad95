import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import {
  apiError,
  applyMergePatch,
  errors,
  Reason,
  type DeleteOptions,
  type InformerHandlers,
  type ObjectMeta,
  type Pod,
  type ResourceName,
  type ResourceTypes,
  type Service,
} from '@kemu/api';
import type { PodSource, ServiceLister } from './kubelet.js';
import type { KubeletClient } from './pod-status-sync.js';

/**
 * Test doubles for the kubelet's runtime tests: an in-memory apiserver for the calls the
 * kubelet makes (with resourceVersions, uid preconditions and merge patches as the real
 * one has them) that records every pod status write and delete, and the pod informer
 * fed from it (events arrive on a later turn of the event loop, as a watch's do).
 */

interface Obj {
  metadata?: ObjectMeta;
}

export interface StatusWrite {
  at: number;
  namespace: string;
  name: string;
  status: NonNullable<Pod['status']>;
}

export interface DeleteCall {
  at: number;
  namespace: string;
  name: string;
  opts: DeleteOptions;
}

export class FakePodSource implements PodSource {
  private readonly handlers: InformerHandlers<Pod>[] = [];
  private running = false;

  constructor(private readonly api: FakeApi) {
    api.sources.add(this);
  }

  on(h: InformerHandlers<Pod>): this {
    this.handlers.push(h);
    return this;
  }

  start(): this {
    this.running = true;
    return this;
  }

  stop(): void {
    this.running = false;
    this.api.sources.delete(this);
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }

  list(): Pod[] {
    return this.api.listPods();
  }

  emit(kind: 'add' | 'update' | 'delete', pod: Pod, old?: Pod): void {
    if (!this.running) return;
    for (const h of this.handlers) {
      if (kind === 'add') h.add?.(structuredClone(pod));
      else if (kind === 'update') h.update?.(structuredClone(old ?? pod), structuredClone(pod));
      else h.delete?.(structuredClone(pod));
    }
  }
}

export class FakeApi implements KubeletClient {
  readonly objects = new Map<string, Obj>();
  readonly sources = new Set<FakePodSource>();
  readonly statusWrites: StatusWrite[] = [];
  readonly deletes: DeleteCall[] = [];
  readonly leaseWrites: { at: number; renewTime: string }[] = [];
  private rv = 100;

  services: Service[] = [];

  serviceLister(): ServiceLister {
    return { list: () => this.services, waitForSync: () => Promise.resolve() };
  }

  private key(resource: ResourceName, namespace: string, name: string): string {
    return resource === 'nodes' ? `nodes//${name}` : `${resource}/${namespace}/${name}`;
  }

  listPods(): Pod[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith('pods/')).map(([, v]) => structuredClone(v as Pod));
  }

  pod(namespace: string, name: string): Pod | undefined {
    const p = this.objects.get(this.key('pods', namespace, name));
    return p ? structuredClone(p as Pod) : undefined;
  }

  private emit(kind: 'add' | 'update' | 'delete', pod: Pod, old?: Pod): void {
    const sources = [...this.sources];
    setImmediate(() => {
      for (const s of sources) s.emit(kind, pod, old);
    });
  }

  private stamp<T extends Obj>(obj: T): T {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.rv) };
    return obj;
  }

  /** A pod bound to a node, as the scheduler leaves it. */
  addPod(pod: Pod): Pod {
    const p = this.stamp(structuredClone(pod));
    p.metadata = { uid: randomUUID(), creationTimestamp: new Date().toISOString(), ...p.metadata };
    p.status ??= { phase: 'Pending' };
    this.objects.set(this.key('pods', p.metadata.namespace ?? '', p.metadata.name ?? ''), p);
    this.emit('add', p);
    return structuredClone(p);
  }

  /** A user's graceful delete: the pod is marked, the kubelet finishes it. */
  markDeleted(namespace: string, name: string, graceSeconds: number): void {
    const key = this.key('pods', namespace, name);
    const old = this.objects.get(key) as Pod;
    const p = this.stamp(structuredClone(old));
    p.metadata = { ...p.metadata, deletionTimestamp: new Date(Date.now() + graceSeconds * 1000).toISOString(), deletionGracePeriodSeconds: graceSeconds };
    this.objects.set(key, p);
    this.emit('update', p, old);
  }

  /** The pod disappears without the kubelet being told (it was not watching). */
  removeSilently(namespace: string, name: string): void {
    this.objects.delete(this.key('pods', namespace, name));
  }

  /** The pod disappears and watchers see it go (a forced delete). */
  remove(namespace: string, name: string): void {
    const key = this.key('pods', namespace, name);
    const old = this.objects.get(key);
    this.objects.delete(key);
    if (old) this.emit('delete', old);
  }

  /** Another writer's change (the node lifecycle controller's, say). */
  mutate<R extends 'nodes' | 'leases' | 'pods'>(resource: R, namespace: string, name: string, fn: (o: ResourceTypes[R]) => void): void {
    const key = this.key(resource, namespace, name);
    const old = this.objects.get(key) as ResourceTypes[R];
    const next = this.stamp(structuredClone(old));
    fn(next);
    this.objects.set(key, next);
    if (resource === 'pods') this.emit('update', next as Pod, old as Pod);
  }

  async get<R extends ResourceName>(resource: R, namespace: string, name: string): Promise<ResourceTypes[R]> {
    const o = this.objects.get(this.key(resource, namespace, name));
    if (!o) throw errors.notFound({ resource, name });
    return structuredClone(o);
  }

  async create<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    const o = obj as Obj;
    const key = this.key(resource, o.metadata?.namespace ?? '', o.metadata?.name ?? '');
    if (this.objects.has(key)) throw errors.alreadyExists({ resource, name: o.metadata?.name });
    const stored = this.stamp(structuredClone(o));
    stored.metadata = { ...stored.metadata, uid: randomUUID() };
    this.objects.set(key, stored);
    this.recordLease(resource, stored);
    return structuredClone(stored);
  }

  async update<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    const o = obj as Obj;
    const key = this.key(resource, o.metadata?.namespace ?? '', o.metadata?.name ?? '');
    const cur = this.objects.get(key);
    if (!cur) throw errors.notFound({ resource, name: o.metadata?.name });
    if (o.metadata?.resourceVersion && o.metadata.resourceVersion !== cur.metadata?.resourceVersion) {
      throw errors.conflict({ resource, name: o.metadata.name });
    }
    const stored = this.stamp(structuredClone(o));
    stored.metadata = { ...stored.metadata, uid: cur.metadata?.uid };
    this.objects.set(key, stored);
    this.recordLease(resource, stored);
    return structuredClone(stored);
  }

  async patch<R extends ResourceName>(resource: R, namespace: string, name: string, patch: unknown, opts: { status?: boolean } = {}): Promise<ResourceTypes[R]> {
    const key = this.key(resource, namespace, name);
    const cur = this.objects.get(key);
    if (!cur) throw errors.notFound({ resource, name });
    const p = patch as Obj & { status?: unknown };
    if (p.metadata?.uid !== undefined && p.metadata.uid !== cur.metadata?.uid) {
      throw apiError(Reason.Invalid, `${resource} "${name}" is invalid: metadata.uid: Invalid value: "${p.metadata.uid}": field is immutable`);
    }
    const next = this.stamp(applyMergePatch(cur, patch) as Obj);
    this.objects.set(key, next);
    if (resource === 'pods' && opts.status) {
      this.statusWrites.push({ at: Date.now(), namespace, name, status: structuredClone((next as Pod).status ?? {}) });
    }
    if (resource === 'pods') this.emit('update', next, cur);
    return structuredClone(next);
  }

  async delete<R extends ResourceName>(resource: R, namespace: string, name: string, opts: DeleteOptions = {}): Promise<ResourceTypes[R]> {
    const key = this.key(resource, namespace, name);
    const cur = this.objects.get(key);
    if (!cur) throw errors.notFound({ resource, name });
    if (opts.uid && opts.uid !== cur.metadata?.uid) throw errors.conflict({ resource, name }, 'Precondition failed: UID');
    this.deletes.push({ at: Date.now(), namespace, name, opts });
    this.objects.delete(key);
    if (resource === 'pods') this.emit('delete', cur);
    return structuredClone(cur);
  }

  private recordLease(resource: ResourceName, o: Obj): void {
    if (resource === 'leases') this.leaseWrites.push({ at: Date.now(), renewTime: (o as ResourceTypes['leases']).spec?.renewTime ?? '' });
  }
}

/** The pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(marker) && state !== 'Z') out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
