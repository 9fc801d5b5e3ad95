import type { ObjectMeta, ResourceName, ResourceTypes } from '@kemu/api';
import type { DefaultingOptions } from './defaults.js';
import { parseCIDR } from './ip.js';
import { semanticEqual } from './semantic-equal.js';
import { initServiceIPFamilies } from './service-allocation.js';
import { prepareServiceUpdate } from './service-prepare.js';

/**
 * What kube-apiserver's registry does to an object between defaulting and validation
 * (the strategies' PrepareFor* and the generic store's BeforeUpdate): reset or carry
 * over status, bump metadata.generation, keep system metadata. In place.
 */

type Meta = { metadata?: ObjectMeta };
type OnCreate = { [R in ResourceName]: (obj: ResourceTypes[R]) => void };
type OnUpdate = { [R in ResourceName]: (obj: ResourceTypes[R], old: ResourceTypes[R], opts: DefaultingOptions) => void };

const nothing = (): void => undefined;

const ON_CREATE: OnCreate = {
  namespaces: (ns) => {
    ns.status = { phase: 'Active' };
    const finalizers = ((ns.spec ??= {}).finalizers ??= []);
    if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
  },
  nodes: nothing,
  pods: (pod) => {
    pod.status = { phase: 'Pending' };
    (pod.metadata ??= {}).generation = 1;
  },
  services: (svc) => {
    svc.status = {};
  },
  endpoints: nothing,
  endpointslices: (slice) => {
    (slice.metadata ??= {}).generation = 1;
  },
  replicasets: (rs) => {
    rs.status = {};
    (rs.metadata ??= {}).generation = 1;
  },
  deployments: (d) => {
    d.status = {};
    (d.metadata ??= {}).generation = 1;
  },
  leases: nothing,
};

export function prepareForCreate<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): void {
  ON_CREATE[resource](obj);
}

/** The generic store's part: system metadata the client cannot change or may omit. */
function carrySystemMeta(obj: Meta, old: Meta): void {
  const m = (obj.metadata ??= {});
  const o = old.metadata ?? {};
  if (!m.resourceVersion && o.resourceVersion) m.resourceVersion = o.resourceVersion;
  if (o.generation !== undefined) m.generation = o.generation;
  else delete m.generation;
  if (!m.uid && o.uid) m.uid = o.uid;
  if (o.creationTimestamp) m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds === undefined) {
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  }
}

function bumpGeneration(obj: Meta, old: Meta, changed: boolean): void {
  if (changed) (obj.metadata ??= {}).generation = (old.metadata?.generation ?? 0) + 1;
}

const ON_UPDATE: OnUpdate = {
  namespaces: (ns, old) => {
    ns.spec = { ...ns.spec, finalizers: old.spec?.finalizers };
    ns.status = old.status;
  },
  nodes: (node, old) => {
    node.status = old.status;
  },
  pods: (pod, old) => {
    pod.status = old.status;
    bumpGeneration(pod, old, !semanticEqual(pod.spec, old.spec));
  },
  services: (svc, old, opts) => {
    svc.status = structuredClone(old.status);
    prepareServiceUpdate(svc, old);
    const family = (opts.serviceCIDR ? parseCIDR(opts.serviceCIDR)?.network.family : undefined) ?? 'IPv4';
    initServiceIPFamilies(svc, old, family);
  },
  endpoints: nothing,
  endpointslices: (slice, old) => {
    const changed = !semanticEqual(slice.endpoints, old.endpoints) || !semanticEqual(slice.ports, old.ports) || slice.addressType !== old.addressType;
    bumpGeneration(slice, old, changed);
  },
  replicasets: (rs, old) => {
    rs.status = old.status;
    bumpGeneration(rs, old, !semanticEqual(rs.spec, old.spec));
  },
  deployments: (d, old) => {
    d.status = old.status;
    bumpGeneration(d, old, !semanticEqual(d.spec, old.spec) || !semanticEqual(d.metadata?.annotations, old.metadata?.annotations));
  },
  leases: nothing,
};

/** A write to the main resource (not /status): status is kept from `old`. */
export function prepareForUpdate<R extends ResourceName>(resource: R, obj: ResourceTypes[R], old: ResourceTypes[R], opts: DefaultingOptions = {}): void {
  carrySystemMeta(obj, old);
  ON_UPDATE[resource](obj, old, opts);
}

const ON_STATUS_UPDATE: OnUpdate = {
  namespaces: (ns, old) => {
    ns.spec = old.spec;
  },
  nodes: (node, old) => {
    node.spec = old.spec;
  },
  pods: (pod, old) => {
    pod.spec = old.spec;
    (pod.metadata ??= {}).ownerReferences = old.metadata?.ownerReferences;
  },
  services: (svc, old) => {
    svc.spec = old.spec;
  },
  endpoints: nothing,
  endpointslices: nothing,
  replicasets: (rs, old) => {
    rs.spec = old.spec;
  },
  deployments: (d, old) => {
    d.spec = old.spec;
    (d.metadata ??= {}).labels = old.metadata?.labels;
  },
  leases: nothing,
};

/** A write to /status: the spec (and for Deployments the labels, for Pods the owner references) is kept from `old`. */
export function prepareForStatusUpdate<R extends ResourceName>(resource: R, obj: ResourceTypes[R], old: ResourceTypes[R]): void {
  carrySystemMeta(obj, old);
  ON_STATUS_UPDATE[resource](obj, old, {});
}
