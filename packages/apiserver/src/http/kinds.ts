import { RESOURCES, resourceInfo, type ResourceInfo, type ResourceName } from '@kemu/api';

/** The subresources the HTTP API serves below an object's path. */
export type Subresource = 'status' | 'scale';

/**
 * What the Kubernetes HTTP API says about each resource besides its storage: the names
 * kubectl resolves (`kubectl get po`, `svc`, `deploy`), the `all` category, and the
 * subresources. Values are Kubernetes' own for these resources.
 */
export interface HttpResourceInfo extends ResourceInfo {
  readonly resource: ResourceName;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly Subresource[];
}

const EXTRA: Record<ResourceName, { categories: string[]; subresources: Subresource[] }> = {
  namespaces: { categories: [], subresources: ['status'] },
  nodes: { categories: [], subresources: ['status'] },
  pods: { categories: ['all'], subresources: ['status'] },
  services: { categories: ['all'], subresources: ['status'] },
  endpoints: { categories: [], subresources: [] },
  endpointslices: { categories: [], subresources: [] },
  replicasets: { categories: ['all'], subresources: ['status', 'scale'] },
  deployments: { categories: ['all'], subresources: ['status', 'scale'] },
  leases: { categories: [], subresources: [] },
};

export function httpResource(r: ResourceName): HttpResourceInfo {
  const info = resourceInfo(r);
  return { ...info, resource: r, singular: info.kind.toLowerCase(), ...EXTRA[r] };
}

export const ALL_RESOURCES: readonly ResourceName[] = Object.keys(RESOURCES) as ResourceName[];

/** A served group/version: "" is the legacy core group under /api. */
export interface GroupVersion {
  readonly group: string;
  readonly version: string;
}

/** Every group/version with at least one resource, core first, then groups by name. */
export function groupVersions(): GroupVersion[] {
  const seen = new Map<string, GroupVersion>();
  for (const r of ALL_RESOURCES) {
    const { group, version } = resourceInfo(r);
    seen.set(`${group}/${version}`, { group, version });
  }
  return [...seen.values()].sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group)));
}

export function resourcesOf(gv: GroupVersion): HttpResourceInfo[] {
  return ALL_RESOURCES.filter((r) => RESOURCES[r].group === gv.group && RESOURCES[r].version === gv.version).map(httpResource);
}

/** The resource a group/version serves under `name`, if any. */
export function lookupResource(gv: GroupVersion, name: string): ResourceName | undefined {
  return resourcesOf(gv).find((r) => r.resource === name)?.resource;
}

/** "v1" or "apps/v1". */
export function gvString(gv: GroupVersion): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

/** The URL prefix of a group/version: /api/v1 or /apis/apps/v1. */
export function gvPath(gv: GroupVersion): string {
  return gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
}
