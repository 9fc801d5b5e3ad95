import { indexers, Informer, type KubeClient, type ResourceName, type ResourceTypes } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Registry } from 'prom-client';

/** Time as the controllers see it; injected so tests drive a fake clock. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/**
 * One informer per resource for the whole process, shared by every controller that
 * needs it (as client-go's SharedInformerFactory): N controllers cost one watch.
 */
export class SharedInformers {
  private readonly informers = new Map<ResourceName, Informer<ResourceName>>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
  ) {}

  get<R extends ResourceName>(resource: R): Informer<R> {
    let inf = this.informers.get(resource) as Informer<R> | undefined;
    if (!inf) {
      inf = new Informer(this.client, resource, {
        onError: (err) => this.log.warn({ err, resource }, 'informer: relisting or rewatching'),
      });
      inf.addIndexer('namespace', indexers.namespace).addIndexer('labels', indexers.labels);
      const extra: Record<string, (o: ResourceTypes[R]) => string[]> = EXTRA_INDEXERS[resource] ?? {};
      for (const [name, fn] of Object.entries(extra)) inf.addIndexer(name, fn);
      this.informers.set(resource, inf);
      if (this.started) inf.start();
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}

/**
 * Indexes beyond namespace and labels, so that the controllers' hot lookups (the Services
 * selecting a pod, a Service's slices, a node's pods) never scan a whole cache.
 */
const EXTRA_INDEXERS: { [R in ResourceName]?: Record<string, (o: ResourceTypes[R]) => string[]> } = {
  services: {
    /** Under "<namespace>/<key>=<value>" for each selector term. */
    selector: (s) => Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${s.metadata?.namespace ?? ''}/${k}=${v}`),
  },
  endpointslices: {
    service: (s) => {
      const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
      return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
    },
  },
  pods: {
    node: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []),
  },
};

/** Node lifecycle timings (see node-lifecycle/README.md for the named presets). */
export interface NodeLifecycleSettings {
  /** How long a node Lease may go unrenewed before the node is Ready=Unknown. */
  gracePeriodMs: number;
  /** How long a NotReady/Unknown node keeps its pods before they are evicted. */
  evictionTimeoutMs: number;
  /** Evictions per second in a healthy zone, and in a partially disrupted one. */
  evictionRate: number;
  secondaryEvictionRate: number;
  /** Fraction of NotReady nodes at which a zone counts as partially disrupted. */
  unhealthyZoneThreshold: number;
}

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformers;
  log: Logger;
  clock: Clock;
  metrics: Registry;
  nodeLifecycle: NodeLifecycleSettings;
  /** LoadBalancer IP pool ("127.0.50.1-127.0.50.254" or CIDRs); empty: services stay pending. */
  loadBalancerPool: readonly string[];
}

/**
 * A controller: registers its informer handlers in its constructor, starts its workers in
 * start() (called once every informer has synced, and only while this replica leads),
 * and stops them in stop().
 */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
