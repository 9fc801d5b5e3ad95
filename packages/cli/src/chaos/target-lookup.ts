import type { KubeClient } from '@kemu/api';
import type { EtcdMembers } from './etcd-members.js';
import type { EtcdMemberView, TargetLookup } from './targets.js';

/** The controller-managers' leader-election Lease (their default --leader-elect-resource-*). */
export const CM_LEASE = { namespace: 'kube-system', name: 'kube-controller-manager' } as const;

export interface ClusterTargetLookupOptions {
  etcd: EtcdMembers;
  client: KubeClient;
  /** Started with --leader-elect-identity set to their name, so the Lease holder is one of these. */
  controllerManagers: ReadonlyArray<{ name: string }>;
}

/**
 * Resolves the aliases against a running cluster: the etcd leader from the members' own
 * status, the active controller-manager from the holder of the election Lease.
 */
export class ClusterTargetLookup implements TargetLookup {
  constructor(private readonly o: ClusterTargetLookupOptions) {}

  etcdMembers(): Promise<EtcdMemberView[]> {
    return this.o.etcd.all();
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
    const names = this.o.controllerManagers.map((c) => c.name);
    return names.includes(holder) ? { name: holder } : { error: `Lease holder "${holder}" is none of ${names.join(', ')}` };
  }
}
