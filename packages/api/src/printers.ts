// The cells kubectl prints for the kinds kemu serves (kubernetes' pkg/printers), shared by
// the apiserver's Table output and `kemu get`/`describe`.
import type { Endpoints, Node, Pod, Service } from './gen/kemu/api/core.js';

export const NONE = '<none>';

/** `a=1,b=2` in key order (labels.FormatLabels), or <none>. */
export function formatLabels(m: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${m![k]}`).join(',') : NONE;
}

/** At most three items, then " + N more...", or `empty` (kubectl's listWithMoreString). */
export function listWithMore(items: readonly string[], empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, 3).join(',');
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
}

/**
 * The STATUS cell of a pod: the phase, overridden by the pod's reason, then by the last
 * container (in reverse order) that is waiting or terminated; Terminating once deleted.
 */
export function podStatus(p: Pod): string {
  let reason = p.status?.reason || p.status?.phase || '';
  let running = false;
  const statuses = p.status?.containerStatuses ?? [];
  for (let i = statuses.length - 1; i >= 0; i--) {
    const st = statuses[i]!.state ?? {};
    if (st.waiting?.reason) reason = st.waiting.reason;
    else if (st.terminated?.reason) reason = st.terminated.reason;
    else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode ?? 0}`;
    else if (statuses[i]!.ready && st.running) running = true;
  }
  if (reason === 'Completed' && running) {
    reason = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (p.metadata?.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** EXTERNAL-IP: load balancer ingress and externalIPs; <pending> while a LoadBalancer has none. */
export function serviceExternalIP(s: Service): string {
  const external = s.spec?.externalIPs ?? [];
  switch (s.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : NONE;
    case 'LoadBalancer': {
      const ingress = [...new Set((s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean))].sort();
      const all = [...ingress, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return s.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** PORT(S): `80:30080/TCP,53/UDP`, or <none>. */
export function servicePorts(s: Service): string {
  const ports = s.spec?.ports ?? [];
  if (ports.length === 0) return NONE;
  return ports.map((p) => `${p.port ?? 0}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

/**
 * Node STATUS as kubectl prints it: Ready, or NotReady for a Ready condition that is False
 * or Unknown (a silent node), Unknown with no Ready condition; then SchedulingDisabled.
 */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  const out = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (n.spec?.unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** ROLES: node-role.kubernetes.io/<role> labels and kubernetes.io/role. */
export function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : NONE;
}

/** Every `ip:port` of an Endpoints object (ip alone for a subset without ports). */
export function endpointAddresses(e: Endpoints): string[] {
  const out: string[] = [];
  for (const s of e.subsets ?? []) {
    const ips = (s.addresses ?? []).map((a) => a.ip ?? '');
    if ((s.ports ?? []).length === 0) out.push(...ips);
    for (const p of s.ports ?? []) for (const ip of ips) out.push(`${ip}:${p.port ?? 0}`);
  }
  return out;
}
