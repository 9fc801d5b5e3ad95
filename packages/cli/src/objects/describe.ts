import {
  resourceInfo,
  selectorFromLabelSelector,
  type core,
  type Deployment,
  type Endpoints,
  type Lease,
  type Namespace,
  type Node,
  type ObjectMeta,
  type Pod,
  type ReplicaSet,
  type ResourceName,
  type Service,
} from '@kemu/api';
import { formatLabels, nodeRoles, podStatus } from './columns.js';
import { annotationLines, DescribeWriter, labelLines } from './describe-writer.js';
import { age, describeTime } from './duration.js';
import { deepEqual, toJson } from './json.js';
import { toYaml } from './output.js';

/** The clock and zone describe prints times in. */
export interface DescribeClock {
  now: number;
  /** minutes east of UTC */
  tzOffsetMinutes: number;
}

const NONE = '<none>';

function header(w: DescribeWriter, m: ObjectMeta | undefined, namespaced: boolean): void {
  w.field(0, 'Name', m?.name ?? '');
  if (namespaced) w.field(0, 'Namespace', m?.namespace ?? '');
}

const controllerOf = (m: ObjectMeta | undefined): string | undefined => {
  const ref = m?.ownerReferences?.find((r) => r.controller) ?? m?.ownerReferences?.[0];
  return ref ? `${ref.kind ?? ''}/${ref.name ?? ''}` : undefined;
};

/** A probe as kubectl prints it: `http-get http://:8080/readyz delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function formatProbe(p: core.Probe): string {
  let action = 'unknown';
  if (p.httpGet) action = `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${p.httpGet.host ?? ''}:${p.httpGet.port ?? ''}${p.httpGet.path ?? ''}`;
  else if (p.tcpSocket) action = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port ?? ''}`;
  else if (p.exec) action = `exec [${(p.exec.command ?? []).join(' ')}]`;
  return `${action} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

const portText = (p: core.ContainerPort): string => `${p.containerPort ?? 0}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`;

/** The container part shared by pods and templates; `status` only for a running pod. */
function containers(w: DescribeWriter, level: number, cs: readonly core.Container[], statuses: readonly core.ContainerStatus[] | undefined, clock: DescribeClock): void {
  for (const c of cs) {
    w.text(level, `${c.name ?? ''}:`);
    const st = statuses?.find((s) => s.name === c.name);
    const l = level + 1;
    if (st?.containerID) w.field(l, 'Container ID', st.containerID);
    w.field(l, 'Image', c.image ?? '');
    if (st?.imageID) w.field(l, 'Image ID', st.imageID);
    const ports = c.ports ?? [];
    if (ports.length <= 1) w.field(l, 'Port', ports[0] ? portText(ports[0]) : NONE);
    else w.field(l, 'Ports', ports.map(portText).join(', '));
    if (c.command?.length) w.field(l, 'Command', c.command);
    if (c.args?.length) w.field(l, 'Args', c.args);
    if (statuses) {
      stateFields(w, l, 'State', st?.state, clock);
      if (st?.lastState && Object.keys(st.lastState).length) stateFields(w, l, 'Last State', st.lastState, clock);
      w.field(l, 'Ready', st?.ready ? 'True' : 'False');
      w.field(l, 'Restart Count', st?.restartCount ?? 0);
    }
    if (c.livenessProbe) w.field(l, 'Liveness', formatProbe(c.livenessProbe));
    if (c.readinessProbe) w.field(l, 'Readiness', formatProbe(c.readinessProbe));
    if (c.startupProbe) w.field(l, 'Startup', formatProbe(c.startupProbe));
    const env = c.env ?? [];
    if (env.length === 0) w.field(l, 'Environment', NONE);
    else {
      w.text(l, 'Environment:');
      for (const e of env) {
        const from = e.valueFrom?.fieldRef ? ` (${e.valueFrom.fieldRef.apiVersion ?? 'v1'}:${e.valueFrom.fieldRef.fieldPath ?? ''})` : '';
        w.field(l + 1, e.name ?? '', `${e.value ?? ''}${from}`);
      }
    }
  }
}

