// The addresses one Service is reachable at on this node.
import { frontendKey, type Frontend, type FrontendKind, type Protocol, type ServicePortInfo } from './types.js';

/**
 * The frontends of one Service (namespace/name) given its ports: every cluster IP:port,
 * the NodePort on each node IP, each load-balancer IP:port and external IP:port, and for
 * a LoadBalancer with externalTrafficPolicy Local a TCP health-check frontend on each
 * node IP. One entry per key (the first wins), in a stable order.
 */
export function serviceFrontends(service: string, ports: readonly ServicePortInfo[], nodeIPs: readonly string[]): Frontend[] {
  const out = new Map<string, Frontend>();
  const add = (protocol: Protocol, ip: string, port: number, kind: FrontendKind, servicePort: string): void => {
    const key = frontendKey(protocol, ip, port);
    if (!out.has(key)) out.set(key, { key, ip, port, protocol, kind, servicePort });
  };
  let healthCheckNodePort: number | undefined;
  for (const sp of ports) {
    for (const ip of sp.clusterIPs) add(sp.protocol, ip, sp.port, 'cluster-ip', sp.key);
    if (sp.nodePort !== undefined) for (const ip of nodeIPs) add(sp.protocol, ip, sp.nodePort, 'node-port', sp.key);
    for (const ip of sp.loadBalancerIPs) add(sp.protocol, ip, sp.port, 'load-balancer', sp.key);
    for (const ip of sp.externalIPs) add(sp.protocol, ip, sp.port, 'external-ip', sp.key);
    healthCheckNodePort ??= healthCheckPortOf(sp);
  }
  if (healthCheckNodePort !== undefined) {
    for (const ip of nodeIPs) add('TCP', ip, healthCheckNodePort, 'health-check', service);
  }
  return [...out.values()];
}

/** The health-check node port kube-proxy serves for this port's Service, if any. */
export function healthCheckPortOf(sp: ServicePortInfo): number | undefined {
  return sp.type === 'LoadBalancer' && sp.externalPolicyLocal ? sp.healthCheckNodePort : undefined;
}

export function sameFrontend(a: Frontend, b: Frontend): boolean {
  return a.key === b.key && a.kind === b.kind && a.servicePort === b.servicePort;
}
