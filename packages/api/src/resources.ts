import type * as apps from './gen/kemu/api/apps.js';
import type * as coordination from './gen/kemu/api/coordination.js';
import type * as core from './gen/kemu/api/core.js';
import type * as discovery from './gen/kemu/api/discovery.js';

/**
 * Every resource kemu serves: its REST names, its schema (a message in proto/kemu/api)
 * and where kube-apiserver keeps it in etcd (`<prefix>/<namespace>/<name>`).
 */
export const RESOURCES = {
  namespaces: res('', 'v1', 'Namespace', false, 'kemu.api.core.v1.Namespace', '/registry/namespaces', ['ns']),
  nodes: res('', 'v1', 'Node', false, 'kemu.api.core.v1.Node', '/registry/minions', ['no']),
  pods: res('', 'v1', 'Pod', true, 'kemu.api.core.v1.Pod', '/registry/pods', ['po']),
  services: res('', 'v1', 'Service', true, 'kemu.api.core.v1.Service', '/registry/services/specs', ['svc']),
  endpoints: res('', 'v1', 'Endpoints', true, 'kemu.api.core.v1.Endpoints', '/registry/services/endpoints', ['ep']),
  endpointslices: res(
    'discovery.k8s.io',
    'v1',
    'EndpointSlice',
    true,
    'kemu.api.discovery.v1.EndpointSlice',
    '/registry/endpointslices',
  ),
  replicasets: res('apps', 'v1', 'ReplicaSet', true, 'kemu.api.apps.v1.ReplicaSet', '/registry/replicasets', ['rs']),
  deployments: res('apps', 'v1', 'Deployment', true, 'kemu.api.apps.v1.Deployment', '/registry/deployments', ['deploy']),
  leases: res('coordination.k8s.io', 'v1', 'Lease', true, 'kemu.api.coordination.v1.Lease', '/registry/leases'),
} as const;

export type ResourceName = keyof typeof RESOURCES;

/** The TypeScript type of each resource's objects. */
export interface ResourceTypes {
  namespaces: core.Namespace;
  nodes: core.Node;
  pods: core.Pod;
  services: core.Service;
  endpoints: core.Endpoints;
  endpointslices: discovery.EndpointSlice;
  replicasets: apps.ReplicaSet;
  deployments: apps.Deployment;
  leases: coordination.Lease;
}

export interface ResourceInfo {
  readonly resource: string;
  readonly group: string;
  readonly version: string;
  /** "v1" or "apps/v1": what objects carry in apiVersion. */
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly schema: string;
  readonly etcdPrefix: string;
  /** kube-apiserver's shortNames in discovery (what kubectl accepts for `po`, `svc`, ...). */
  readonly shortNames: readonly string[];
}

function res(
  group: string,
  version: string,
  kind: string,
  namespaced: boolean,
  schema: string,
  etcdPrefix: string,
  shortNames: readonly string[] = [],
): Omit<ResourceInfo, 'resource'> {
  return { group, version, apiVersion: group ? `${group}/${version}` : version, kind, namespaced, schema, etcdPrefix, shortNames };
}

export function isResourceName(s: string): s is ResourceName {
  return Object.hasOwn(RESOURCES, s);
}

export function resourceInfo(name: ResourceName): ResourceInfo {
  return { resource: name, ...RESOURCES[name] };
}

/** Looks a resource up by kind ("Service") and apiVersion ("v1"), as a manifest names it. */
export function resourceForKind(apiVersion: string, kind: string): ResourceName | undefined {
  for (const name of Object.keys(RESOURCES) as ResourceName[]) {
    const r = RESOURCES[name];
    if (r.kind === kind && r.apiVersion === apiVersion) return name;
  }
  return undefined;
}
