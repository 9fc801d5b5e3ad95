// Watches what the control plane does during a chaos run: Nodes, the target Service's
// EndpointSlices and Pods, and the controller-managers' election Lease through the
// apiserver (informers: list, then watch, resuming after a broken stream), and the etcd
// members' own status by polling (etcd has no watch of its Raft state).
import { setTimeout as sleep } from 'node:timers/promises';
import { Informer, type KubeClient, type Node, type Pod } from '@kemu/api';
import { EndpointTracker, EtcdTracker, leaseChanges, nodeChanges, podChanges } from './cluster-events.js';
import type { EtcdMembers } from './etcd-members.js';
import { CM_LEASE } from './target-lookup.js';
import type { TimelineEvent } from './timeline.js';

export interface ClusterWatchOptions {
  client: KubeClient;
  etcd: EtcdMembers;
  namespace: string;
  /** The target Service (its EndpointSlices carry kubernetes.io/service-name). */
  service: string;
  /** Label selector of the target Service's pods. */
  podSelector: string;
  etcdPollMs?: number;
  clock?: () => number;
}

/**
 * Records timeline events from the moment start() resolves: what the first lists return
 * is the baseline, not an event. Invariant: `events` is in the order events were seen.
 */
export class ClusterWatch {
  readonly events: TimelineEvent[] = [];
  readonly etcdTracker = new EtcdTracker();
  private live = false;
  private polling = false;
  private pollers: Promise<void>[] = [];
  private readonly clock: () => number;
  readonly nodes: Informer<'nodes'>;
  readonly pods: Informer<'pods'>;
  private readonly slices: Informer<'endpointslices'>;
  private readonly leases: Informer<'leases'>;
  private readonly endpoints: EndpointTracker;

  constructor(private readonly o: ClusterWatchOptions) {
    this.clock = o.clock ?? Date.now;
    this.endpoints = new EndpointTracker(`${o.namespace}/${o.service}`);
    const record = (evs: TimelineEvent[]): void => {
      if (this.live) this.events.push(...evs);
    };
    const now = (): number => this.clock();
    this.nodes = new Informer(o.client, 'nodes').on({
      add: (n) => record(nodeChanges(undefined, n, now())),
      update: (a, b) => record(nodeChanges(a, b, now())),
      delete: (n) => record(nodeChanges(n, undefined, now())),
    });
    this.pods = new Informer(o.client, 'pods', { namespace: o.namespace, labelSelector: o.podSelector }).on({
      add: (p) => record(podChanges(undefined, p, now())),
      update: (a, b) => record(podChanges(a, b, now())),
      delete: (p) => record(podChanges(p, undefined, now())),
    });
    // The tracker sees the first list too (it is the baseline the changes are measured from).
    this.slices = new Informer(o.client, 'endpointslices', { namespace: o.namespace, labelSelector: `kubernetes.io/service-name=${o.service}` }).on({
      add: (s) => record(this.endpoints.update(s.metadata?.name ?? '', s, now())),
      update: (_a, s) => record(this.endpoints.update(s.metadata?.name ?? '', s, now())),
      delete: (s) => record(this.endpoints.update(s.metadata?.name ?? '', undefined, now())),
    });
    const isCmLease = (name: string | undefined): boolean => name === CM_LEASE.name;
    this.leases = new Informer(o.client, 'leases', { namespace: CM_LEASE.namespace }).on({
      add: (l) => isCmLease(l.metadata?.name) && record(leaseChanges(undefined, l, now())),
      update: (a, b) => isCmLease(b.metadata?.name) && record(leaseChanges(a, b, now())),
      delete: (l) => isCmLease(l.metadata?.name) && record(leaseChanges(l, undefined, now())),
    });
  }

  /** Lists everything and polls etcd once, then records every change until stop(). */
  async start(timeoutMs = 30_000): Promise<void> {
    const informers = [this.nodes, this.pods, this.slices, this.leases];
    for (const i of informers) i.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the apiserver did not answer the first lists within ${timeoutMs / 1_000} s`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(informers.map((i) => i.waitForSync())), timeout]);
    } finally {
      clearTimeout(timer);
    }
    for (const v of await this.o.etcd.all()) this.etcdTracker.observe(v, this.clock());
    this.live = true;
    this.polling = true;
    this.pollers = this.o.etcd.members.map((m) => this.pollMember(m));
  }

  async stop(): Promise<void> {
    this.live = false;
    this.polling = false;
    for (const i of [this.nodes, this.pods, this.slices, this.leases]) i.stop();
    await Promise.all(this.pollers);
  }

  /** Ready endpoint addresses of the target Service now. */
  readyEndpoints(): string[] {
    return this.endpoints.readyAddresses();
  }

  readyNodes(): Node[] {
    return this.nodes.list((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  }

  /** The target's pods that are bound, not terminating and Ready. */
  readyPods(): Pod[] {
    return this.pods.list(
      (p) => !!p.spec?.nodeName && !p.metadata?.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
  }

  private async pollMember(m: { name: string; endpoint: string }): Promise<void> {
    const every = this.o.etcdPollMs ?? 250;
    while (this.polling) {
      const started = this.clock();
      const view = await this.o.etcd.status(m, 1_000);
      if (!this.polling) return;
      const evs = this.etcdTracker.observe(view, this.clock());
      if (this.live) this.events.push(...evs);
      const wait = started + every - this.clock();
      if (wait > 0) await sleep(wait);
    }
  }
}
