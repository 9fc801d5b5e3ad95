// Shrinks Services and EndpointSlices to the per-port facts the forwarding table needs.
// Only IPv4 is programmed (kemu's address plan is single-stack IPv4).
import { isIPv4 } from 'node:net';
import type { EndpointSlice, Service } from '@kemu/api';
import { servicePortKey, type EndpointInfo, type Protocol, type ServicePortInfo } from './types.js';

/** The default ClientIP affinity timeout (3 hours), as in Kubernetes. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

type ServiceType = ServicePortInfo['type'];

function serviceType(t: string | undefined): ServiceType | undefined {
  switch (t ?? '') {
    case '':
    case 'ClusterIP':
      return 'ClusterIP';
    case 'NodePort':
      return 'NodePort';
    case 'LoadBalancer':
      return 'LoadBalancer';
    default:
      // ExternalName (and anything unknown) gets no proxying.
      return undefined;
  }
}

/** 'TCP' | 'UDP' for the protocols the proxy forwards; undefined for SCTP and unknown ones. */
export function parseProtocol(p: string | undefined): Protocol | undefined {
  const v = p === undefined || p === '' ? 'TCP' : p;
  return v === 'TCP' || v === 'UDP' ? v : undefined;
}

function ipv4s(ips: readonly (string | undefined)[] | undefined): string[] {
  const out: string[] = [];
  for (const ip of ips ?? []) {
    if (ip !== undefined && isIPv4(ip) && !out.includes(ip)) out.push(ip);
  }
  return out;
}

/**
 * The proxied ports of a Service. Empty for headless (clusterIP None or unset) and
 * ExternalName Services; SCTP ports and non-IPv4 addresses are skipped.
 */
export function servicePorts(svc: Service): ServicePortInfo[] {
  const spec = svc.spec ?? {};
  const type = serviceType(spec.type);
  if (type === undefined) return [];
  const clusterIPs = ipv4s(spec.clusterIPs !== undefined && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP]);
  if (clusterIPs.length === 0) return [];

  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const externallyAccessible = type !== 'ClusterIP' || (spec.externalIPs?.length ?? 0) > 0;
  const externalPolicyLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  const internalPolicyLocal = spec.internalTrafficPolicy === 'Local';
  const loadBalancerIPs =
    type === 'LoadBalancer'
      ? ipv4s((svc.status?.loadBalancer?.ingress ?? []).filter((ing) => ing.ipMode !== 'Proxy').map((ing) => ing.ip))
      : [];
  const externalIPs = ipv4s(spec.externalIPs);
  const affinityTimeoutSeconds =
    spec.sessionAffinity === 'ClientIP'
      ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds || DEFAULT_AFFINITY_TIMEOUT_SECONDS
      : undefined;
  const healthCheckNodePort =
    type === 'LoadBalancer' && externalPolicyLocal && (spec.healthCheckNodePort ?? 0) > 0 ? spec.healthCheckNodePort : undefined;

  const out: ServicePortInfo[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = parseProtocol(p.protocol);
    const port = p.port ?? 0;
    if (protocol === undefined || port <= 0) continue;
    const portName = p.name ?? '';
    const info: ServicePortInfo = {
      key: servicePortKey(namespace, name, portName, protocol),
      namespace,
      name,
      portName,
      protocol,
      type,
      clusterIPs,
      port,
      loadBalancerIPs,
      externalIPs,
      externalPolicyLocal,
      internalPolicyLocal,
    };
    if (type !== 'ClusterIP' && (p.nodePort ?? 0) > 0) info.nodePort = p.nodePort;
    if (affinityTimeoutSeconds !== undefined) info.affinityTimeoutSeconds = affinityTimeoutSeconds;
    if (healthCheckNodePort !== undefined) info.healthCheckNodePort = healthCheckNodePort;
    out.push(info);
  }
  return out;
}

function sliceName(s: EndpointSlice): string {
  return s.metadata?.name ?? '';
}

/**
 * The endpoints of one service port from its Service's slices: slice ports matched by
 * name and protocol; conditions defaulted as Kubernetes does (ready unset = true,
 * serving unset = ready, terminating unset = false); only the first address of each
 * endpoint; one entry per ip:port (a ready copy wins over a not-ready one, else the
 * first in slice-name order); sorted by address (compareAddresses).
 */
export function endpointsFor(sp: ServicePortInfo, slices: readonly EndpointSlice[]): EndpointInfo[] {
  const byKey = new Map<string, EndpointInfo>();
  const ordered = [...slices].sort((a, b) => compareStrings(sliceName(a), sliceName(b)));
  for (const slice of ordered) {
    if (slice.addressType !== 'IPv4') continue;
    const slicePort = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === sp.portName && parseProtocol(p.protocol) === sp.protocol && (p.port ?? 0) > 0,
    );
    if (slicePort?.port === undefined) continue;
    const port = slicePort.port;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (ip === undefined || !isIPv4(ip)) continue;
      const ready = ep.conditions?.ready ?? true;
      const info: EndpointInfo = {
        key: `${ip}:${port}`,
        ip,
        port,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
      };
      if (ep.nodeName) info.nodeName = ep.nodeName;
      if (ep.zone) info.zone = ep.zone;
      if (ep.targetRef?.name) info.pod = `${ep.targetRef.namespace ?? slice.metadata?.namespace ?? ''}/${ep.targetRef.name}`;
      const seen = byKey.get(info.key);
      if (seen === undefined || (!seen.ready && info.ready)) byKey.set(info.key, info);
    }
  }
  return [...byKey.values()].sort(compareAddresses);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The address as a number (dotted-quad parse without allocating); garbage sorts as its digits allow. */
function ipv4Number(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      n = n * 256 + octet;
      octet = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
    }
  }
  return n * 256 + octet;
}

/**
 * Orders endpoints and frontends by key with addresses compared numerically
 * (127.244.1.9 before 127.244.1.10): protocol (when present), IP, port.
 */
export function compareAddresses(
  a: { ip: string; port: number; protocol?: string },
  b: { ip: string; port: number; protocol?: string },
): number {
  return compareStrings(a.protocol ?? '', b.protocol ?? '') || ipv4Number(a.ip) - ipv4Number(b.ip) || a.port - b.port;
}

/** Structural equality of port sets (same ports in the same order). */
export function sameServicePorts(a: readonly ServicePortInfo[], b: readonly ServicePortInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || !sameServicePort(x, y)) return false;
  }
  return true;
}

/** Compares every field of ServicePortInfo (namespace, name, portName and protocol are implied by key). */
export function sameServicePort(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return (
    a.key === b.key &&
    a.type === b.type &&
    a.port === b.port &&
    a.nodePort === b.nodePort &&
    a.affinityTimeoutSeconds === b.affinityTimeoutSeconds &&
    a.externalPolicyLocal === b.externalPolicyLocal &&
    a.internalPolicyLocal === b.internalPolicyLocal &&
    a.healthCheckNodePort === b.healthCheckNodePort &&
    sameStrings(a.clusterIPs, b.clusterIPs) &&
    sameStrings(a.loadBalancerIPs, b.loadBalancerIPs) &&
    sameStrings(a.externalIPs, b.externalIPs)
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function sameEndpoint(a: EndpointInfo, b: EndpointInfo): boolean {
  return (
    a.key === b.key &&
    a.ready === b.ready &&
    a.serving === b.serving &&
    a.terminating === b.terminating &&
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    a.pod === b.pod
  );
}

export function sameEndpoints(a: readonly EndpointInfo[], b: readonly EndpointInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || !sameEndpoint(x, y)) return false;
  }
  return true;
}
