import type { discovery, EndpointSlice, Pod, Service } from '@kemu/api';
import { compareEndpoints, endpointKey, endpointPorts, endpointsEqual, podToEndpoint, portSetKey } from './pod-endpoint.js';
import { managesEndpoints, selectedPods, shouldPodBeInEndpoints } from './service-pods.js';
import {
  ADDRESS_TYPE,
  isOwnedBy,
  stringMapsEqual,
  MAX_ENDPOINTS_PER_SLICE,
  newSlice,
  sliceLabels,
} from './slice-meta.js';

type Endpoint = discovery.Endpoint;

/** What to write so that a Service's slices match its pods. Empty lists: nothing to do. */
export interface SliceChanges {
  /** New slices, unnamed (metadata.generateName set). */
  create: EndpointSlice[];
  /** Existing slices with new contents, keeping their name and resourceVersion. */
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

interface PortGroup {
  readonly ports: discovery.EndpointPort[];
  readonly endpoints: Map<string, Endpoint>;
}

/**
 * The EndpointSlice reconcile step, after Kubernetes' reconciler: given a Service, the
 * pods (any; the Service's selector and namespace are applied here), the zone of every
 * known node ("" when unlabelled) and the slices this controller manages for the
 * Service, returns the writes that bring the slices in step with the pods.
 *
 * Contracts:
 * - Churn is minimal: an endpoint stays in the slice it is in; a slice is written only
 *   when an endpoint in it changed or left, when its labels changed, or when it is
 *   filled with new endpoints; new endpoints go first into slices being written anyway,
 *   then into the one unchanged slice they fit best, then into new slices.
 * - Every slice holds at most `maxEndpointsPerSlice` endpoints, all with one port set.
 * - Slices left empty are deleted, but a Service without endpoints keeps exactly one
 *   empty "placeholder" slice (no ports), as in Kubernetes.
 * - A create paired with a delete becomes an update of the slice being deleted.
 * - Nothing is created for a Service being deleted, and nothing at all for a Service
 *   whose endpoints this controller does not own (no selector, ExternalName).
 * - Pods on a node missing from `nodesZoneByName` are left out (unless the Service
 *   publishes not-ready addresses), as Kubernetes does for a node it cannot find.
 */
export function reconcileSlices(
  service: Service,
  pods: readonly Pod[],
  nodesZoneByName: ReadonlyMap<string, string>,
  existingSlices: readonly EndpointSlice[],
  maxEndpointsPerSlice: number = MAX_ENDPOINTS_PER_SLICE,
): SliceChanges {
  if (!managesEndpoints(service)) return { create: [], update: [], delete: [] };

  let toCreate: EndpointSlice[] = [];
  const toUpdate: EndpointSlice[] = [];
  let toDelete: EndpointSlice[] = [];

  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of [...existingSlices].sort(byName)) {
    if (slice.addressType !== ADDRESS_TYPE || !isOwnedBy(slice, service)) {
      toDelete.push(slice);
      continue;
    }
    const key = portSetKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }

  const desired = desiredEndpoints(service, pods, nodesZoneByName);
  for (const [key, group] of [...desired].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const r = reconcilePortGroup(service, existingByPorts.get(key) ?? [], group, maxEndpointsPerSlice);
    toCreate.push(...r.create);
    toUpdate.push(...r.update);
    toDelete.push(...r.delete);
  }
  for (const [key, slices] of existingByPorts) {
    if (!desired.has(key)) toDelete.push(...slices);
  }

  if (toCreate.length === 0 && toDelete.length === existingSlices.length) {
    const placeholder = newSlice(service, []);
    const [only] = toDelete;
    if (toDelete.length === 1 && only && isPlaceholderFor(only, placeholder, service)) toDelete = [];
    else toCreate.push(placeholder);
  }

  for (let i = 0; i < toDelete.length && toCreate.length > 0; ) {
    const old = toDelete[i]!;
    if (old.addressType === ADDRESS_TYPE && isOwnedBy(old, service)) {
      toUpdate.push(reuse(old, toCreate.pop()!));
      toDelete.splice(i, 1);
    } else {
      i++;
    }
  }

  if (service.metadata?.deletionTimestamp) toCreate = [];
  return { create: toCreate, update: toUpdate, delete: toDelete };
}

/** Endpoints added and removed across the Service's slices if `changes` are applied. */
export function countEndpointChanges(
  existingSlices: readonly EndpointSlice[],
  changes: SliceChanges,
): { added: number; removed: number } {
  const keysOf = (slices: readonly EndpointSlice[]): Set<string> =>
    new Set(slices.flatMap((s) => (s.endpoints ?? []).map(endpointKey)));
  const touched = new Set([...changes.update, ...changes.delete].map((s) => s.metadata?.name));
  const before = keysOf(existingSlices);
  const after = keysOf([
    ...existingSlices.filter((s) => !touched.has(s.metadata?.name)),
    ...changes.update,
    ...changes.create,
  ]);
  return {
    added: [...after].filter((k) => !before.has(k)).length,
    removed: [...before].filter((k) => !after.has(k)).length,
  };
}

