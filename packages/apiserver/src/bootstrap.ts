import { isApiError, Reason, type Endpoints, type EndpointSlice, type Namespace, type ResourceName, type Service } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { IPRange } from './allocators/ranges.js';
import type { EtcdClient } from './etcd/etcd-client.js';
import type { Registry } from './storage/registry.js';

export const MASTER_LEASE_PREFIX = '/registry/masterleases/';
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface BootstrapOptions {
  /** The address other components reach this apiserver on, and its port. */
  advertiseAddress: string;
  securePort: number;
  serviceCIDR: IPRange;
  masterLeaseTtlSeconds: number;
  reconcileIntervalMs: number;
}

/**
 * What kube-apiserver keeps true by itself: the system namespaces, the `kubernetes`
 * Service (first IP of the service range, port 443), and that Service's Endpoints and
 * EndpointSlice listing exactly the live apiservers. Liveness is an etcd key per
 * apiserver under /registry/masterleases/ bound to an etcd lease: an apiserver that dies
 * stops renewing, its key expires, and the next reconcile drops its address.
 */
export class Bootstrap {
  private lease = 0n;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly etcd: EtcdClient,
    private readonly log: Logger,
    private readonly o: BootstrapOptions,
  ) {}

  async start(): Promise<void> {
    for (const ns of SYSTEM_NAMESPACES) {
      await this.ensure('namespaces', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } satisfies Namespace);
    }
    await this.ensure('services', 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: this.o.serviceCIDR.first(),
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.o.securePort }],
        sessionAffinity: 'None',
      },
    } satisfies Service);
    await this.renew();
    await this.reconcile();
    const loop = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.renew()
          .then(() => this.reconcile())
          .catch((err: unknown) => this.log.warn({ err }, 'kubernetes endpoints reconcile failed'))
          .finally(loop);
      }, this.o.reconcileIntervalMs);
    };
    loop();
  }

  /** Stops renewing and removes this apiserver from the endpoints at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    try {
      await this.etcd.txn([], [{ del: MASTER_LEASE_PREFIX + this.o.advertiseAddress }]);
      await this.reconcile();
    } catch (err) {
      this.log.warn({ err }, 'could not remove master lease on shutdown');
    }
  }

  private async renew(): Promise<void> {
    const key = MASTER_LEASE_PREFIX + this.o.advertiseAddress;
    if (this.lease !== 0n) {
      const ttl = await this.etcd.keepAliveOnce(this.lease).catch(() => 0);
      if (ttl > 0) {
        const { kv } = await this.etcd.get(key);
        if (kv) return;
      }
    }
    this.lease = await this.etcd.grantLease(this.o.masterLeaseTtlSeconds);
    const value = JSON.stringify({ ip: this.o.advertiseAddress, port: this.o.securePort });
    await this.etcd.txn([], [{ put: key, value, lease: this.lease }]);
  }

  private async reconcile(): Promise<void> {
    const { kvs } = await this.etcd.range(MASTER_LEASE_PREFIX);
    const ips = kvs
      .map((kv) => (JSON.parse(kv.value.toString('utf8')) as { ip: string }).ip)
      .sort();
    const port = { name: 'https', port: this.o.securePort, protocol: 'TCP' };
    const endpoints: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }] : [],
    };
    await this.put('endpoints', endpoints);
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [port],
    };
    await this.put('endpointslices', slice);
  }

  private async ensure(r: ResourceName, ns: string, obj: unknown): Promise<void> {
    try {
      await this.registry.create(r, ns, obj);
    } catch (err) {
      if (!isApiError(err, Reason.AlreadyExists)) throw err;
    }
  }

  /** Create or replace, leaving the object alone when it already says the same thing. */
  private async put(r: 'endpoints' | 'endpointslices', obj: Endpoints | EndpointSlice): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const cur = await this.registry.get(r, 'default', 'kubernetes');
        const body = { ...obj, metadata: { ...cur.obj.metadata, labels: obj.metadata?.labels } };
        await this.registry.update(r, 'default', body, 'main');
        return;
      } catch (err) {
        if (isApiError(err, Reason.NotFound)) {
          try {
            await this.registry.create(r, 'default', obj);
            return;
          } catch (e) {
            if (!isApiError(e, Reason.AlreadyExists)) throw e;
            continue;
          }
        }
        if (!isApiError(err, Reason.Conflict)) throw err;
      }
    }
  }
}
