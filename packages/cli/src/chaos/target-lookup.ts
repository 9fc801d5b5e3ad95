import type { KubeClient } from '@kemu/api';
import type { EtcdMembers } from './etcd-members.js';
import { lastStart } from './controller-manager-log.js';
import { processOfHolder, type EtcdMemberView, type TargetLookup } from './targets.js';

/** The controller-managers' leader-election Lease (their default --leader-elect-resource-*). */
export const CM_LEASE = { namespace: 'kube-system', name: 'kube-controller-manager' } as const;

export interface ClusterTargetLookupOptions {
  etcd: EtcdMembers;
  client: KubeClient;
  controllerManagers: ReadonlyArray<{ name: string; opsUrl: string }>;
  /** A process's log so far (where it logged its leader-election identity), if readable. */
  logOf: (name: string) => string | undefined;
}

/**
 * Resolves the aliases against a running cluster: the etcd leader from the members' own
 * status, the active controller-manager from the Lease holder, mapped to a process by the
 * identity each one logged at start (or, failing that, by the replica whose /metrics says
 * it leads).
 */
export class ClusterTargetLookup implements TargetLookup {
  constructor(private readonly o: ClusterTargetLookupOptions) {}

  etcdMembers(): Promise<EtcdMemberView[]> {
    return this.o.etcd.all();
  }

  identities(): Array<{ name: string; identity?: string }> {
    return this.o.controllerManagers.map((cm) => {
      const log = this.o.logOf(cm.name);
      const identity = log === undefined ? undefined : lastStart(log)?.identity;
      return identity === undefined ? { name: cm.name } : { name: cm.name, identity };
    });
  }

  async activeControllerManager(): Promise<{ name: string } | { error: string }> {
    let holder: string | undefined;
    try {
      const lease = await this.o.client.get('leases', CM_LEASE.namespace, CM_LEASE.name);
      holder = lease.spec?.holderIdentity || undefined;
    } catch (err) {
      return { error: `cannot read Lease ${CM_LEASE.namespace}/${CM_LEASE.name}: ${(err as Error).message}` };
    }
    if (holder === undefined) return { error: `Lease ${CM_LEASE.namespace}/${CM_LEASE.name} has no holder (an election is under way)` };
    const name = processOfHolder(holder, this.identities()) ?? (await this.leaderByMetrics());
    return name === undefined ? { error: `Lease holder "${holder}" is none of ${this.o.controllerManagers.map((c) => c.name).join(', ')}` } : { name };
  }

  /** The replica whose leader_election_master_status is 1. */
  private async leaderByMetrics(): Promise<string | undefined> {
    for (const cm of this.o.controllerManagers) {
      try {
        const res = await fetch(`${cm.opsUrl}/metrics`, { signal: AbortSignal.timeout(1_000) });
        const text = await res.text();
        if (/^leader_election_master_status\{[^}]*\} 1$/m.test(text)) return cm.name;
      } catch {
        // Unreachable: not the leader we can name.
      }
    }
    return undefined;
  }
}
