import type { EndpointSlice, Pod, Service } from '@kemu/api';

/** Builders for the tests of the endpoints controllers (plain objects, as the caches hold them). */

export interface PodOptions {
  namespace?: string;
  ip?: string | null;
  ready?: boolean;
  labels?: Record<string, string>;
  node?: string | null;
  phase?: string;
  deleting?: boolean;
  ports?: { name: string; containerPort: number; protocol?: string }[];
  hostname?: string;
  subdomain?: string;
}

export function pod(name: string, o: PodOptions = {}): Pod {
  const ip = o.ip === undefined ? `10.0.0.${(hash(name) % 250) + 1}` : o.ip;
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: o.labels ?? { app: 'web' },
    },
    spec: {
      containers: [{ name: 'main', ports: o.ports ?? [] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False' }],
    },
  };
  if (o.node !== null) p.spec!.nodeName = o.node ?? 'node-1';
  if (ip !== null) {
    p.status!.podIP = ip;
    p.status!.podIPs = [{ ip }];
  }
  if (o.deleting) p.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
  if (o.hostname) p.spec!.hostname = o.hostname;
  if (o.subdomain) p.spec!.subdomain = o.subdomain;
  return p;
}

/** n ready pods "p000".."p<n-1>" with distinct IPs. */
export function pods(n: number, o: PodOptions = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `p${String(i).padStart(3, '0')}`;
    return pod(name, { ...o, ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  });
}

export function service(name = 'web', spec: Service['spec'] = {}, labels?: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-svc-${name}`, resourceVersion: '1', ...(labels ? { labels } : {}) },
    spec: {
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      ...spec,
    },
  };
}

/**
 * Applies a reconcile result the way the apiserver would: names created slices from
 * generateName, bumps resourceVersions, replaces updated slices and drops deleted ones.
 */
export class SliceStore {
  private readonly slices = new Map<string, EndpointSlice>();
  private seq = 0;

  get all(): EndpointSlice[] {
    return [...this.slices.values()];
  }

  apply(changes: { create: EndpointSlice[]; update: EndpointSlice[]; delete: EndpointSlice[] }): void {
    for (const s of changes.create) {
      const name = `${s.metadata?.generateName ?? ''}${(++this.seq).toString(36).padStart(5, '0')}`;
      this.slices.set(name, { ...structuredClone(s), metadata: { ...s.metadata, name, uid: `uid-${name}`, resourceVersion: String(++this.seq) } });
    }
    for (const s of changes.update) {
      const name = s.metadata?.name ?? '';
      if (!this.slices.has(name)) throw new Error(`update of missing slice ${name}`);
      this.slices.set(name, { ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: String(++this.seq) } });
    }
    for (const s of changes.delete) {
      if (!this.slices.delete(s.metadata?.name ?? '')) throw new Error(`delete of missing slice ${s.metadata?.name ?? ''}`);
    }
  }
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
