// Shared shapes of the proxy core: API objects shrunk to what forwarding needs, and the
// frontends (address:port listeners) the data plane opens.

export type Protocol = 'TCP' | 'UDP';

export type Algorithm = 'random' | 'round-robin' | 'least-connections';

export type FrontendKind = 'cluster-ip' | 'node-port' | 'load-balancer' | 'external-ip' | 'health-check';

/**
 * One port of one Service, shrunk from the API object.
 * key = `${namespace}/${name}:${portName}/${protocol}` (portName '' when unnamed).
 */
export interface ServicePortInfo {
  key: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** IPv4 cluster IPs only; never empty (headless Services have no ServicePortInfo). */
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  loadBalancerIPs: string[];
  externalIPs: string[];
  /** Set iff sessionAffinity is ClientIP; defaults to 10800. */
  affinityTimeoutSeconds?: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  healthCheckNodePort?: number;
}

/** One endpoint of one service port. key = `${ip}:${port}`. */
export interface EndpointInfo {
  key: string;
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  zone?: string;
  /** targetRef as namespace/name. */
  pod?: string;
}

/**
 * An address:port the data plane listens on.
 * key = `${protocol}/${ip}:${port}`; servicePort = ServicePortInfo.key, except for
 * health-check frontends where it is the Service's namespace/name.
 */
export interface Frontend {
  key: string;
  ip: string;
  port: number;
  protocol: Protocol;
  kind: FrontendKind;
  servicePort: string;
}

export function frontendKey(protocol: Protocol, ip: string, port: number): string {
  return `${protocol}/${ip}:${port}`;
}

export function servicePortKey(namespace: string, name: string, portName: string, protocol: Protocol): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}
