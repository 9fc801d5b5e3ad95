import { isIPv6 } from 'node:net';
import type { Service } from '@kemu/api';

/** The namespace and names of the apiserver's own Services, whose variables every pod gets. */
export const MASTER_SERVICE_NAMESPACE = 'default';
const MASTER_SERVICES = new Set(['kubernetes']);

/**
 * The Service environment variables of a container, as the kubelet builds them
 * (pkg/kubelet/envvars): for each Service with a cluster IP in the pod's namespace (only
 * with enableServiceLinks) and the `kubernetes` Service of `default` (always; a Service
 * of that name in the pod's own namespace takes its place when links are on):
 *
 *   <SVC>_SERVICE_HOST, <SVC>_SERVICE_PORT (first port), <SVC>_SERVICE_PORT_<NAME> (named
 *   ports), <SVC>_PORT (first port, docker-link style), and per port
 *   <SVC>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}.
 *
 * `services` is every Service the node knows; a Service created after the container
 * started is not in its environment (Kubernetes has the same ordering rule).
 */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (ns === MASTER_SERVICE_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const out = new Map<string, string>();
  const names = [...chosen.keys()].sort();
  for (const name of names) for (const [k, v] of serviceVars(chosen.get(name)!)) out.set(k, v);
  return out;
}

function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/** One Service's variables, in the order the kubelet lists them. */
function serviceVars(svc: Service): [string, string][] {
  const prefix = envVarName(svc.metadata?.name ?? '');
  const ip = svc.spec?.clusterIP ?? '';
  const ports = svc.spec?.ports ?? [];
  const out: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  const first = ports[0];
  if (first) {
    out.push([`${prefix}_SERVICE_PORT`, String(first.port ?? 0)]);
    for (const sp of ports) if (sp.name) out.push([`${prefix}_SERVICE_PORT_${envVarName(sp.name)}`, String(sp.port ?? 0)]);
  }
  ports.forEach((sp, i) => {
    const proto = (sp.protocol || 'TCP').toLowerCase();
    const url = `${proto}://${joinHostPort(ip, sp.port ?? 0)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${sp.port ?? 0}_${proto.toUpperCase()}`;
    out.push([portPrefix, url], [`${portPrefix}_PROTO`, proto], [`${portPrefix}_PORT`, String(sp.port ?? 0)], [`${portPrefix}_ADDR`, ip]);
  });
  return out;
}

/** A Service (or port) name as a variable name: upper case, '-' becomes '_' (nothing else changes, as in Kubernetes). */
export function envVarName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
