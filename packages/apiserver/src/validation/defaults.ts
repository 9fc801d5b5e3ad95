import type { Deployment, EndpointSlice, Endpoints, Namespace, Node, PodSpec, ReplicaSet, ResourceName, ResourceTypes, Service, core } from '@kemu/api';
import { parseCIDR } from './ip.js';
import { externallyAccessible } from './service.js';
import { initServiceIPFamilies } from './service-allocation.js';

/**
 * Kubernetes' defaulting (pkg/apis/*\/v1/defaults.go, plus the Service IP-family
 * initialisation kube-apiserver does before validating), applied in place. Runs on
 * every object decoded for a create or an update; a second run changes nothing.
 */

export interface DefaultingOptions {
  /** The Service ClusterIP range; its family is the one ipFamilies defaults to. IPv4 if absent. */
  serviceCIDR?: string;
}

const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

type Defaulters = { [R in ResourceName]: (obj: ResourceTypes[R], opts: DefaultingOptions) => void };

const DEFAULTERS: Defaulters = {
  namespaces: defaultNamespace,
  nodes: defaultNode,
  pods: (pod) => defaultPodSpec((pod.spec ??= {})),
  services: defaultService,
  endpoints: defaultEndpoints,
  endpointslices: defaultEndpointSlice,
  replicasets: defaultReplicaSet,
  deployments: defaultDeployment,
  leases: () => undefined,
};

export function applyDefaults<R extends ResourceName>(resource: R, obj: ResourceTypes[R], opts: DefaultingOptions = {}): void {
  DEFAULTERS[resource](obj, opts);
}

function defaultService(svc: Service, opts: DefaultingOptions): void {
  const s = (svc.spec ??= {});
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP' && s.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    s.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  if (!s.type) s.type = 'ClusterIP';
  for (const p of s.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port ?? 0;
  }
  if (externallyAccessible(svc) && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
  if (s.internalTrafficPolicy === undefined && (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP')) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer') {
    s.allocateLoadBalancerNodePorts ??= true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
  }
  // A client that sets only clusterIP gets clusterIPs to match.
  if (s.clusterIP && (s.clusterIPs?.length ?? 0) === 0) s.clusterIPs = [s.clusterIP];
  const family = (opts.serviceCIDR ? parseCIDR(opts.serviceCIDR)?.network.family : undefined) ?? 'IPv4';
  // Errors surface again in validation; here only the fields are filled in.
  initServiceIPFamilies(svc, undefined, family);
}

/** Kubernetes: a pull policy of Always for `:latest` (or no tag and no digest), else IfNotPresent. */
function defaultPullPolicy(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  const withoutDigest = image.split('@')[0]!;
  const hasDigest = image.includes('@');
  const colon = withoutDigest.lastIndexOf(':');
  const tag = colon > lastSlash ? withoutDigest.slice(colon + 1) : '';
  return tag === 'latest' || (tag === '' && !hasDigest) ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: core.Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) {
    if (!p.httpGet.path) p.httpGet.path = '/';
    if (!p.httpGet.scheme) p.httpGet.scheme = 'HTTP';
  }
}

/** Defaults of every PodSpec: a Pod's and a template's alike. */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.enableServiceLinks ??= true;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  for (const c of spec.containers ?? []) {
    if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image ?? '');
    for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
    for (const e of c.env ?? []) if (e.valueFrom?.fieldRef && !e.valueFrom.fieldRef.apiVersion) e.valueFrom.fieldRef.apiVersion = 'v1';
    defaultProbe(c.livenessProbe);
    defaultProbe(c.readinessProbe);
    defaultProbe(c.startupProbe);
  }
}

function defaultTemplate(t: core.PodTemplateSpec | undefined): void {
  if (t) defaultPodSpec((t.spec ??= {}));
}

function defaultDeployment(d: Deployment): void {
  const s = (d.spec ??= {});
  s.replicas ??= 1;
  const st = (s.strategy ??= {});
  if (!st.type) st.type = 'RollingUpdate';
  if (st.type === 'RollingUpdate') {
    const ru = (st.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  s.revisionHistoryLimit ??= 10;
  s.progressDeadlineSeconds ??= 600;
  defaultTemplate((s.template ??= {}));
}

function defaultReplicaSet(rs: ReplicaSet): void {
  const s = (rs.spec ??= {});
  s.replicas ??= 1;
  defaultTemplate((s.template ??= {}));
}

function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

function defaultEndpointSlice(slice: EndpointSlice): void {
  for (const p of slice.ports ?? []) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
}

function defaultNamespace(ns: Namespace): void {
  const name = ns.metadata?.name;
  if (name) (ns.metadata!.labels ??= {})['kubernetes.io/metadata.name'] = name;
  // spec.finalizers gets "kubernetes" on create only (prepareForCreate): a finalize
  // request that removes it must not have it put back.
  if (!(ns.status ??= {}).phase) ns.status.phase = 'Active';
}

/** podCIDR and podCIDRs mirror each other, as Kubernetes' v1 conversion keeps them. */
function defaultNode(node: Node): void {
  const s = node.spec;
  if (!s) return;
  if ((s.podCIDRs?.length ?? 0) === 0 && s.podCIDR) s.podCIDRs = [s.podCIDR];
  if (s.podCIDRs?.length) s.podCIDR = s.podCIDRs[0];
}

