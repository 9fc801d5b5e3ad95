import type { ClusterPlan } from '../plan.js';

/** The kinds of process a local cluster has (the same names as `kemu up --components`). */
export type ProcessKind = 'etcd' | 'apiserver' | 'controller-manager' | 'dns' | 'node';

export interface RosterEntry {
  name: string;
  kind: ProcessKind;
  /** http://host:port of its /healthz, /readyz and /metrics. */
  opsUrl: string;
}

/** Every process of a plan, in start order: etcd, apiservers, controller-managers, dns, nodes. */
export function roster(plan: ClusterPlan): RosterEntry[] {
  return [
    ...plan.etcd.map((m) => ({ name: m.name, kind: 'etcd' as const, opsUrl: m.metricsUrl })),
    ...plan.apiservers.map((a) => ({ name: a.name, kind: 'apiserver' as const, opsUrl: a.opsUrl })),
    ...plan.controllerManagers.map((c) => ({ name: c.name, kind: 'controller-manager' as const, opsUrl: c.opsUrl })),
    ...plan.dns.map((d) => ({ name: d.name, kind: 'dns' as const, opsUrl: d.opsUrl })),
    ...plan.nodes.map((n) => ({ name: n.name, kind: 'node' as const, opsUrl: n.opsUrl })),
  ];
}
