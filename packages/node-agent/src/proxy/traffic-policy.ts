// Which endpoints a connection may use, by traffic policy, as kube-proxy categorizes them:
// ready endpoints, or when none is ready the serving-and-terminating ones (so a rolling
// update or scale-down keeps answering), applied after the node filter of Local policies.
import type { EndpointInfo, ServicePortInfo } from './types.js';

/** Ready endpoints; when there are none, the ones still serving while terminating. */
export function usableOf(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

/** The usable endpoints of one node (Local traffic policy as seen from that node). */
export function usableOnNode(endpoints: readonly EndpointInfo[], node: string): EndpointInfo[] {
  return usableOf(endpoints.filter((e) => e.nodeName === node));
}

/** Whether the port has frontends for traffic from outside the cluster (NodePort, LoadBalancer IP, external IP). */
export function externallyReachable(info: ServicePortInfo): boolean {
  return info.nodePort !== undefined || info.loadBalancerIPs.length > 0 || info.externalIPs.length > 0;
}

/**
 * Every endpoint some frontend of the port could pick for some client: the Cluster set
 * or, for internalTrafficPolicy Local, the union of each node's Local set; plus this
 * node's Local set (or the Cluster set) for external frontends.
 */
export function reachableEndpoints(
  info: ServicePortInfo,
  endpoints: readonly EndpointInfo[],
  cluster: readonly EndpointInfo[],
  local: readonly EndpointInfo[],
): Map<string, EndpointInfo> {
  const out = new Map<string, EndpointInfo>();
  const add = (list: readonly EndpointInfo[]): void => {
    for (const e of list) out.set(e.key, e);
  };
  if (info.internalPolicyLocal) {
    const byNode = new Map<string, EndpointInfo[]>();
    for (const e of endpoints) {
      if (e.nodeName === undefined) continue;
      const l = byNode.get(e.nodeName);
      if (l === undefined) byNode.set(e.nodeName, [e]);
      else l.push(e);
    }
    for (const l of byNode.values()) add(usableOf(l));
  } else {
    add(cluster);
  }
  if (externallyReachable(info)) add(info.externalPolicyLocal ? local : cluster);
  return out;
}
