import {
  selectorFromLabelSelector,
  type Deployment,
  type Endpoints,
  type LabelSelector,
  type EndpointSlice,
  type Lease,
  type Namespace,
  type Node,
  type ObjectMeta,
  type Pod,
  type ReplicaSet,
  type ResourceName,
  type Service,
  type core,
} from '@kemu/api';
import { age, endpointAddresses, formatLabels, listWithMore, NONE, nodeRoles, nodeStatus, podStatus, serviceExternalIP, servicePorts } from '@kemu/api';

/** meta.k8s.io TableColumnDefinition. Priority 1 columns are the ones `-o wide` adds. */
export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;

/** What a Table row carries besides its cells (`?includeObject=`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** ms since the epoch, for AGE cells. */
  now: number;
  includeObject: IncludeObject;
  /** Leave columnDefinitions empty (every watch event after the first). */
  noHeaders: boolean;
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, whichever the client asked for. */
  apiVersion: string;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: { cells: Cell[]; object?: unknown }[];
}

type Obj = { metadata?: ObjectMeta };

interface Printer {
  columns: ColumnDefinition[];
  cells(obj: Obj, now: number): Cell[];
}

const col = (name: string, description: string, priority = 0, type: ColumnDefinition['type'] = 'string'): ColumnDefinition => ({
  name,
  type,
  format: '',
  description,
  priority,
});
const NAME: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
  priority: 0,
};
const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/**
 * Server-side printing, as kube-apiserver's TableConvertor does it: every kind's usual
 * columns (the same as `kubectl get` shows against Kubernetes), wide columns included
 * (kubectl hides priority 1 unless `-o wide`). Pure: `now` is given.
 */
export function toTable(r: ResourceName, objects: readonly Obj[], listMeta: Table['metadata'], o: TableOptions): Table {
  const p = PRINTERS[r];
  return {
    kind: 'Table',
    apiVersion: o.apiVersion,
    metadata: listMeta,
    columnDefinitions: o.noHeaders ? [] : p.columns,
    rows: objects.map((obj) => {
      const row: Table['rows'][number] = { cells: p.cells(obj, o.now) };
      if (o.includeObject === 'Object') row.object = obj;
      else if (o.includeObject === 'Metadata') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: o.apiVersion, metadata: obj.metadata ?? {} };
      }
      return row;
    }),
  };
}

const created = (o: { metadata?: ObjectMeta }, now: number): string => age(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: ObjectMeta }): string => o.metadata?.name ?? '';

