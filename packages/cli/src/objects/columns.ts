import {
  endpointAddresses,
  formatLabels,
  listWithMore,
  NONE,
  nodeRoles,
  nodeStatus,
  podStatus,
  resourceInfo,
  selectorFromLabelSelector,
  serviceExternalIP,
  servicePorts,
  selectorFromMap,
  type Deployment,
  type Endpoints,
  type EndpointSlice,
  type Lease,
  type Namespace,
  type Node,
  type ObjectMeta,
  type Pod,
  type ReplicaSet,
  type ResourceName,
  type ResourceTypes,
  type Service,
  type core,
} from '@kemu/api';

// The cells kubectl prints for every kind are shared with the apiserver's Tables.
export { endpointAddresses, formatLabels, nodeRoles, nodeStatus, podStatus, serviceExternalIP, servicePorts };
import { age } from './duration.js';
import { qualifiedSingular } from './kinds.js';

/** What `kemu get` shows besides each kind's own columns. */
export interface TableOptions {
  /** -o wide */
  wide: boolean;
  /** ms since the epoch, for AGE */
  now: number;
  /** -A: a NAMESPACE column first */
  allNamespaces: boolean;
  /** -L KEY: one column per label key */
  labelColumns: readonly string[];
  /** --show-labels: a LABELS column last */
  showLabels: boolean;
  /** several kinds in one listing: names print as kind/name */
  withKind: boolean;
}

interface Columns<T> {
  header: string[];
  wideHeader: string[];
  cells(obj: T, now: number): string[];
  wideCells(obj: T): string[];
}


/** The table header `kemu get` prints for a resource. */
export function tableHeader(r: ResourceName, o: TableOptions): string[] {
  const c = columnsOf(r);
  return [
    ...(o.allNamespaces && resourceInfo(r).namespaced ? ['NAMESPACE'] : []),
    'NAME',
    ...c.header,
    ...(o.wide ? c.wideHeader : []),
    ...o.labelColumns.map(labelColumnHeader),
    ...(o.showLabels ? ['LABELS'] : []),
  ];
}

/** One object's row, in the order of tableHeader. */
export function tableRow<R extends ResourceName>(r: R, obj: ResourceTypes[R], o: TableOptions): string[] {
  const c = columnsOf(r) as Columns<ResourceTypes[R]>;
  const meta: ObjectMeta = obj.metadata ?? {};
  const name = o.withKind ? `${qualifiedSingular(r)}/${meta.name ?? ''}` : (meta.name ?? '');
  return [
    ...(o.allNamespaces && resourceInfo(r).namespaced ? [meta.namespace ?? ''] : []),
    name,
    ...c.cells(obj, o.now),
    ...(o.wide ? c.wideCells(obj) : []),
    ...o.labelColumns.map((k) => meta.labels?.[k] ?? ''),
    ...(o.showLabels ? [formatLabels(meta.labels)] : []),
  ];
}

/** -L's column title: the key's last path segment, upper case (`topology.kubernetes.io/zone` -> ZONE). */
export function labelColumnHeader(key: string): string {
  return (key.split('/').pop() ?? key).toUpperCase();
}

function columnsOf(r: ResourceName): Columns<never> {
  switch (r) {
    case 'pods':
      return POD;
    case 'services':
      return SERVICE;
    case 'deployments':
      return DEPLOYMENT;
    case 'replicasets':
      return REPLICA_SET;
    case 'nodes':
      return NODE;
    case 'endpoints':
      return ENDPOINTS;
    case 'endpointslices':
      return ENDPOINT_SLICE;
    case 'namespaces':
      return NAMESPACE;
    case 'leases':
      return LEASE;
  }
}

const POD: Columns<Pod> = {
  header: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
  wideHeader: ['IP', 'NODE'],
  cells: (p, now) => {
    const total = p.spec?.containers?.length ?? 0;
    const ready = (p.status?.containerStatuses ?? []).filter((s) => s.ready).length;
    return [`${ready}/${total}`, podStatus(p), podRestarts(p, now), age(p.metadata?.creationTimestamp, now)];
  },
  wideCells: (p) => [p.status?.podIP || NONE, p.spec?.nodeName || NONE],
};

