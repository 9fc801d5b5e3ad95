import type { Service } from '@kemu/api';

/**
 * What kube-apiserver does to a Service update before validating it: fill in values
 * the client left out but the stored Service already has, keep clusterIP and clusterIPs
 * in step, and drop fields that the new type no longer uses (only when the client left
 * them as they were, so a deliberate change still fails validation).
 */
export function prepareServiceUpdate(svc: Service, old: Service): void {
  patchAllocatedValues(svc, old);
  normalizeClusterIPs(svc, old);
  dropTypeDependentFields(svc, old);
}

const needsClusterIP = (s: Service): boolean => s.spec?.type !== 'ExternalName';
const needsNodePort = (s: Service): boolean => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';
const needsHCNodePort = (s: Service): boolean => s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';
const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i]);

function patchAllocatedValues(svc: Service, old: Service): void {
  const s = (svc.spec ??= {});
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!s.clusterIP && old.spec?.clusterIP) s.clusterIP = old.spec.clusterIP;
    if ((s.clusterIPs?.length ?? 0) === 0 && (old.spec?.clusterIPs?.length ?? 0) > 0) s.clusterIPs = [...old.spec!.clusterIPs!];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const inUse = (x: Service): Set<number> => new Set((x.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const oldUsed = inUse(old);
    const used = new Set([...inUse(svc)].filter((n) => oldUsed.has(n)));
    // Ports are matched by name; a value already used by another port is not reused.
    const byName = new Map((old.spec?.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of s.ports ?? []) {
      if (p.nodePort) continue;
      const v = byName.get(p.name ?? '') ?? 0;
      if (v && !used.has(v)) p.nodePort = v;
    }
  }
  if (needsHCNodePort(old) && needsHCNodePort(svc) && !s.healthCheckNodePort && old.spec?.healthCheckNodePort) {
    s.healthCheckNodePort = old.spec.healthCheckNodePort;
  }
}

function normalizeClusterIPs(svc: Service, old: Service): void {
  const s = (svc.spec ??= {});
  const o = old.spec ?? {};
  // An old client sent clusterIP only.
  if ((o.clusterIPs?.length ?? 0) > 0 && (s.clusterIPs?.length ?? 0) === 0 && o.clusterIP === s.clusterIP) s.clusterIPs = [...o.clusterIPs!];
  if ((o.clusterIP ?? '') !== (s.clusterIP ?? '')) {
    if (o.clusterIP && !s.clusterIP) {
      if (sameList(o.clusterIPs, s.clusterIPs)) delete s.clusterIPs;
    } else if (sameList(o.clusterIPs, s.clusterIPs)) {
      s.clusterIPs = [s.clusterIP ?? ''];
    }
  }
}

function dropTypeDependentFields(svc: Service, old: Service): void {
  const s = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if ((o.clusterIP ?? '') === (s.clusterIP ?? '') && sameList(o.clusterIPs, s.clusterIPs)) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (sameList(o.ipFamilies, s.ipFamilies)) delete s.ipFamilies;
    if (o.ipFamilyPolicy === s.ipFamilyPolicy) delete s.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    const oldPorts = new Set((o.ports ?? []).map((p) => p.nodePort ?? 0));
    if ((s.ports ?? []).every((p) => !p.nodePort || oldPorts.has(p.nodePort))) for (const p of s.ports ?? []) delete p.nodePort;
  }
  if (needsHCNodePort(old) && !needsHCNodePort(svc) && (o.healthCheckNodePort ?? 0) === (s.healthCheckNodePort ?? 0)) delete s.healthCheckNodePort;
  if (o.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts !== undefined && o.allocateLoadBalancerNodePorts === s.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if (o.loadBalancerClass === s.loadBalancerClass) delete s.loadBalancerClass;
  }
  if (needsNodePort(old) && !needsNodePort(svc) && o.externalTrafficPolicy === s.externalTrafficPolicy) delete s.externalTrafficPolicy;
  if (s.type !== 'LoadBalancer' && svc.status?.loadBalancer) svc.status.loadBalancer = {};
}
