import { hostname } from 'node:os';

/**
 * Who a workload is, as the kubelet tells it through the downward-API style environment
 * (POD_NAME, POD_NAMESPACE, POD_IP, NODE_NAME). Workloads report it in their answers so a
 * client behind a Service can see which backend served it.
 */
export interface PodIdentity {
  pod: string;
  namespace: string;
  /** The pod's IP; empty when the workload runs outside a pod without POD_IP. */
  podIP: string;
  node: string;
}

/** Listen address when POD_IP is unset (a workload started by hand). */
export const FALLBACK_HOST = '127.0.0.1';

/** Reads the identity; a missing POD_NAME falls back to the host name, as a pod's hostname is its name. */
export function podIdentityFromEnv(env: NodeJS.ProcessEnv): PodIdentity {
  return {
    pod: nonEmpty(env['POD_NAME']) ?? hostname(),
    namespace: nonEmpty(env['POD_NAMESPACE']) ?? 'default',
    podIP: nonEmpty(env['POD_IP']) ?? '',
    node: nonEmpty(env['NODE_NAME']) ?? '',
  };
}

/** The default listen host: the pod IP, else loopback. */
export function defaultListenHost(identity: PodIdentity): string {
  return identity.podIP === '' ? FALLBACK_HOST : identity.podIP;
}

/** `pod default/web-abc, node node-1`: the tail of every start line. */
export function describeIdentity(identity: PodIdentity): string {
  return `pod ${identity.namespace}/${identity.pod}, node ${identity.node === '' ? '?' : identity.node}`;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