/** RESTARTS: the sum over containers, with how long ago the last one ended ("2 (5m ago)"). */
export function podRestarts(p: Pod, now: number): string {
  let count = 0;
  let last = 0;
  for (const s of p.status?.containerStatuses ?? []) {
    count += s.restartCount ?? 0;
    const finished = s.lastState?.terminated?.finishedAt;
    if (finished) last = Math.max(last, Date.parse(finished) || 0);
  }
  return count > 0 && last > 0 ? `${count} (${age(new Date(last).toISOString(), now)} ago)` : String(count);
}

const SERVICE: Columns<Service> = {
  header: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  wideHeader: ['SELECTOR'],
  cells: (s, now) => [
    s.spec?.type ?? 'ClusterIP',
    s.spec?.type === 'ExternalName' ? NONE : s.spec?.clusterIP || NONE,
    serviceExternalIP(s),
    servicePorts(s),
    age(s.metadata?.creationTimestamp, now),
  ],
  wideCells: (s) => [formatLabels(s.spec?.selector)],
};

const templateColumns = (t: core.PodTemplateSpec | undefined): string[] => {
  const cs = t?.spec?.containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
};

const selectorText = (sel: Parameters<typeof selectorFromLabelSelector>[0]): string => {
  if (!sel) return NONE;
  const text = selectorFromLabelSelector(sel).toString();
  return text || NONE;
};

const DEPLOYMENT: Columns<Deployment> = {
  header: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (d, now) => [
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
    String(d.status?.updatedReplicas ?? 0),
    String(d.status?.availableReplicas ?? 0),
    age(d.metadata?.creationTimestamp, now),
  ],
  wideCells: (d) => [...templateColumns(d.spec?.template), selectorText(d.spec?.selector)],
};

const REPLICA_SET: Columns<ReplicaSet> = {
  header: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
  wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (rs, now) => [
    String(rs.spec?.replicas ?? 1),
    String(rs.status?.replicas ?? 0),
    String(rs.status?.readyReplicas ?? 0),
    age(rs.metadata?.creationTimestamp, now),
  ],
  wideCells: (rs) => [...templateColumns(rs.spec?.template), selectorText(rs.spec?.selector)],
};

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

const NODE: Columns<Node> = {
  header: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
  wideHeader: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME', 'ZONE'],
  cells: (n, now) => [nodeStatus(n), nodeRoles(n), age(n.metadata?.creationTimestamp, now), n.status?.nodeInfo?.kubeletVersion ?? ''],
  wideCells: (n) => {
    const addr = (type: string): string => n.status?.addresses?.find((a) => a.type === type)?.address || NONE;
    const info = n.status?.nodeInfo;
    return [
      addr('InternalIP'),
      addr('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
      n.metadata?.labels?.[ZONE_LABEL] || NONE,
    ];
  },
};

const ENDPOINTS: Columns<Endpoints> = {
  header: ['ENDPOINTS', 'AGE'],
  wideHeader: [],
  cells: (e, now) => [listWithMore(endpointAddresses(e), NONE), age(e.metadata?.creationTimestamp, now)],
  wideCells: () => [],
};

const ENDPOINT_SLICE: Columns<EndpointSlice> = {
  header: ['ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
  wideHeader: [],
  cells: (s, now) => [
    s.addressType ?? '',
    listWithMore((s.ports ?? []).map((p) => (p.port === undefined ? '<unset>' : String(p.port))), '<unset>'),
    listWithMore((s.endpoints ?? []).flatMap((e) => e.addresses ?? []), '<unset>'),
    age(s.metadata?.creationTimestamp, now),
  ],
  wideCells: () => [],
};

const NAMESPACE: Columns<Namespace> = {
  header: ['STATUS', 'AGE'],
  wideHeader: [],
  cells: (n, now) => [n.status?.phase ?? '', age(n.metadata?.creationTimestamp, now)],
  wideCells: () => [],
};

const LEASE: Columns<Lease> = {
  header: ['HOLDER', 'AGE'],
  wideHeader: [],
  cells: (l, now) => [l.spec?.holderIdentity ?? '', age(l.metadata?.creationTimestamp, now)],
  wideCells: () => [],
};

/** A selector map as `kubectl describe` prints it: `app=hello,tier=web`, or <none>. */
export function formatSelectorMap(m: Readonly<Record<string, string>> | undefined): string {
  const s = selectorFromMap(m).toString();
  return s || NONE;
}
