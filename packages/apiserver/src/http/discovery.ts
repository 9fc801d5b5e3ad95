import { groupVersions, gvString, resourcesOf, type GroupVersion, type HttpResourceInfo } from './kinds.js';

/** The Kubernetes minor version whose API kemu's HTTP API follows (reported by /version). */
export const KUBE_MAJOR = '1';
export const KUBE_MINOR = '30';

const MAIN_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUB_VERBS = ['get', 'patch', 'update'];

/** GET /version (version.Info). */
export function versionInfo(nodeVersion: string, platform: string): Record<string, string> {
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: `v${KUBE_MAJOR}.${KUBE_MINOR}.0-kemu`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${nodeVersion}`,
    compiler: 'node',
    platform,
  };
}

/** GET /api (APIVersions). `serverAddress` is host:port as clients reach this server. */
export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string): object {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: gvString(gv), version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** GET /apis (APIGroupList): every named group; the core group is under /api. */
export function groupList(): object {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupEntry) };
}

/** GET /apis/<group> (APIGroup). */
export function apiGroup(group: string): object {
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) };
}

function resourceEntries(r: HttpResourceInfo): object[] {
  const main: Record<string, unknown> = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: MAIN_VERBS,
  };
  if (r.shortNames.length) main['shortNames'] = r.shortNames;
  if (r.categories.length) main['categories'] = r.categories;
  const subs = r.subresources.map((s) =>
    s === 'scale'
      ? { name: `${r.resource}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUB_VERBS }
      : { name: `${r.resource}/${s}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: SUB_VERBS },
  );
  return [main, ...subs];
}

/** GET /api/v1 or /apis/<group>/<version> (APIResourceList), subresources included. */
export function resourceList(gv: GroupVersion): object {
  const resources = resourcesOf(gv).flatMap(resourceEntries);
  return gv.group === ''
    ? { kind: 'APIResourceList', groupVersion: gvString(gv), resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(gv), resources };
}
