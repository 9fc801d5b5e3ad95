import type { core, Pod, Service } from '@kemu/api';
import {
  findPort,
  isPodReady,
  podIPv4s,
  portProtocol,
  selectedPods,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from '../endpointslice/service-pods.js';

type EndpointAddress = core.EndpointAddress;
type EndpointPort = core.EndpointPort;
type EndpointSubset = core.EndpointSubset;

/** Addresses one Endpoints object holds at most (kube-controller-manager's limit). */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/** One (address, port) pair a pod offers; `port` undefined for a headless Service without ports. */
interface Offer {
  readonly address: EndpointAddress;
  readonly ready: boolean;
  readonly port: EndpointPort | undefined;
}

/**
 * The subsets of a Service's Endpoints, repacked and sorted. Ready pods go to
 * `addresses`, others to `notReadyAddresses`; terminating pods are left out unless the
 * Service publishes not-ready addresses, which also makes every address ready.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses ?? false;
  const servicePorts = svc.spec?.ports ?? [];
  const offers: Offer[] = [];
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const [ip] = podIPv4s(pod);
    if (!ip) continue;
    const address: EndpointAddress = {
      ip,
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        uid: pod.metadata?.uid ?? '',
      },
    };
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    if (shouldSetHostname(pod, svc)) address.hostname = pod.spec?.hostname ?? '';
    const ready = publish || isPodReady(pod);
    if (servicePorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') offers.push({ address, ready, port: undefined });
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: portProtocol(sp) };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      offers.push({ address, ready, port: ep });
    }
  }
  return repack(offers);
}

/**
 * Kubernetes' RepackSubsets: each port maps to the set of addresses offering it (an
 * address counts as ready if any of its offers is); ports with identical address sets
 * share one subset. The result is sorted: subsets by ports then addresses, addresses by
 * IP then pod uid, ports by name, number and protocol.
 */
function repack(offers: readonly Offer[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const o of offers) {
    const ak = addressKey(o.address);
    if (!addresses.has(ak)) addresses.set(ak, o.address);
    const pk = o.port ? portKey(o.port) : '';
    let entry = byPort.get(pk);
    if (!entry) {
      entry = { port: o.port, ready: new Map() };
      byPort.set(pk, entry);
    }
    entry.ready.set(ak, (entry.ready.get(ak) ?? false) || o.ready);
  }

  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, boolean> }>();
  for (const { port, ready } of byPort.values()) {
    const setKey = JSON.stringify([...ready].sort(([a], [b]) => cmp(a, b)));
    let g = groups.get(setKey);
    if (!g) {
      g = { ports: [], ready };
      groups.set(setKey, g);
    }
    if (port) g.ports.push(port);
  }

  const subsets: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, isReady] of g.ready) (isReady ? ready : notReady).push(addresses.get(ak)!);
    subsets.push(subset(ready.sort(compareAddresses), notReady.sort(compareAddresses), g.ports.sort(comparePorts)));
  }
  return subsets.sort(compareSubsets);
}

/**
 * Caps the subsets at `max` addresses in all (Kubernetes' truncateEndpoints): not-ready
 * addresses go first; if the ready ones alone exceed the cap, all not-ready ones go and
 * the ready ones are cut. Each subset keeps a share proportional to its size, rounded
 * up, until the cap is reached. Returns undefined when nothing needs cutting.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): EndpointSubset[] | undefined {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= max) return undefined;
  const cutReady = totalReady > max;
  const budget = cutReady ? max : max - totalReady;
  const total = cutReady ? totalReady : totalNotReady;
  let left = budget;
  return subsets.map((s) => {
    const ready = s.addresses ?? [];
    const notReady = s.notReadyAddresses ?? [];
    const share = Math.min(left, Math.ceil(((cutReady ? ready : notReady).length / total) * budget));
    const keptReady = cutReady ? ready.slice(0, share) : ready;
    const keptNotReady = cutReady ? [] : notReady.slice(0, share);
    left -= cutReady ? keptReady.length : keptNotReady.length;
    return subset(keptReady, keptNotReady, s.ports ?? []);
  });
}

/**
 * Whether two subset lists say the same thing, ignoring how absent and empty fields are
 * spelled and the pods' resourceVersions.
 */
export function subsetsEqual(a: readonly EndpointSubset[] | undefined, b: readonly EndpointSubset[] | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(subsets: readonly EndpointSubset[] | undefined): unknown {
  const addr = (a: EndpointAddress): unknown[] => [
    a.ip ?? '',
    a.hostname ?? '',
    a.nodeName ?? '',
    a.targetRef?.kind ?? '',
    a.targetRef?.namespace ?? '',
    a.targetRef?.name ?? '',
    a.targetRef?.uid ?? '',
  ];
  return (subsets ?? []).map((s) => [
    (s.addresses ?? []).map(addr),
    (s.notReadyAddresses ?? []).map(addr),
    (s.ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, portProtocol(p), p.appProtocol ?? '']),
  ]);
}

function subset(ready: EndpointAddress[], notReady: EndpointAddress[], ports: EndpointPort[]): EndpointSubset {
  const s: EndpointSubset = {};
  if (ready.length > 0) s.addresses = ready;
  if (notReady.length > 0) s.notReadyAddresses = notReady;
  if (ports.length > 0) s.ports = ports;
  return s;
}

const addressKey = (a: EndpointAddress): string => `${a.ip ?? ''}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort): string => JSON.stringify([p.name ?? '', p.port ?? 0, portProtocol(p), p.appProtocol ?? '']);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return cmp(a.ip ?? '', b.ip ?? '') || cmp(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return cmp(a.name ?? '', b.name ?? '') || (a.port ?? 0) - (b.port ?? 0) || cmp(portProtocol(a), portProtocol(b));
}

function compareSubsets(a: EndpointSubset, b: EndpointSubset): number {
  const key = (s: EndpointSubset): string =>
    JSON.stringify([(s.ports ?? []).map(portKey), [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])].map(addressKey)]);
  return cmp(key(a), key(b));
}
