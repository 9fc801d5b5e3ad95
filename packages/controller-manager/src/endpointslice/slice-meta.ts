import type { EndpointSlice, Service, discovery } from '@kemu/api';
import { isServiceIPSet, LABEL_HEADLESS } from './service-pods.js';

/** Endpoints per slice before another slice is started (kube-controller-manager's default). */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** kemu is IPv4-only: every slice this controller writes has this addressType. */
export const ADDRESS_TYPE = 'IPv4';
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

const RESERVED_LABELS = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

/** Whether this controller manages the slice (the slice's managed-by label names it). */
export function isManagedSlice(slice: EndpointSlice): boolean {
  return slice.metadata?.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME;
}

/** The "namespace/name" of the Service a slice belongs to, or undefined when unlabelled. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return svc ? `${slice.metadata?.namespace ?? ''}/${svc}` : undefined;
}

/**
 * A slice's labels: the Service's own labels (minus the reserved ones), the headless
 * marker when the Service has no cluster IP, the service-name and managed-by labels.
 */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (!RESERVED_LABELS.has(k)) labels[k] = v;
  }
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return labels;
}

export function stringMapsEqual(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ea = Object.entries(a ?? {});
  if (ea.length !== Object.keys(b ?? {}).length) return false;
  return ea.every(([k, v]) => Object.hasOwn(b ?? {}, k) && b?.[k] === v);
}

/** Whether the Service (this incarnation of it, by uid) is the slice's owner. */
export function isOwnedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some(
    (o) => o.kind === 'Service' && o.apiVersion === 'v1' && !!o.uid && o.uid === svc.metadata?.uid,
  );
}

/** A new, unnamed slice for the Service with the given ports (the apiserver names it from generateName). */
export function newSlice(svc: Service, ports: readonly discovery.EndpointPort[]): EndpointSlice {
  const name = svc.metadata?.name ?? '';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      namespace: svc.metadata?.namespace ?? '',
      labels: sliceLabels(svc),
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    addressType: ADDRESS_TYPE,
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}
