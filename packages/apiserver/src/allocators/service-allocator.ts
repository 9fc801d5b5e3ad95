import { apiError, fieldErrors, GoLiteral, invalidError, Reason, type ApiError, type FieldError, type Service } from '@kemu/api';
import type { Cmp, Op } from '../etcd/etcd-client.js';
import { pickClusterIP, pickNodePort, type IPRange, type PortRange } from './ranges.js';

/** Where allocations live in etcd: one key per IP / port, created in the Service's own Txn. */
export const IP_PREFIX = '/registry/ipaddresses/';
export const NODE_PORT_PREFIX = '/registry/servicenodeports/';

export interface Taken {
  ip(ip: string): boolean;
  port(p: number): boolean;
}

export interface AllocationPlan {
  cmps: Cmp[];
  ops: Op[];
}

const needsNodePorts = (s: Service): boolean => s.spec?.type === 'NodePort' || (s.spec?.type === 'LoadBalancer' && s.spec.allocateLoadBalancerNodePorts !== false);
const needsClusterIP = (s: Service): boolean => s.spec?.type !== 'ExternalName' && s.spec?.clusterIP !== 'None';

function ipsOf(s: Service | undefined): string[] {
  if (!s || s.spec?.type === 'ExternalName') return [];
  const ip = s.spec?.clusterIP;
  return ip && ip !== 'None' ? [ip] : [];
}

export function nodePortsOf(s: Service | undefined): number[] {
  if (!s) return [];
  const ports = (s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p > 0);
  if (s.spec?.healthCheckNodePort) ports.push(s.spec.healthCheckNodePort);
  return [...new Set(ports)];
}

/**
 * Fills in a Service's ClusterIP, node ports and health-check node port (mutating
 * `svc`) and returns the etcd compares and writes that claim them atomically with the
 * Service itself: each newly claimed value's key must not exist (mod_revision 0), each
 * value the Service gives up is deleted. Two apiservers racing for one value cannot both
 * win; the loser's Txn fails and it picks again. `old` is the stored Service on update.
 */
export function planServiceAllocation(
  svc: Service,
  old: Service | undefined,
  ipRange: IPRange,
  ports: PortRange,
  taken: Taken,
  random: () => number,
): AllocationPlan {
  const spec = (svc.spec ??= {});
  const name = svc.metadata?.name ?? '';
  const owner = `${svc.metadata?.namespace ?? ''}/${name}`;
  const errs: FieldError[] = [];
  const oldIPs = new Set(ipsOf(old));
  const oldPorts = new Set(nodePortsOf(old));

  if (needsClusterIP(svc)) {
    if (!spec.clusterIP) {
      const ip = old && oldIPs.size ? [...oldIPs][0] : pickClusterIP(ipRange, (x) => taken.ip(x), random);
      if (!ip) throw apiError(Reason.InternalError, 'Internal error occurred: failed to allocate a serviceIP: range is full');
      spec.clusterIP = ip;
    } else if (!oldIPs.has(spec.clusterIP)) {
      const ip = spec.clusterIP;
      const why = !ipRange.usable(ip)
        ? `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${ipRange.cidr}`
        : taken.ip(ip)
          ? 'provided IP is already allocated'
          : '';
      if (why) errs.push(fieldErrors.invalid('spec.clusterIPs', goStrings([ip]), `failed to allocate IP ${ip}: ${why}`));
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  const claimed = new Set<number>();
  if (needsNodePorts(svc)) {
    (spec.ports ?? []).forEach((p, i) => {
      if (p.nodePort) {
        if (!oldPorts.has(p.nodePort) && !claimed.has(p.nodePort)) {
          if (p.nodePort < ports.min || p.nodePort > ports.max) {
            errs.push(
              fieldErrors.invalid(
                `spec.ports[${i}].nodePort`,
                p.nodePort,
                `provided port is not in the valid range. The range of valid ports is ${ports.min}-${ports.max}`,
              ),
            );
          } else if (taken.port(p.nodePort)) {
            errs.push(fieldErrors.invalid(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'));
          }
        }
        claimed.add(p.nodePort);
        return;
      }
      const keep = old?.spec?.ports?.find((o) => o.name === p.name && o.port === p.port && o.nodePort)?.nodePort;
      const port = keep ?? pickNodePort(ports, (x) => taken.port(x) || claimed.has(x), random);
      if (port === undefined) errs.push(fieldErrors.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full'));
      else {
        p.nodePort = port;
        claimed.add(port);
      }
    });
  } else {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  const wantsHealthCheck = spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
  if (wantsHealthCheck) {
    if (!spec.healthCheckNodePort) {
      const hc = old?.spec?.healthCheckNodePort || pickNodePort(ports, (x) => taken.port(x) || claimed.has(x), random);
      if (hc === undefined) errs.push(fieldErrors.invalid('spec.healthCheckNodePort', 0, 'range is full'));
      else spec.healthCheckNodePort = hc;
    } else if (!oldPorts.has(spec.healthCheckNodePort) && taken.port(spec.healthCheckNodePort)) {
      errs.push(fieldErrors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'provided port is already allocated'));
    }
  } else {
    delete spec.healthCheckNodePort;
  }
  if (errs.length) throw invalidError('Service', name, '', errs);

  const plan: AllocationPlan = { cmps: [], ops: [] };
  const newIPs = ipsOf(svc);
  for (const ip of newIPs) {
    if (oldIPs.has(ip)) continue;
    plan.cmps.push({ key: IP_PREFIX + ip, modRevision: 0 });
    plan.ops.push({ put: IP_PREFIX + ip, value: owner });
  }
  for (const ip of oldIPs) if (!newIPs.includes(ip)) plan.ops.push({ del: IP_PREFIX + ip });
  const newPorts = nodePortsOf(svc);
  for (const p of newPorts) {
    if (oldPorts.has(p)) continue;
    plan.cmps.push({ key: NODE_PORT_PREFIX + String(p), modRevision: 0 });
    plan.ops.push({ put: NODE_PORT_PREFIX + String(p), value: owner });
  }
  for (const p of oldPorts) if (!newPorts.includes(p)) plan.ops.push({ del: NODE_PORT_PREFIX + String(p) });
  return plan;
}

/** The writes that release everything a deleted Service held. */
export function releaseServiceAllocation(svc: Service): Op[] {
  return [...ipsOf(svc).map((ip) => ({ del: IP_PREFIX + ip })), ...nodePortsOf(svc).map((p) => ({ del: NODE_PORT_PREFIX + String(p) }))];
}

/** Go's %#v of a []string, as Kubernetes prints clusterIPs in field errors. */
function goStrings(xs: string[]): GoLiteral {
  return new GoLiteral(`[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}`);
}

export type { ApiError };
