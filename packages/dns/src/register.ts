import { isApiError, Reason, type EndpointSlice, type Endpoints, type KubeClient, type Lease, type Service } from '@kemu/api';
import { formatIPv4, microTime, parseIPv4, parseTime, type Logger } from '@kemu/common';

const NS = 'kube-system';
const SERVICE = 'kube-dns';
const LEASE_LABEL = 'kemu.dev/dns-endpoint';
const SLICE_PREFIX = 'kube-dns-kemu-';

export interface RegistrationOptions {
  /** Where this server is reached: the kube-dns endpoint address and port. */
  host: string;
  port: number;
  leaseSeconds: number;
}

/** The tenth address of the range the `kubernetes` Service's ClusterIP (the first) is in. */
export function tenthAddress(first: string): string | undefined {
  const n = parseIPv4(first);
  return n === undefined ? undefined : formatIPv4(n + 9);
}

/**
 * Keeps the kube-dns Service and its endpoints true, the way kube-apiserver keeps the
 * `kubernetes` Service's: the dns servers are not pods, so no controller lists them.
 * Each server holds a Lease in kube-system (label kemu.dev/dns-endpoint) that it renews;
 * every server rewrites the kube-dns EndpointSlices and Endpoints from the unexpired
 * Leases. A server killed with -9 stops renewing and drops out after its lease duration;
 * one stopped with SIGTERM deletes its Lease and drops out at once.
 */
