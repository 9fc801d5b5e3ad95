import type { ResourceName } from '@kemu/api';
import { groupVersions, httpResource, lookupResource, type GroupVersion, type Subresource } from './kinds.js';

/** What a request path names. Resource paths follow kube-apiserver's layout exactly. */
export type Route =
  | { kind: 'version' }
  | { kind: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  | { kind: 'core-versions' }
  | { kind: 'group-list' }
  | { kind: 'group'; group: string }
  | { kind: 'resource-list'; gv: GroupVersion }
  | { kind: 'openapi-v2' }
  | { kind: 'openapi-v3-root' }
  | { kind: 'openapi-v3'; gv: GroupVersion }
  | ResourceRoute
  | { kind: 'not-found' };

export interface ResourceRoute {
  kind: 'resource';
  resource: ResourceName;
  /** '' for cluster-scoped resources and for lists across all namespaces. */
  namespace: string;
  /** '' for the collection. */
  name: string;
  subresource: Subresource | '';
  /** The deprecated /api/v1/watch/... form: a watch whatever the query says. */
  watchPath: boolean;
}

const NOT_FOUND: Route = { kind: 'not-found' };

/**
 * Parses a URL path (without the query). Pure; unknown groups, versions, resources and
 * subresources are `not-found`, which the server answers with a 404 Status.
 */
export function parsePath(path: string): Route {
  let segs: string[];
  try {
    segs = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return NOT_FOUND;
  }
  const [head, ...rest] = segs;
  switch (head) {
    case 'version':
      return rest.length === 0 ? { kind: 'version' } : NOT_FOUND;
    case 'healthz':
    case 'livez':
    case 'readyz':
      return rest.length === 0 ? { kind: 'health', check: head } : NOT_FOUND;
    case 'openapi':
      return parseOpenApi(rest);
    case 'api': {
      if (rest.length === 0) return { kind: 'core-versions' };
      const [version, ...tail] = rest;
      return parseGroupVersion({ group: '', version: version! }, tail);
    }
    case 'apis': {
      if (rest.length === 0) return { kind: 'group-list' };
      const [group, version, ...tail] = rest;
      if (!groupVersions().some((gv) => gv.group === group)) return NOT_FOUND;
      if (version === undefined) return { kind: 'group', group: group! };
      return parseGroupVersion({ group: group!, version }, tail);
    }
    default:
      return NOT_FOUND;
  }
}

function parseOpenApi(rest: string[]): Route {
  if (rest.length === 1 && rest[0] === 'v2') return { kind: 'openapi-v2' };
  if (rest[0] !== 'v3') return NOT_FOUND;
  if (rest.length === 1) return { kind: 'openapi-v3-root' };
  const [, prefix, a, b, ...extra] = rest;
  if (extra.length) return NOT_FOUND;
  let gv: GroupVersion | undefined;
  if (prefix === 'api' && a !== undefined && b === undefined) gv = { group: '', version: a };
  if (prefix === 'apis' && a !== undefined && b !== undefined) gv = { group: a, version: b };
  if (!gv || !isServed(gv)) return NOT_FOUND;
  return { kind: 'openapi-v3', gv };
}

function isServed(gv: GroupVersion): boolean {
  return groupVersions().some((x) => x.group === gv.group && x.version === gv.version);
}

function parseGroupVersion(gv: GroupVersion, tail: string[]): Route {
  if (!isServed(gv)) return NOT_FOUND;
  if (tail.length === 0) return { kind: 'resource-list', gv };
  let watchPath = false;
  if (tail[0] === 'watch') {
    watchPath = true;
    tail = tail.slice(1);
  }
  // namespaces/<ns>/<resource>[/<name>[/<sub>]], except namespaces/<name>[/<sub>] itself.
  const namespacedPath = tail[0] === 'namespaces' && tail.length >= 3 && !(gv.group === '' && isNamespaceSub(tail));
  if (namespacedPath) {
    const [, namespace, resource, name = '', sub = '', ...extra] = tail;
    return resourceRoute(gv, resource!, namespace!, name, sub, extra, watchPath, true);
  }
  const [resource, name = '', sub = '', ...extra] = tail;
  return resourceRoute(gv, resource!, '', name, sub, extra, watchPath, false);
}

/** /api/v1/namespaces/<name>/status is the Namespace's own subresource, not a resource list. */
function isNamespaceSub(tail: string[]): boolean {
  return tail.length === 3 && httpResource('namespaces').subresources.some((s) => s === tail[2]);
}

function resourceRoute(
  gv: GroupVersion,
  resourceName: string,
  namespace: string,
  name: string,
  sub: string,
  extra: string[],
  watchPath: boolean,
  namespacedPath: boolean,
): Route {
  const resource = lookupResource(gv, resourceName);
  if (!resource || extra.length) return NOT_FOUND;
  const info = httpResource(resource);
  // A namespaced path for a cluster-scoped resource does not exist.
  if (namespacedPath && !info.namespaced) return NOT_FOUND;
  if (sub && (!name || !info.subresources.some((s) => s === sub))) return NOT_FOUND;
  if (watchPath && sub) return NOT_FOUND;
  return { kind: 'resource', resource, namespace, name, subresource: sub as Subresource | '', watchPath };
}
