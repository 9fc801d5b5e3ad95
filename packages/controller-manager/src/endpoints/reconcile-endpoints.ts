import type { Endpoints, Pod, Service } from '@kemu/api';
import { isServiceIPSet, LABEL_HEADLESS, managesEndpoints } from '../endpointslice/service-pods.js';
import { stringMapsEqual } from '../endpointslice/slice-meta.js';
import { desiredSubsets, subsetsEqual, truncateSubsets } from './subsets.js';

/** Set on an Endpoints object whose addresses were cut to the capacity limit. */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints used as a leader-election lock (client-go's old resource lock): never deleted here. */
export const ANNOTATION_LEADER = 'control-plane.alpha.kubernetes.io/leader';

export type EndpointsAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'create'; readonly endpoints: Endpoints }
  | { readonly kind: 'update'; readonly endpoints: Endpoints }
  | { readonly kind: 'delete'; readonly namespace: string; readonly name: string };

/**
 * The Endpoints reconcile step for the Service `namespace/name`, after Kubernetes'
 * Endpoints controller. `service` and `current` are the cached Service and Endpoints
 * (undefined when absent); `pods` any pods (the selector is applied here).
 *
 * Contracts:
 * - A Service that is gone takes its Endpoints with it (as in Kubernetes, whoever wrote
 *   them), except the apiserver's `default/kubernetes` and leader-election locks.
 * - Endpoints of Services without a selector, and of ExternalName Services, are the
 *   user's: never written.
 * - The Endpoints carry the Service's labels (plus the headless marker when it has no
 *   cluster IP) and at most MAX_ENDPOINTS_CAPACITY addresses, annotated when cut.
 * - Nothing is written when the current object already says the same.
 */
export function reconcileEndpoints(
  namespace: string,
  name: string,
  service: Service | undefined,
  pods: readonly Pod[],
  current: Endpoints | undefined,
): EndpointsAction {
  if (namespace === 'default' && name === 'kubernetes') return { kind: 'none' };
  if (!service) {
    if (current?.metadata?.annotations?.[ANNOTATION_LEADER] !== undefined) return { kind: 'none' };
    return { kind: 'delete', namespace, name };
  }
  if (!managesEndpoints(service)) return { kind: 'none' };

  const desired = desiredSubsets(service, pods);
  const truncated = truncateSubsets(desired);
  const subsets = truncated ?? desired;

  const labels: Record<string, string> = { ...service.metadata?.labels };
  if (isServiceIPSet(service)) delete labels[LABEL_HEADLESS];
  else labels[LABEL_HEADLESS] = '';

  const annotations: Record<string, string> = { ...current?.metadata?.annotations };
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
  else delete annotations[ANNOTATION_OVER_CAPACITY];

  if (
    current &&
    subsetsEqual(current.subsets, subsets) &&
    stringMapsEqual(current.metadata?.labels, labels) &&
    stringMapsEqual(current.metadata?.annotations, annotations)
  ) {
    return { kind: 'none' };
  }

  if (current) {
    const endpoints = structuredClone(current);
    endpoints.metadata = { ...endpoints.metadata, labels, annotations };
    endpoints.subsets = subsets;
    return { kind: 'update', endpoints };
  }
  const endpoints: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace, labels, ...(truncated ? { annotations } : {}) },
    subsets,
  };
  return { kind: 'create', endpoints };
}
