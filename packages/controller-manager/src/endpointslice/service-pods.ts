import { isIPv4 } from 'node:net';
import { selectorFromMap, type Informer, type Pod, type Service, type ServicePort } from '@kemu/api';

/**
 * What the EndpointSlice and Endpoints controllers agree on about a Service and the pods
 * behind it, as Kubernetes' endpointslice utilities define it.
 */

export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
/** Set (to "") on the endpoints objects of a Service without a cluster IP. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

/**
 * Whether the endpoints controllers own this Service's endpoints: it selects pods and is
 * not ExternalName. An empty selector counts as none (Kubernetes stores `selector: {}`
 * as protobuf, which reads back as no selector). The `kubernetes` Service in `default`
 * is the apiserver's own.
 */
export function managesEndpoints(svc: Service): boolean {
  if (svc.metadata?.namespace === 'default' && svc.metadata.name === 'kubernetes') return false;
  if (svc.spec?.type === 'ExternalName') return false;
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** The pods of `pods` that `svc` selects: same namespace, labels matching the selector. */
export function selectedPods(svc: Service, pods: readonly Pod[]): Pod[] {
  const selector = selectorFromMap(svc.spec?.selector);
  const ns = svc.metadata?.namespace ?? '';
  return pods.filter((p) => (p.metadata?.namespace ?? '') === ns && selector.matches(p.metadata?.labels));
}

export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isPodTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

/** The pod's IPv4 addresses (podIPs, or podIP when podIPs is empty). */
export function podIPv4s(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip ?? '').filter((ip) => ip !== '');
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => isIPv4(ip));
}

/**
 * Whether a pod may appear in a Service's endpoints at all: it is not terminal
 * (Succeeded/Failed), has an IP, is scheduled, and is not terminating unless
 * `includeTerminating`.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  if (!pod.spec?.nodeName) return false;
  if (!includeTerminating && isPodTerminating(pod)) return false;
  return true;
}

/** A pod gets a DNS hostname in a Service when its hostname is set and its subdomain is the Service. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return (
    !!pod.spec?.hostname &&
    pod.spec.subdomain === svc.metadata?.name &&
    (pod.metadata?.namespace ?? '') === (svc.metadata?.namespace ?? '')
  );
}

export function portProtocol(p: { protocol?: string }): string {
  return p.protocol || 'TCP';
}

/**
 * The pod port a Service port sends to: a numeric targetPort as is (unset means the
 * Service port), a named one looked up among the pod's container ports with the same
 * protocol. Undefined when the name matches no container port: the pod then lacks that
 * port in its endpoints.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort;
  if (typeof target === 'string' && target !== '') {
    for (const c of pod.spec?.containers ?? []) {
      for (const cp of c.ports ?? []) {
        if (cp.name === target && portProtocol(cp) === portProtocol(sp) && cp.containerPort) return cp.containerPort;
      }
    }
    return undefined;
  }
  if (typeof target === 'number' && target > 0) return target;
  return sp.port || undefined;
}

/**
 * Whether a pod update can change any Service's endpoints: its labels, IPs, readiness,
 * phase, deletion, node, hostname/subdomain or container ports. Status-only noise (a
 * container restart count, a probe time) does not.
 */
export function podChangeAffectsEndpoints(old: Pod, pod: Pod): boolean {
  return JSON.stringify(endpointView(old)) !== JSON.stringify(endpointView(pod));
}

function endpointView(p: Pod): unknown[] {
  return [
    p.metadata?.uid ?? '',
    Object.entries(p.metadata?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    p.metadata?.deletionTimestamp ?? '',
    p.spec?.nodeName ?? '',
    p.spec?.hostname ?? '',
    p.spec?.subdomain ?? '',
    (p.spec?.containers ?? []).map((c) => (c.ports ?? []).map((cp) => [cp.name ?? '', cp.containerPort ?? 0, portProtocol(cp)])),
    p.status?.phase ?? '',
    p.status?.podIP ?? '',
    (p.status?.podIPs ?? []).map((x) => x.ip ?? ''),
    isPodReady(p),
  ];
}

/** The Services (of `services`) whose endpoints include any of these versions of pods. */
export function servicesSelecting(services: readonly Service[], pods: readonly Pod[]): Service[] {
  return services.filter((svc) => {
    if (!managesEndpoints(svc)) return false;
    const selector = selectorFromMap(svc.spec?.selector);
    const ns = svc.metadata?.namespace ?? '';
    return pods.some((p) => (p.metadata?.namespace ?? '') === ns && selector.matches(p.metadata?.labels));
  });
}

/**
 * The Services that select any of these (versions of) pods, found through the services
 * informer's `selector` index (see SharedInformers): only Services sharing a label
 * term with a pod are checked.
 */
export function servicesSelectingPods(services: Informer<'services'>, pods: readonly Pod[]): Service[] {
  const candidates = new Map<string, Service>();
  for (const p of pods) {
    const ns = p.metadata?.namespace ?? '';
    for (const [k, v] of Object.entries(p.metadata?.labels ?? {})) {
      for (const s of services.byIndex('selector', `${ns}/${k}=${v}`)) candidates.set(`${ns}/${s.metadata?.name ?? ''}`, s);
    }
  }
  return servicesSelecting([...candidates.values()], pods);
}