function stateFields(w: DescribeWriter, level: number, key: string, s: core.ContainerState | undefined, clock: DescribeClock): void {
  if (s?.running) {
    w.field(level, key, 'Running');
    w.field(level + 1, 'Started', describeTime(s.running.startedAt, clock.tzOffsetMinutes));
  } else if (s?.waiting) {
    w.field(level, key, 'Waiting');
    if (s.waiting.reason) w.field(level + 1, 'Reason', s.waiting.reason);
    if (s.waiting.message) w.field(level + 1, 'Message', s.waiting.message);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.field(level, key, 'Terminated');
    if (t.reason) w.field(level + 1, 'Reason', t.reason);
    if (t.message) w.field(level + 1, 'Message', t.message);
    w.field(level + 1, 'Exit Code', t.exitCode ?? 0);
    if (t.signal) w.field(level + 1, 'Signal', t.signal);
    w.field(level + 1, 'Started', describeTime(t.startedAt, clock.tzOffsetMinutes));
    w.field(level + 1, 'Finished', describeTime(t.finishedAt, clock.tzOffsetMinutes));
  } else {
    w.field(level, key, 'Waiting');
  }
}

function podTemplate(w: DescribeWriter, t: core.PodTemplateSpec | undefined, clock: DescribeClock): void {
  w.text(0, 'Pod Template:');
  w.field(1, 'Labels', labelLines(t?.metadata?.labels));
  const ann = annotationLines(t?.metadata?.annotations);
  if (ann.length) w.field(1, 'Annotations', ann);
  w.text(1, 'Containers:');
  containers(w, 2, t?.spec?.containers ?? [], undefined, clock);
}

export function describePod(p: Pod, clock: DescribeClock): string {
  const w = new DescribeWriter();
  const m = p.metadata;
  header(w, m, true);
  w.field(0, 'Service Account', p.spec?.serviceAccountName || 'default');
  w.field(0, 'Node', p.spec?.nodeName ? `${p.spec.nodeName}${p.status?.hostIP ? `/${p.status.hostIP}` : ''}` : NONE);
  w.field(0, 'Start Time', describeTime(p.status?.startTime, clock.tzOffsetMinutes));
  w.field(0, 'Labels', labelLines(m?.labels));
  w.field(0, 'Annotations', annotationLines(m?.annotations));
  if (m?.deletionTimestamp) {
    w.field(0, 'Status', `Terminating (lasts ${age(m.deletionTimestamp, clock.now)})`);
    w.field(0, 'Termination Grace Period', `${m.deletionGracePeriodSeconds ?? 0}s`);
  } else {
    w.field(0, 'Status', p.status?.phase ?? 'Unknown');
  }
  if (p.status?.reason) w.field(0, 'Reason', p.status.reason);
  if (p.status?.message) w.field(0, 'Message', p.status.message);
  w.field(0, 'IP', p.status?.podIP ?? '');
  const ips = p.status?.podIPs ?? (p.status?.podIP ? [{ ip: p.status.podIP }] : []);
  if (ips.length === 0) w.field(0, 'IPs', NONE);
  else {
    w.text(0, 'IPs:');
    for (const ip of ips) w.field(1, 'IP', ip.ip ?? '');
  }
  const owner = controllerOf(m);
  if (owner) w.field(0, 'Controlled By', owner);
  w.text(0, 'Containers:');
  containers(w, 1, p.spec?.containers ?? [], p.status?.containerStatuses ?? [], clock);
  const conds = p.status?.conditions ?? [];
  if (conds.length) {
    w.text(0, 'Conditions:');
    w.table(1, ['Type', 'Status'], conds.map((c) => [c.type ?? '', c.status ?? '']), false);
  }
  w.field(0, 'Node-Selectors', labelLines(p.spec?.nodeSelector));
  w.field(0, 'Tolerations', (p.spec?.tolerations ?? []).map(formatToleration));
  return w.toString();
}

