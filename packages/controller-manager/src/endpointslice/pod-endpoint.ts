import type { discovery, Pod, Service } from '@kemu/api';
import {
  findPort,
  isPodReady,
  isPodTerminating,
  podIPv4s,
  portProtocol,
  shouldSetHostname,
} from './service-pods.js';

type Endpoint = discovery.Endpoint;
type EndpointPort = discovery.EndpointPort;

/**
 * The ports a pod serves for a Service, one per Service port whose targetPort resolves
 * on this pod. Pods that resolve differently get different port sets and so land in
 * different slices.
 */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', protocol: portProtocol(sp), port };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** Identifies a set of ports regardless of order; slices are grouped by it. */
export function portSetKey(ports: readonly EndpointPort[] | undefined): string {
  return (ports ?? [])
    .map((p) => JSON.stringify([p.name ?? '', portProtocol(p), p.port ?? 0, p.appProtocol ?? '']))
    .sort()
    .join(',');
}

/**
 * The endpoint for a pod (its IPv4 addresses must be non-empty for it to be used).
 * Conditions: serving = pod Ready; terminating = deletionTimestamp set; ready = serving
 * and not terminating. publishNotReadyAddresses makes ready and serving true.
 */
export function podToEndpoint(pod: Pod, svc: Service, zone: string | undefined): Endpoint {
  const publish = svc.spec?.publishNotReadyAddresses ?? false;
  const terminating = isPodTerminating(pod);
  const serving = publish || isPodReady(pod);
  const ready = publish || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPv4s(pod),
    conditions: { ready, serving, terminating },
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
    },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec?.hostname ?? '';
  return ep;
}

/**
 * An endpoint's identity across syncs: its addresses, hostname and pod. Two endpoints
 * with the same key are the same endpoint, possibly in different states.
 */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([
    [...(ep.addresses ?? [])].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace ?? '',
    ep.targetRef?.name ?? '',
  ]);
}

/** Whether two endpoints with the same key differ in anything the controller writes. */
export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  return (
    endpointKey(a) === endpointKey(b) &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    (a.targetRef?.kind ?? '') === (b.targetRef?.kind ?? '') &&
    (a.targetRef?.uid ?? '') === (b.targetRef?.uid ?? '')
  );
}

/** Orders endpoints by pod (namespace, name), then address: the order new endpoints are placed in. */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const ka = `${a.targetRef?.namespace ?? ''}/${a.targetRef?.name ?? ''}`;
  const kb = `${b.targetRef?.namespace ?? ''}/${b.targetRef?.name ?? ''}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  const ea = endpointKey(a);
  const eb = endpointKey(b);
  return ea < eb ? -1 : ea > eb ? 1 : 0;
}
