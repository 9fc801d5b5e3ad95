import { RESOURCES, type ObjectMeta, type OwnerReference, type ResourceName } from '@kemu/api';

/** The resources whose objects the collector watches as possible dependents and owners. */
export const WATCHED_RESOURCES = ['pods', 'replicasets', 'deployments', 'endpointslices', 'endpoints', 'services'] as const;
export type WatchedResource = (typeof WATCHED_RESOURCES)[number];

/** One object the collector may act on, as a queue key `<resource>/<namespace>/<name>`. */
export interface ItemRef {
  readonly resource: WatchedResource;
  readonly namespace: string;
  readonly name: string;
}

export function itemKey(resource: WatchedResource, meta: ObjectMeta | undefined): string {
  return `${resource}/${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

export function isWatchedResource(resource: string): resource is WatchedResource {
  return (WATCHED_RESOURCES as readonly string[]).includes(resource);
}

export function parseItemKey(key: string): ItemRef | undefined {
  const [resource, namespace, name, ...rest] = key.split('/');
  if (rest.length > 0 || resource === undefined || namespace === undefined || name === undefined) return undefined;
  return isWatchedResource(resource) ? { resource, namespace, name } : undefined;
}

/** Where an owner reference points: the resource serving its kind, and the namespace to look in. */
export interface OwnerTarget {
  readonly resource: ResourceName;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * Resolves an owner reference by the API group of its apiVersion and its kind. A
 * namespaced owner lives in the dependent's namespace; a cluster-scoped one in none.
 * Undefined when kemu serves no such kind or the reference has no name or uid: such an
 * owner can never be proven absent.
 */
export function resolveOwner(ref: OwnerReference, dependentNamespace: string): OwnerTarget | undefined {
  if (!ref.name || !ref.uid || !ref.kind) return undefined;
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  for (const resource of Object.keys(RESOURCES) as ResourceName[]) {
    const info = RESOURCES[resource];
    if (info.kind === ref.kind && info.group === group) {
      return { resource, namespace: info.namespaced ? dependentNamespace : '', name: ref.name, uid: ref.uid };
    }
  }
  return undefined;
}

/** What is known of one owner: it exists with the referenced uid, it does not, or it cannot be told. */
export type OwnerState = 'present' | 'absent' | 'unknown';

/** The state of an owner given the object (if any) found at its name: only the same uid counts as present. */
export function ownerStateFrom(found: { metadata?: ObjectMeta } | undefined, target: OwnerTarget): OwnerState {
  return found?.metadata?.uid === target.uid ? 'present' : 'absent';
}

/** The owners an object names, resolved (undefined where a reference cannot be resolved). */
export function ownerTargets(meta: ObjectMeta | undefined): (OwnerTarget | undefined)[] {
  const ns = meta?.namespace ?? '';
  return (meta?.ownerReferences ?? []).map((r) => resolveOwner(r, ns));
}

/**
 * Background cascading deletion's rule, given the state of each owner an object names:
 * it is garbage when it names owners and every one of them is absent. An owner that
 * exists, or whose existence cannot be told, keeps it.
 */
export function allOwnersAbsent(states: readonly OwnerState[]): boolean {
  return states.length > 0 && states.every((s) => s === 'absent');
}

/** The uids an object names as owners (for the dependents index). */
export function ownerUids(meta: ObjectMeta | undefined): string[] {
  return (meta?.ownerReferences ?? []).flatMap((r) => (r.uid ? [r.uid] : []));
}