function formatToleration(t: core.Toleration): string {
  const kv = t.key ? (t.operator === 'Exists' ? t.key : `${t.key}=${t.value ?? ''}`) : '';
  return `${kv}${t.effect ? `:${t.effect}` : ''} op=${t.operator ?? 'Equal'}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`;
}

/** Every `ip:port` of the Endpoints object behind one port of a Service (ports matched by name). */
export function serviceEndpoints(e: Endpoints | undefined, portName: string, ready: boolean): string[] {
  const out: string[] = [];
  for (const s of e?.subsets ?? []) {
    const port = (s.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!port) continue;
    for (const a of (ready ? s.addresses : s.notReadyAddresses) ?? []) out.push(`${a.ip ?? ''}:${port.port ?? 0}`);
  }
  return out;
}

export function describeService(s: Service, endpoints: Endpoints | undefined): string {
  const w = new DescribeWriter();
  const spec = s.spec ?? {};
  header(w, s.metadata, true);
  w.field(0, 'Labels', labelLines(s.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(s.metadata?.annotations));
  w.field(0, 'Selector', formatLabels(spec.selector));
  w.field(0, 'Type', spec.type ?? 'ClusterIP');
  if (spec.ipFamilyPolicy) w.field(0, 'IP Family Policy', spec.ipFamilyPolicy);
  if (spec.ipFamilies?.length) w.field(0, 'IP Families', spec.ipFamilies.join(','));
  if (spec.type !== 'ExternalName') {
    w.field(0, 'IP', spec.clusterIP || NONE);
    w.field(0, 'IPs', (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).join(',') || NONE);
  } else {
    w.field(0, 'External Name', spec.externalName ?? '');
  }
  if (spec.externalIPs?.length) w.field(0, 'External IPs', spec.externalIPs.join(','));
  if (spec.loadBalancerIP) w.field(0, 'IP', spec.loadBalancerIP);
  const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
  if (spec.type === 'LoadBalancer') w.field(0, 'LoadBalancer Ingress', ingress.length ? ingress.join(', ') : '<pending>');
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const proto = p.protocol ?? 'TCP';
    w.field(0, 'Port', `${name}  ${p.port ?? 0}/${proto}`);
    w.field(0, 'TargetPort', `${p.targetPort ?? p.port ?? 0}/${proto}`);
    if (p.nodePort) w.field(0, 'NodePort', `${name}  ${p.nodePort}/${proto}`);
    if (spec.selector && Object.keys(spec.selector).length || endpoints) {
      const ready = serviceEndpoints(endpoints, p.name ?? '', true);
      w.field(0, 'Endpoints', ready.length ? ready.join(',') : NONE);
      const notReady = serviceEndpoints(endpoints, p.name ?? '', false);
      if (notReady.length) w.field(0, 'Endpoints (not ready)', notReady.join(','));
    }
  }
  w.field(0, 'Session Affinity', spec.sessionAffinity ?? 'None');
  if (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds !== undefined) {
    w.field(0, 'Session Affinity Timeout', `${spec.sessionAffinityConfig.clientIP.timeoutSeconds}s`);
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') w.field(0, 'External Traffic Policy', spec.externalTrafficPolicy ?? 'Cluster');
  if (spec.internalTrafficPolicy) w.field(0, 'Internal Traffic Policy', spec.internalTrafficPolicy);
  if (spec.healthCheckNodePort) w.field(0, 'HealthCheck NodePort', spec.healthCheckNodePort);
  return w.toString();
}

const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Whether a ReplicaSet runs a Deployment's current template (its pod-template-hash label aside). */
export function runsTemplateOf(rs: ReplicaSet, d: Deployment): boolean {
  const strip = (t: core.PodTemplateSpec | undefined): unknown => {
    const c = toJson(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (c.metadata?.labels) {
      delete c.metadata.labels[POD_TEMPLATE_HASH];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    return c;
  };
  return deepEqual(toJson(strip(rs.spec?.template)), toJson(strip(d.spec?.template)));
}

export function describeDeployment(d: Deployment, replicaSets: readonly ReplicaSet[], clock: DescribeClock): string {
  const w = new DescribeWriter();
  const st = d.status ?? {};
  header(w, d.metadata, true);
  w.field(0, 'CreationTimestamp', describeTime(d.metadata?.creationTimestamp, clock.tzOffsetMinutes));
  w.field(0, 'Labels', labelLines(d.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(d.metadata?.annotations));
  w.field(0, 'Selector', d.spec?.selector ? selectorFromLabelSelector(d.spec.selector).toString() || NONE : NONE);
  w.field(
    0,
    'Replicas',
    `${d.spec?.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = d.spec?.strategy;
  w.field(0, 'StrategyType', strategy?.type ?? 'RollingUpdate');
  w.field(0, 'MinReadySeconds', d.spec?.minReadySeconds ?? 0);
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const ru = strategy?.rollingUpdate;
    w.field(0, 'RollingUpdateStrategy', `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`);
  }
  podTemplate(w, d.spec?.template, clock);
  const conds = st.conditions ?? [];
  if (conds.length) {
    w.text(0, 'Conditions:');
    w.table(1, ['Type', 'Status', 'Reason'], conds.map((c) => [c.type ?? '', c.status ?? '', c.reason ?? '']));
  }
  const owned = replicaSets.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid));
  const current = owned.find((rs) => runsTemplateOf(rs, d));
  const rsText = (rs: ReplicaSet): string => `${rs.metadata?.name ?? ''} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
  const old = owned.filter((rs) => rs !== current && (rs.spec?.replicas ?? 0) + (rs.status?.replicas ?? 0) > 0);
  w.field(0, 'OldReplicaSets', old.length ? old.map(rsText).join(', ') : NONE);
  w.field(0, 'NewReplicaSet', current ? rsText(current) : NONE);
  return w.toString();
}

export function describeReplicaSet(rs: ReplicaSet, pods: readonly Pod[], clock: DescribeClock): string {
  const w = new DescribeWriter();
  header(w, rs.metadata, true);
  w.field(0, 'Selector', rs.spec?.selector ? selectorFromLabelSelector(rs.spec.selector).toString() || NONE : NONE);
  w.field(0, 'Labels', labelLines(rs.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(rs.metadata?.annotations));
  const owner = controllerOf(rs.metadata);
  if (owner) w.field(0, 'Controlled By', owner);
  w.field(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
  const owned = pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === rs.metadata?.uid));
  const phase = (ph: string): number => owned.filter((p) => (p.status?.phase ?? 'Pending') === ph).length;
  w.field(0, 'Pods Status', `${phase('Running')} Running / ${phase('Pending')} Waiting / ${phase('Succeeded')} Succeeded / ${phase('Failed')} Failed`);
  podTemplate(w, rs.spec?.template, clock);
  return w.toString();
}

export function describeNode(n: Node, pods: readonly Pod[], lease: Lease | undefined, clock: DescribeClock): string {
  const w = new DescribeWriter();
  const tz = clock.tzOffsetMinutes;
  header(w, n.metadata, false);
  w.field(0, 'Roles', nodeRoles(n));
  w.field(0, 'Labels', labelLines(n.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(n.metadata?.annotations));
  w.field(0, 'CreationTimestamp', describeTime(n.metadata?.creationTimestamp, tz));
  w.field(0, 'Taints', (n.spec?.taints ?? []).map((t) => `${t.key ?? ''}${t.value ? `=${t.value}` : ''}:${t.effect ?? ''}`));
  w.field(0, 'Unschedulable', n.spec?.unschedulable ?? false);
  w.text(0, 'Lease:');
  w.field(1, 'HolderIdentity', lease?.spec?.holderIdentity ?? '<unset>');
  w.field(1, 'AcquireTime', describeTime(lease?.spec?.acquireTime, tz));
  w.field(1, 'RenewTime', describeTime(lease?.spec?.renewTime, tz));
  const conds = n.status?.conditions ?? [];
  w.text(0, 'Conditions:');
  w.table(
    1,
    ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
    conds.map((c) => [c.type ?? '', c.status ?? '', describeTime(c.lastHeartbeatTime, tz), describeTime(c.lastTransitionTime, tz), c.reason ?? '', c.message ?? '']),
  );
  w.text(0, 'Addresses:');
  for (const a of n.status?.addresses ?? []) w.field(1, a.type ?? '', a.address ?? '');
  for (const [title, m] of [
    ['Capacity', n.status?.capacity],
    ['Allocatable', n.status?.allocatable],
  ] as const) {
    w.text(0, `${title}:`);
    for (const k of Object.keys(m ?? {}).sort()) w.field(1, k, m![k]!);
  }
  const info = n.status?.nodeInfo ?? {};
  w.text(0, 'System Info:');
  w.field(1, 'Machine ID', info.machineID ?? '');
  w.field(1, 'Boot ID', info.bootID ?? '');
  w.field(1, 'Kernel Version', info.kernelVersion ?? '');
  w.field(1, 'OS Image', info.osImage ?? '');
  w.field(1, 'Operating System', info.operatingSystem ?? '');
  w.field(1, 'Architecture', info.architecture ?? '');
  w.field(1, 'Container Runtime Version', info.containerRuntimeVersion ?? '');
  w.field(1, 'Kubelet Version', info.kubeletVersion ?? '');
  w.field(1, 'Kube-Proxy Version', info.kubeProxyVersion ?? '');
  w.field(0, 'PodCIDR', n.spec?.podCIDR ?? '');
  w.field(0, 'PodCIDRs', (n.spec?.podCIDRs ?? []).join(','));
  const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  w.field(0, 'Non-terminated Pods', `(${running.length} in total)`);
  if (running.length) {
    w.table(
      1,
      ['Namespace', 'Name', 'IP', 'Status', 'Age'],
      running.map((p) => [p.metadata?.namespace ?? '', p.metadata?.name ?? '', p.status?.podIP ?? '', podStatus(p), age(p.metadata?.creationTimestamp, clock.now)]),
    );
  }
  return w.toString();
}

export function describeEndpoints(e: Endpoints): string {
  const w = new DescribeWriter();
  header(w, e.metadata, true);
  w.field(0, 'Labels', labelLines(e.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(e.metadata?.annotations));
  w.text(0, 'Subsets:');
  for (const s of e.subsets ?? []) {
    w.field(1, 'Addresses', (s.addresses ?? []).map((a) => a.ip ?? '').join(',') || NONE);
    w.field(1, 'NotReadyAddresses', (s.notReadyAddresses ?? []).map((a) => a.ip ?? '').join(',') || NONE);
    w.text(1, 'Ports:');
    w.table(2, ['Name', 'Port', 'Protocol'], (s.ports ?? []).map((p) => [p.name || '<unset>', String(p.port ?? 0), p.protocol ?? 'TCP']));
  }
  return w.toString();
}

export function describeNamespace(ns: Namespace): string {
  const w = new DescribeWriter();
  header(w, ns.metadata, false);
  w.field(0, 'Labels', labelLines(ns.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(ns.metadata?.annotations));
  w.field(0, 'Status', ns.status?.phase ?? '');
  return w.toString();
}

/**
 * Any other object (Leases, EndpointSlices): the usual header, then the rest of the object
 * as YAML, so nothing is hidden.
 */
export function describeGeneric(r: ResourceName, obj: { metadata?: ObjectMeta }): string {
  const w = new DescribeWriter();
  header(w, obj.metadata, resourceInfo(r).namespaced);
  w.field(0, 'Labels', labelLines(obj.metadata?.labels));
  w.field(0, 'Annotations', annotationLines(obj.metadata?.annotations));
  const rest = { ...(obj as Record<string, unknown>) };
  for (const k of ['apiVersion', 'kind', 'metadata']) delete rest[k];
  let text = w.toString();
  for (const [k, v] of Object.entries(rest)) {
    const body = toYaml({ [k[0]!.toUpperCase() + k.slice(1)]: v });
    text += body;
  }
  return text;
}