/** The endpoints the Service should have, grouped by the port set each pod resolves to. */
function desiredEndpoints(
  service: Service,
  pods: readonly Pod[],
  nodesZoneByName: ReadonlyMap<string, string>,
): Map<string, PortGroup> {
  const publish = service.spec?.publishNotReadyAddresses ?? false;
  const groups = new Map<string, PortGroup>();
  for (const pod of selectedPods(service, pods)) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const zone = nodesZoneByName.get(pod.spec?.nodeName ?? '');
    if (zone === undefined && !publish) continue;
    const ep = podToEndpoint(pod, service, zone);
    if ((ep.addresses ?? []).length === 0) continue;
    const ports = endpointPorts(service, pod);
    const key = portSetKey(ports);
    let group = groups.get(key);
    if (!group) {
      group = { ports, endpoints: new Map() };
      groups.set(key, group);
    }
    group.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/** Reconciles the slices of one port set (Kubernetes' reconcileByPortMapping). */
function reconcilePortGroup(
  service: Service,
  slices: readonly EndpointSlice[],
  group: PortGroup,
  max: number,
): SliceChanges {
  const labels = sliceLabels(service);
  const remaining = new Map(group.endpoints);
  const update: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];

  // 1. Drop endpoints no longer desired, refresh the ones that changed.
  for (const slice of slices) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = remaining.get(key);
      if (!want) continue;
      kept.push(want);
      remaining.delete(key);
      if (!endpointsEqual(want, ep)) changed = true;
    }
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) del.push(slice);
      else update.push(withContents(slice, kept, labels));
    } else if (!stringMapsEqual(slice.metadata?.labels, labels)) {
      update.push(withContents(slice, kept, labels));
    } else {
      unchanged.push(slice);
    }
  }

  const queue = [...remaining.values()].sort(compareEndpoints);
  let next = 0;
  const fill = (slice: EndpointSlice): void => {
    const eps = (slice.endpoints ??= []);
    while (next < queue.length && eps.length < max) eps.push(queue[next++]!);
  };

  // 2. Fill the slices being written anyway, fullest first.
  if (queue.length > 0) {
    const byFullness = [...update].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0) || byName(a, b));
    for (const slice of byFullness) fill(slice);
  }

  // 3. Put what is left into the unchanged slice it fits best, else into new slices.
  const create: EndpointSlice[] = [];
  while (next < queue.length) {
    const left = queue.length - next;
    const best = left < max ? sliceToFill(unchanged, left, max) : undefined;
    if (best) {
      unchanged.splice(unchanged.indexOf(best), 1);
      const copy = withContents(best, [...(best.endpoints ?? [])], labels);
      fill(copy);
      update.push(copy);
    } else {
      const slice = newSlice(service, group.ports);
      fill(slice);
      create.push(slice);
    }
  }
  return { create, update, delete: del };
}

/** The slice that ends closest to full after taking `n` more endpoints, if any can take them all. */
function sliceToFill(slices: readonly EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestRoom = max;
  for (const s of slices) {
    const room = max - n - (s.endpoints?.length ?? 0);
    if (room >= 0 && room < bestRoom) {
      best = s;
      bestRoom = room;
    }
  }
  return best;
}

function withContents(slice: EndpointSlice, endpoints: Endpoint[], labels: Record<string, string>): EndpointSlice {
  const copy = structuredClone(slice);
  copy.metadata = { ...copy.metadata, labels: { ...labels } };
  copy.endpoints = endpoints;
  return copy;
}

/** `fresh`'s contents written over `old`: old's identity (name, uid, resourceVersion) kept. */
function reuse(old: EndpointSlice, fresh: EndpointSlice): EndpointSlice {
  return {
    ...fresh,
    metadata: {
      ...structuredClone(old.metadata ?? {}),
      labels: fresh.metadata?.labels ?? {},
      ownerReferences: fresh.metadata?.ownerReferences ?? [],
    },
  };
}

function isPlaceholderFor(slice: EndpointSlice, placeholder: EndpointSlice, service: Service): boolean {
  return (
    slice.addressType === placeholder.addressType &&
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0 &&
    (slice.metadata?.namespace ?? '') === (placeholder.metadata?.namespace ?? '') &&
    stringMapsEqual(slice.metadata?.labels, placeholder.metadata?.labels) &&
    isOwnedBy(slice, service)
  );
}

function byName(a: EndpointSlice, b: EndpointSlice): number {
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
