import { makePlan, type ClusterPlan, type PlanOptions } from '../plan.js';

/**
 * What a `kemu up` on a state dir that already holds a cluster asked for differently.
 * The saved plan wins (the data in the state dir belongs to it); each returned line says
 * which flag is ignored and what the cluster has instead. Only flags the user gave count.
 */
export function planDifferences(saved: ClusterPlan, given: PlanOptions): string[] {
  const out: string[] = [];
  if (given.block !== undefined && given.block !== saved.block) {
    out.push(`--address-block ${given.block} ignored: the cluster uses ${saved.block}`);
  }
  if (given.etcdIpPrefix !== undefined && given.etcdIpPrefix !== saved.etcdIpPrefix) {
    out.push(`--etcd-ip-prefix ${given.etcdIpPrefix} ignored: the members are on ${saved.etcdIpPrefix}.1-3`);
  }
  if (given.nodes !== undefined && given.nodes !== saved.nodes.length) {
    out.push(`--nodes ${given.nodes} ignored: the cluster has ${saved.nodes.length}`);
  }
  if (given.zones !== undefined) {
    const wanted = makePlan({ nodes: saved.nodes.length, zones: given.zones }).nodes.map((n) => n.zone);
    const has = saved.nodes.map((n) => n.zone);
    if (wanted.join(',') !== has.join(',')) {
      out.push(`--zones ${given.zones} ignored: the nodes are in ${[...new Set(has)].join(', ')}`);
    }
  }
  if (given.apiservers !== undefined && given.apiservers !== saved.apiservers.length) {
    out.push(`--apiservers ${given.apiservers} ignored: the cluster has ${saved.apiservers.length}`);
  }
  if (given.profile !== undefined && given.profile !== saved.profile) {
    out.push(`--profile ${given.profile} ignored: the cluster runs ${saved.profile}`);
  }
  return out;
}