/** Names and images of a pod template's containers, comma-joined. */
function containerCells(t: core.PodTemplateSpec | undefined): [string, string] {
  const cs = t?.spec?.containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

function podCells(p: Pod, now: number): Cell[] {
  let restarts = 0;
  let last = 0;
  let ready = 0;
  for (const s of p.status?.containerStatuses ?? []) {
    restarts += s.restartCount ?? 0;
    const finished = Date.parse(s.lastState?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(finished)) last = Math.max(last, finished);
    if (s.ready && s.state?.running) ready++;
  }
  const restartCell = last > 0 ? `${restarts} (${age(new Date(last).toISOString(), now)} ago)` : String(restarts);
  const ip = p.status?.podIPs?.[0]?.ip || p.status?.podIP || NONE;
  return [
    name(p),
    `${ready}/${p.spec?.containers?.length ?? 0}`,
    podStatus(p),
    restartCell,
    created(p, now),
    ip,
    p.spec?.nodeName || NONE,
    NONE,
    NONE,
  ];
}

function nodeCells(n: Node, now: number): Cell[] {
  const addr = (type: string): string => n.status?.addresses?.find((a) => a.type === type)?.address || NONE;
  const info = n.status?.nodeInfo;
  return [
    name(n),
    nodeStatus(n),
    nodeRoles(n),
    created(n, now),
    info?.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

/** ENDPOINTS of an Endpoints object: ip:port per port and address (ip alone without ports). */
export function endpointsCell(e: Endpoints): string {
  return listWithMore(endpointAddresses(e), NONE);
}

const selectorText = (sel: LabelSelector | undefined): string => (sel ? selectorFromLabelSelector(sel).toString() : '');

const PRINTERS: Record<ResourceName, Printer> = {
  pods: {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'IP address allocated to the pod.', 1),
      col('Node', 'NodeName is the node the pod is scheduled to.', 1),
      col('Nominated Node', 'Nominated node name for the pod (kemu does no preemption).', 1),
      col('Readiness Gates', 'Readiness gates of the pod (kemu has none).', 1),
    ],
    cells: (o, now) => podCells(o, now),
  },
  services: {
    columns: [
      NAME,
      col('Type', 'How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
      col('Cluster-IP', 'The IP address of the service, allocated from the service CIDR.'),
      col('External-IP', 'Load balancer ingress IPs and external IPs of the service.'),
      col('Port(s)', 'The ports exposed by the service (port:nodePort/protocol).'),
      AGE,
      col('Selector', 'Pods with labels matching this selector are the service endpoints.', 1),
    ],
    cells: (o, now) => {
      const s = o as Service;
      const ip = s.spec?.clusterIPs?.[0] || s.spec?.clusterIP || NONE;
      return [name(s), s.spec?.type ?? '', ip, serviceExternalIP(s), servicePorts(s), created(s, now), formatLabels(s.spec?.selector)];
    },
  },
  endpoints: {
    columns: [NAME, col('Endpoints', 'The ready addresses of the service, ip:port.'), AGE],
    cells: (o, now) => [name(o), endpointsCell(o), created(o, now)],
  },
  endpointslices: {
    columns: [
      NAME,
      col('AddressType', 'The type of address carried by this EndpointSlice.'),
      col('Ports', 'The ports of the endpoints.'),
      col('Endpoints', 'The addresses of the endpoints.'),
      AGE,
    ],
    cells: (o, now) => {
      const s = o as EndpointSlice;
      const ports = (s.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*')));
      return [
        name(s),
        s.addressType ?? '',
        listWithMore(ports, '<unset>'),
        listWithMore((s.endpoints ?? []).flatMap((e) => e.addresses ?? []), '<unset>'),
        created(s, now),
      ];
    },
  },
  nodes: {
    columns: [
      NAME,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE,
      col('Version', 'Kubelet version reported by the node.'),
      col('Internal-IP', 'The InternalIP address of the node.', 1),
      col('External-IP', 'The ExternalIP address of the node.', 1),
      col('OS-Image', 'OS image reported by the node.', 1),
      col('Kernel-Version', 'Kernel version reported by the node.', 1),
      col('Container-Runtime', 'Container runtime version reported by the node.', 1),
    ],
    cells: (o, now) => nodeCells(o, now),
  },
  namespaces: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (o, now) => [name(o), (o as Namespace).status?.phase ?? '', created(o, now)],
  },
  deployments: {
    columns: [
      NAME,
      col('Ready', 'Number of the pod with ready state'),
      col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'Label selector for pods.', 1),
    ],
    cells: (o, now) => {
      const d = o as Deployment;
      return [
        name(d),
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        created(d, now),
        ...containerCells(d.spec?.template),
        selectorText(d.spec?.selector),
      ];
    },
  },
  replicasets: {
    columns: [
      NAME,
      col('Desired', 'Replicas is the number of desired replicas.', 0, 'integer'),
      col('Current', 'Replicas is the most recently observed number of replicas.', 0, 'integer'),
      col('Ready', 'The number of ready replicas for this replica set.', 0, 'integer'),
      AGE,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'Label selector for pods.', 1),
    ],
    cells: (o, now) => {
      const rs = o as ReplicaSet;
      return [
        name(rs),
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        created(rs, now),
        ...containerCells(rs.spec?.template),
        selectorText(rs.spec?.selector),
      ];
    },
  },
  leases: {
    columns: [NAME, col('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), AGE],
    cells: (o, now) => [name(o), (o as Lease).spec?.holderIdentity ?? '', created(o, now)],
  },
};
