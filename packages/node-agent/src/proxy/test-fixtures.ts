// Builders for the Services and EndpointSlices the proxy tests feed the table.
import type { EndpointSlice, Service } from '@kemu/api';
import type { core, discovery } from '@kemu/api';

export interface SvcOptions {
  type?: string;
  clusterIP?: string;
  ports?: core.ServicePort[];
  externalIPs?: string[];
  lbIPs?: string[];
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  affinitySeconds?: number;
  affinity?: boolean;
}

export function svc(ns: string, name: string, o: SvcOptions = {}): Service {
  const s: Service = {
    metadata: { namespace: ns, name },
    spec: {
      type: o.type ?? 'ClusterIP',
      clusterIP: o.clusterIP ?? '127.96.0.10',
      ports: o.ports ?? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  };
  const spec = s.spec ?? {};
  if (o.externalIPs) spec.externalIPs = o.externalIPs;
  if (o.externalTrafficPolicy) spec.externalTrafficPolicy = o.externalTrafficPolicy;
  if (o.internalTrafficPolicy) spec.internalTrafficPolicy = o.internalTrafficPolicy;
  if (o.healthCheckNodePort) spec.healthCheckNodePort = o.healthCheckNodePort;
  if (o.affinity || o.affinitySeconds !== undefined) {
    spec.sessionAffinity = 'ClientIP';
    if (o.affinitySeconds !== undefined) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: o.affinitySeconds } };
  }
  if (o.lbIPs) s.status = { loadBalancer: { ingress: o.lbIPs.map((ip) => ({ ip })) } };
  return s;
}

export interface EpOptions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  node?: string;
  pod?: string;
}

export function ep(ip: string, o: EpOptions = {}): discovery.Endpoint {
  const e: discovery.Endpoint = { addresses: [ip], conditions: {} };
  const c = e.conditions ?? {};
  if (o.ready !== undefined) c.ready = o.ready;
  if (o.serving !== undefined) c.serving = o.serving;
  if (o.terminating !== undefined) c.terminating = o.terminating;
  if (o.node !== undefined) e.nodeName = o.node;
  if (o.pod !== undefined) e.targetRef = { kind: 'Pod', name: o.pod };
  return e;
}

export function slice(
  ns: string,
  service: string,
  name: string,
  endpoints: discovery.Endpoint[],
  ports: discovery.EndpointPort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  extra: { addressType?: string; annotations?: Record<string, string> } = {},
): EndpointSlice {
  const s: EndpointSlice = {
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: extra.addressType ?? 'IPv4',
    endpoints,
    ports,
  };
  if (extra.annotations && s.metadata) s.metadata.annotations = extra.annotations;
  return s;
}