export class KubeDnsRegistration {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The round in flight, if any: stop() waits for it, or a renewal that was already past
   * its read when SIGTERM came would create the Lease again after stop() deleted it. */
  private round: Promise<void> | undefined;
  private readonly leaseName: string;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly o: RegistrationOptions,
  ) {
    this.leaseName = `kube-dns-${o.host.replace(/[.:]/g, '-')}-${o.port}`;
  }

  async start(ready: () => boolean): Promise<void> {
    while (!this.stopped && !ready()) await sleep(200);
    const once = async (): Promise<void> => {
      try {
        await this.ensureService();
        await this.renew();
        await this.reconcile();
      } catch (err) {
        this.log.warn({ err }, 'kube-dns registration failed; retrying');
      }
    };
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      this.round = once();
      await this.round;
      this.round = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), Math.max(1000, (this.o.leaseSeconds * 1000) / 3));
    };
    await loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    try {
      await this.client.delete('leases', NS, this.leaseName);
      await this.reconcile();
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) this.log.warn({ err }, 'could not leave the kube-dns endpoints');
    }
  }

  private async ensureService(): Promise<void> {
    try {
      await this.client.get('services', NS, SERVICE);
      return;
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
    }
    const kubernetes = await this.client.get('services', 'default', 'kubernetes');
    const ip = tenthAddress(kubernetes.spec?.clusterIP ?? '');
    const svc: Service = {
      metadata: { name: SERVICE, namespace: NS, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' } },
      spec: {
        ...(ip ? { clusterIP: ip } : {}),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: this.o.port },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: this.o.port },
        ],
      },
    };
    try {
      const made = await this.client.create('services', svc);
      this.log.info({ clusterIP: made.spec?.clusterIP }, 'created the kube-dns Service');
    } catch (err) {
      if (!isApiError(err, Reason.AlreadyExists)) throw err;
    }
  }

  private async renew(): Promise<void> {
    const now = microTime(Date.now());
    const lease: Lease = {
      metadata: { name: this.leaseName, namespace: NS, labels: { [LEASE_LABEL]: 'true' }, annotations: { 'kemu.dev/address': this.o.host, 'kemu.dev/port': String(this.o.port) } },
      spec: { holderIdentity: `${this.o.host}:${this.o.port}`, leaseDurationSeconds: this.o.leaseSeconds, renewTime: now },
    };
    try {
      const cur = await this.client.get('leases', NS, this.leaseName);
      await this.client.update('leases', { ...lease, metadata: { ...cur.metadata, ...lease.metadata } });
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
      await this.client.create('leases', { ...lease, spec: { ...lease.spec, acquireTime: now } });
    }
  }

  /** Rewrites the kube-dns endpoints from the unexpired Leases (one slice per port). */
  async reconcile(): Promise<void> {
    const leases = await this.client.list('leases', { namespace: NS, labelSelector: `${LEASE_LABEL}=true` });
    const now = Date.now();
    const byPort = new Map<number, string[]>();
    for (const l of leases.items) {
      const renewed = parseTime(l.spec?.renewTime);
      if (renewed === undefined || renewed + (l.spec?.leaseDurationSeconds ?? 0) * 1000 <= now) continue;
      const host = l.metadata?.annotations?.['kemu.dev/address'];
      const port = Number(l.metadata?.annotations?.['kemu.dev/port']);
      if (!host || !Number.isInteger(port)) continue;
      byPort.set(port, [...(byPort.get(port) ?? []), host].sort());
    }
    const slices = await this.client.list('endpointslices', { namespace: NS, labelSelector: `kubernetes.io/service-name=${SERVICE}` });
    for (const [port, hosts] of byPort) {
      const slice: EndpointSlice = {
        metadata: {
          name: `${SLICE_PREFIX}${port}`,
          namespace: NS,
          labels: { 'kubernetes.io/service-name': SERVICE, 'endpointslice.kubernetes.io/managed-by': 'kemu-dns' },
        },
        addressType: 'IPv4',
        endpoints: hosts.map((h) => ({ addresses: [h], conditions: { ready: true, serving: true, terminating: false } })),
        ports: [
          { name: 'dns', port, protocol: 'UDP' },
          { name: 'dns-tcp', port, protocol: 'TCP' },
        ],
      };
      const cur = slices.items.find((s) => s.metadata?.name === slice.metadata?.name);
      await this.put('endpointslices', slice, cur, (c) => JSON.stringify(c.endpoints) === JSON.stringify(slice.endpoints));
    }
    for (const s of slices.items) {
      const name = s.metadata?.name ?? '';
      if (name.startsWith(SLICE_PREFIX) && !byPort.has(Number(name.slice(SLICE_PREFIX.length)))) {
        await this.client.delete('endpointslices', NS, name).catch((err: unknown) => {
          if (!isApiError(err, Reason.NotFound)) throw err;
        });
      }
    }
    const endpoints: Endpoints = {
      metadata: { name: SERVICE, namespace: NS, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [...byPort].map(([port, hosts]) => ({
        addresses: hosts.map((ip) => ({ ip })),
        ports: [
          { name: 'dns', port, protocol: 'UDP' },
          { name: 'dns-tcp', port, protocol: 'TCP' },
        ],
      })),
    };
    const curEp = await this.client.get('endpoints', NS, SERVICE).catch((err: unknown) => {
      if (isApiError(err, Reason.NotFound)) return undefined;
      throw err;
    });
    await this.put('endpoints', endpoints, curEp, (c) => JSON.stringify(c.subsets ?? []) === JSON.stringify(endpoints.subsets));
  }

  private async put<R extends 'endpointslices' | 'endpoints'>(
    r: R,
    obj: R extends 'endpoints' ? Endpoints : EndpointSlice,
    cur: (R extends 'endpoints' ? Endpoints : EndpointSlice) | undefined,
    same: (c: R extends 'endpoints' ? Endpoints : EndpointSlice) => boolean,
  ): Promise<void> {
    try {
      if (!cur) await this.client.create(r, obj);
      else if (!same(cur)) await this.client.update(r, { ...obj, metadata: { ...cur.metadata, labels: obj.metadata?.labels } });
    } catch (err) {
      // Another dns server wrote first; the next round reads what it wrote.
      if (!isApiError(err, Reason.Conflict) && !isApiError(err, Reason.AlreadyExists)) throw err;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
