// The forwarding table: pure data the data plane consults for every new connection.
// setService() replaces one Service at a time and reports exactly what changed, so a
// sync costs O(changed Services), never a rebuild of the whole table.
import type { EndpointSlice } from '@kemu/api';
import { assertNever } from '@kemu/common';
import { byClientHash, choose } from './balancer.js';
import { PortState, UsableList } from './port-state.js';
import { compareAddresses, compareStrings, endpointsFor } from './service-info.js';
import { healthCheckPortOf, sameFrontend, serviceFrontends } from './service-frontends.js';
import type { Algorithm, EndpointInfo, Frontend, ServicePortInfo } from './types.js';

export interface ForwardingTableOptions {
  nodeName: string;
  nodeIPs: string[];
  algorithm: Algorithm;
  /** Uniform in [0, 1); injected so tests are seeded. */
  random: () => number;
  /** The node a client address lives on (a pod IP's node), for internalTrafficPolicy Local. */
  nodeOfIP?: (ip: string) => string | undefined;
  /**
   * How long new connections avoid an endpoint whose connect timed out, while another is
   * usable (default 3 s). A dead node's pods answer no SYN until the control plane takes
   * them out of the EndpointSlices (a grace period later); without this every connection
   * that picks one pays a dial timeout before its retry.
   */
  holdOffMs?: number;
}

export const DEFAULT_HOLD_OFF_MS = 3_000;

/**
 * What one setService() changed. The data plane applies frontendsRemoved before
 * frontendsAdded: a key can appear in both when its owner or kind changes.
 */
export interface TableDiff {
  frontendsAdded: Frontend[];
  frontendsRemoved: Frontend[];
  /** Per service port, endpoints that were usable by some frontend and no longer are. */
  endpointsRemoved: { servicePort: string; endpoints: EndpointInfo[] }[];
  /** Service ports added, removed, or whose spec or endpoints changed. */
  servicePortsChanged: string[];
}

export interface PickContext {
  clientIP: string;
  now: number;
  /** Endpoint keys that just failed to connect for this connection; the next pick avoids them. */
  exclude?: ReadonlySet<string>;
}

export type Pick =
  | { kind: 'endpoint'; endpoint: EndpointInfo; servicePort: ServicePortInfo }
  /** Nothing to send to: the data plane rejects (TCP RST / ICMP unreachable), as iptables' REJECT. */
  | { kind: 'no-endpoints'; reason: string }
  /** Endpoints exist but policy forbids them here: the data plane drops silently, as iptables' DROP. */
  | { kind: 'drop'; reason: string }
  | { kind: 'unknown-frontend' };

export interface HealthCheckResponse {
  code: 200 | 503;
  body: string;
}

export interface EndpointStats {
  key: string;
  active: number;
  total: number;
  connectFailures: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ServicePortStats {
  servicePort: string;
  connectionsActive: number;
  connectionsTotal: number;
  connectFailures: number;
  bytesIn: number;
  bytesOut: number;
  affinityClients: number;
  /** Endpoints that carried or are carrying connections, sorted by key (as strings). */
  endpoints: EndpointStats[];
}

/** One Service's claim on a frontend address. */
interface Claim {
  frontend: Frontend;
  service: string;
  /** Undefined for health-check frontends. */
  port: PortState | undefined;
  /** New connections that arrived on this frontend (first picks, not retries). */
  connections: number;
}

interface ServiceState {
  ports: PortState[];
  frontends: Frontend[];
  healthCheckNodePort: number | undefined;
  /** Distinct IPs of this node's ready endpoints over all the Service's ports. */
  localReady: number;
}

/**
 * Invariants: every active frontend belongs to a Service present in `services`; a key
 * claimed by several Services (overlapping external IPs, a cluster IP reused before the
 * old Service's delete arrived) is served by the earliest claim, the others wait in
 * `contenders` and take over in order when it goes; `affinityPorts` holds exactly the
 * ports with affinity entries.
 */
export class ForwardingTable {
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly algorithm: Algorithm;
  private readonly random: () => number;
  private readonly nodeOfIP: ((ip: string) => string | undefined) | undefined;
  private readonly holdOffMs: number;
  private readonly services = new Map<string, ServiceState>();
  private readonly ports = new Map<string, PortState>();
  private readonly active = new Map<string, Claim>();
  private readonly contenders = new Map<string, Claim[]>();
  private readonly healthChecks = new Map<number, string>();
  private readonly affinityPorts = new Set<PortState>();

  constructor(opts: ForwardingTableOptions) {
    this.nodeName = opts.nodeName;
    this.nodeIPs = [...opts.nodeIPs];
    this.algorithm = opts.algorithm;
    this.random = opts.random;
    this.nodeOfIP = opts.nodeOfIP;
    this.holdOffMs = opts.holdOffMs ?? DEFAULT_HOLD_OFF_MS;
  }

  /**
   * Replaces everything about one Service (namespace/name): its ports (empty = deleted)
   * and its EndpointSlices. Cost is proportional to this Service's size.
   */
  setService(namespacedName: string, ports: ServicePortInfo[], slices: EndpointSlice[], now: number): TableDiff {
    const diff: TableDiff = { frontendsAdded: [], frontendsRemoved: [], endpointsRemoved: [], servicePortsChanged: [] };
    const old = this.services.get(namespacedName);

    const states: PortState[] = [];
    const seen = new Set<string>();
    for (const info of ports) {
      if (`${info.namespace}/${info.name}` !== namespacedName) {
        throw new RangeError(`proxy forwarding table: port ${info.key} does not belong to Service ${namespacedName}`);
      }
      if (seen.has(info.key)) continue;
      seen.add(info.key);
      const endpoints = endpointsFor(info, slices);
      const existing = this.ports.get(info.key);
      if (existing === undefined) {
        const ps = new PortState(namespacedName, this.nodeName, info, endpoints);
        this.ports.set(info.key, ps);
        states.push(ps);
        diff.servicePortsChanged.push(info.key);
        continue;
      }
      const u = existing.update(info, endpoints);
      if (u.changed) diff.servicePortsChanged.push(info.key);
      if (u.removed.length > 0) diff.endpointsRemoved.push({ servicePort: info.key, endpoints: u.removed });
      existing.expireAffinity(now);
      if (existing.affinity === undefined) this.affinityPorts.delete(existing);
      states.push(existing);
    }
    for (const ps of old?.ports ?? []) {
      if (seen.has(ps.info.key)) continue;
      this.ports.delete(ps.info.key);
      this.affinityPorts.delete(ps);
      diff.servicePortsChanged.push(ps.info.key);
      const gone = [...ps.reachable().values()].sort(compareAddresses);
      if (gone.length > 0) diff.endpointsRemoved.push({ servicePort: ps.info.key, endpoints: gone });
    }

    const frontends = serviceFrontends(namespacedName, states.map((s) => s.info), this.nodeIPs);
    this.updateFrontends(namespacedName, old?.frontends ?? [], frontends, diff);

    let healthCheckNodePort: number | undefined;
    for (const s of states) healthCheckNodePort ??= healthCheckPortOf(s.info);
    const oldHc = old?.healthCheckNodePort;
    if (oldHc !== undefined && oldHc !== healthCheckNodePort && this.healthChecks.get(oldHc) === namespacedName) {
      this.healthChecks.delete(oldHc);
    }
    if (healthCheckNodePort !== undefined && !this.healthChecks.has(healthCheckNodePort)) {
      this.healthChecks.set(healthCheckNodePort, namespacedName);
    }

    if (states.length === 0) {
      this.services.delete(namespacedName);
    } else {
      this.services.set(namespacedName, {
        ports: states,
        frontends,
        healthCheckNodePort,
        localReady: healthCheckNodePort === undefined ? 0 : this.countLocalReady(states),
      });
    }
    diff.frontendsAdded.sort(compareAddresses);
    diff.frontendsRemoved.sort(compareAddresses);
    diff.servicePortsChanged.sort(compareStrings);
    diff.endpointsRemoved.sort((a, b) => compareStrings(a.servicePort, b.servicePort));
    return diff;
  }

  /** Chooses the endpoint for a new connection (or a retry, with failed endpoints in ctx.exclude). */
  pick(frontendKey: string, ctx: PickContext): Pick {
    const claim = this.active.get(frontendKey);
    if (claim === undefined) return { kind: 'unknown-frontend' };
    const port = claim.port;
    if (port === undefined) return { kind: 'drop', reason: `${frontendKey} is a health-check frontend (served by healthCheck)` };
    const retry = ctx.exclude !== undefined && ctx.exclude.size > 0;
    if (!retry) claim.connections++;
    const info = port.info;

    const kind = claim.frontend.kind;
    // The client's node matters only for internalTrafficPolicy Local; resolve it only then.
    const list = this.listFor(claim, kind === 'cluster-ip' && info.internalPolicyLocal ? this.clientNode(ctx.clientIP) : this.nodeName);
    if (list.endpoints.length === 0) {
      if (port.cluster.endpoints.length === 0) return { kind: 'no-endpoints', reason: `service ${info.key} has no endpoints` };
      const policy = kind === 'cluster-ip' ? 'internalTrafficPolicy' : 'externalTrafficPolicy';
      const node = kind === 'cluster-ip' ? this.clientNode(ctx.clientIP) : this.nodeName;
      return { kind: 'drop', reason: `service ${info.key} has no local endpoints on node ${node} (${policy} Local)` };
    }

    const pinned = port.affinityOf(ctx.clientIP, ctx.now);
    if (pinned !== undefined && list.has(pinned) && !(ctx.exclude?.has(pinned) ?? false)) {
      const endpoint = list.endpoints.find((e) => e.key === pinned);
      if (endpoint !== undefined) return { kind: 'endpoint', endpoint, servicePort: info };
    }

    let candidates = list.endpoints;
    if (retry) {
      candidates = candidates.filter((e) => !(ctx.exclude?.has(e.key) ?? false));
      if (candidates.length === 0) {
        return { kind: 'no-endpoints', reason: `all ${list.endpoints.length} usable endpoints of service ${info.key} failed to connect` };
      }
    }
    candidates = port.withoutHeldOff(candidates, ctx.now);
    if (info.affinityTimeoutSeconds !== undefined) {
      // A client's first endpoint comes from a hash of its address, not from the algorithm:
      // in local mode every agent shares the host's loopback and the kernel spreads one
      // client's connections over all of them, each with its own affinity table. Hashing
      // makes them agree, so the client sees one proxy as it would on a real node.
      return { kind: 'endpoint', endpoint: byClientHash(candidates, ctx.clientIP), servicePort: info };
    }
    return { kind: 'endpoint', endpoint: choose(this.algorithm, candidates, port, this.random), servicePort: info };
  }

  /** A connection to `endpointKey` was established: counts it and (ClientIP affinity) pins the client. */
  connectionOpened(servicePort: string, endpointKey: string, clientIP: string, now: number): void {
    const port = this.ports.get(servicePort);
    if (port === undefined) return;
    port.release(endpointKey);
    port.active++;
    port.total++;
    const c = port.countersOf(endpointKey, true);
    if (c !== undefined) {
      c.active++;
      c.total++;
    }
    if (port.info.affinityTimeoutSeconds !== undefined) {
      port.pin(clientIP, endpointKey, now);
      this.affinityPorts.add(port);
    }
  }

  connectionClosed(servicePort: string, endpointKey: string): void {
    const port = this.ports.get(servicePort);
    if (port === undefined) return;
    if (port.active > 0) port.active--;
    const c = port.countersOf(endpointKey, false);
    if (c === undefined) return;
    if (c.active > 0) c.active--;
    if (!c.live && c.active === 0) port.counters?.delete(endpointKey);
  }

  /**
   * A connect to `endpointKey` failed; with `timedOutAt` (it timed out then) new connections
   * avoid the endpoint for holdOffMs while another is usable.
   */
  connectFailed(servicePort: string, endpointKey: string, timedOutAt?: number): void {
    const port = this.ports.get(servicePort);
    if (port === undefined) return;
    port.connectFailures++;
    if (timedOutAt !== undefined) port.holdOff(endpointKey, timedOutAt + this.holdOffMs);
    const c = port.countersOf(endpointKey, port.endpoints.some((e) => e.key === endpointKey));
    if (c !== undefined) c.connectFailures++;
  }

  /** Bytes relayed: in = client to endpoint, out = endpoint to client. */
  bytes(servicePort: string, inBytes: number, outBytes: number, endpointKey?: string): void {
    const port = this.ports.get(servicePort);
    if (port === undefined) return;
    port.bytesIn += inBytes;
    port.bytesOut += outBytes;
    if (endpointKey === undefined) return;
    const c = port.countersOf(endpointKey, false);
    if (c === undefined) return;
    c.bytesIn += inBytes;
    c.bytesOut += outBytes;
  }

  /** Drops affinity entries older than their port's timeout; cost is the expired entries plus one per port with entries. */
  expireAffinity(now: number): void {
    for (const port of this.affinityPorts) if (!port.expireAffinity(now)) this.affinityPorts.delete(port);
  }

  /**
   * The answer of kube-proxy's health-check server for a LoadBalancer Service with
   * externalTrafficPolicy Local on `nodePort`: 200 iff this node has a ready endpoint
   * (and the proxy itself is healthy). Undefined when no Service uses that port.
   */
  healthCheck(nodePort: number, proxyHealthy = true): HealthCheckResponse | undefined {
    const service = this.healthChecks.get(nodePort);
    if (service === undefined) return undefined;
    const count = this.services.get(service)?.localReady ?? 0;
    const slash = service.indexOf('/');
    const body = JSON.stringify(
      {
        service: { namespace: service.slice(0, slash), name: service.slice(slash + 1) },
        localEndpoints: count,
        serviceProxyHealthy: proxyHealthy,
      },
      null,
      '\t',
    );
    return { code: count > 0 && proxyHealthy ? 200 : 503, body };
  }

  /** The active frontends, sorted by protocol, IP (numerically) and port. */
  frontends(): Frontend[] {
    return [...this.active.values()].map((c) => c.frontend).sort(compareAddresses);
  }

  frontend(key: string): Frontend | undefined {
    return this.active.get(key)?.frontend;
  }

  servicePort(key: string): ServicePortInfo | undefined {
    return this.ports.get(key)?.info;
  }

  /** Every programmed service port key, sorted. */
  servicePortKeys(): string[] {
    return [...this.ports.keys()].sort(compareStrings);
  }

  /** All endpoints of a service port (usable or not), sorted by key. */
  endpoints(servicePort: string): readonly EndpointInfo[] {
    return this.ports.get(servicePort)?.endpoints ?? [];
  }

  /** What a connection on this frontend may go to, for a client on clientNode (default: this node). */
  usableEndpoints(frontendKey: string, clientNode?: string): readonly EndpointInfo[] {
    const claim = this.active.get(frontendKey);
    if (claim === undefined) return [];
    return this.listFor(claim, clientNode ?? this.nodeName).endpoints;
  }

  /** A port's usable endpoints under Cluster policy, or under Local policy as seen from `node` (default: this node). */
  policyEndpoints(servicePort: string, policy: 'cluster' | 'local', node?: string): readonly EndpointInfo[] {
    const port = this.ports.get(servicePort);
    if (port === undefined) return [];
    return policy === 'cluster' ? port.cluster.endpoints : port.onNode(node ?? this.nodeName).endpoints;
  }

  /** New connections seen on a frontend (first picks only). */
  frontendConnections(frontendKey: string): number {
    return this.active.get(frontendKey)?.connections ?? 0;
  }

  /** Counters per service port (all ports, or just `servicePort`), sorted by key. */
  stats(servicePort?: string): ServicePortStats[] {
    const keys = servicePort === undefined ? this.servicePortKeys() : [servicePort];
    const out: ServicePortStats[] = [];
    for (const key of keys) {
      const p = this.ports.get(key);
      if (p === undefined) continue;
      const endpoints: EndpointStats[] = [];
      for (const [k, c] of p.counters ?? []) {
        endpoints.push({ key: k, active: c.active, total: c.total, connectFailures: c.connectFailures, bytesIn: c.bytesIn, bytesOut: c.bytesOut });
      }
      endpoints.sort((a, b) => compareStrings(a.key, b.key));
      out.push({
        servicePort: key,
        connectionsActive: p.active,
        connectionsTotal: p.total,
        connectFailures: p.connectFailures,
        bytesIn: p.bytesIn,
        bytesOut: p.bytesOut,
        affinityClients: p.affinity?.size ?? 0,
        endpoints,
      });
    }
    return out;
  }

  /** Endpoints of a service port that new connections avoid at `now` -> until when (ms). */
  heldOff(servicePort: string, now: number): ReadonlyMap<string, number> {
    return this.ports.get(servicePort)?.heldOffAt(now) ?? new Map();
  }

  /** Number of Services programmed. */
  get size(): number {
    return this.services.size;
  }

  private clientNode(clientIP: string): string {
    return this.nodeOfIP?.(clientIP) ?? this.nodeName;
  }

  private listFor(claim: Claim, clientNode: string): UsableList {
    const port = claim.port;
    if (port === undefined) return EMPTY;
    const kind = claim.frontend.kind;
    switch (kind) {
      case 'cluster-ip':
        return port.info.internalPolicyLocal ? port.onNode(clientNode) : port.cluster;
      case 'node-port':
      case 'load-balancer':
      case 'external-ip':
        return port.info.externalPolicyLocal ? port.local : port.cluster;
      case 'health-check':
        return EMPTY;
      default:
        return assertNever(kind, 'frontend kind');
    }
  }

  private updateFrontends(service: string, before: readonly Frontend[], after: readonly Frontend[], diff: TableDiff): void {
    const next = new Map(after.map((f) => [f.key, f]));
    const kept = new Set<string>();
    for (const f of before) {
      const n = next.get(f.key);
      if (n !== undefined && sameFrontend(f, n)) kept.add(f.key);
      else this.release(service, f.key, diff);
    }
    for (const f of after) {
      const port = f.kind === 'health-check' ? undefined : this.ports.get(f.servicePort);
      if (kept.has(f.key)) {
        // Same frontend; its PortState object is reused across updates, so only refresh defensively.
        const claim = this.active.get(f.key);
        if (claim?.service === service) claim.port = port;
        continue;
      }
      this.claim({ frontend: f, service, port, connections: 0 }, diff);
    }
  }

  private claim(c: Claim, diff: TableDiff): void {
    const cur = this.active.get(c.frontend.key);
    if (cur === undefined) {
      this.active.set(c.frontend.key, c);
      diff.frontendsAdded.push(c.frontend);
      return;
    }
    const waiting = this.contenders.get(c.frontend.key);
    if (waiting === undefined) this.contenders.set(c.frontend.key, [c]);
    else waiting.push(c);
  }

  private release(service: string, key: string, diff: TableDiff): void {
    const cur = this.active.get(key);
    const waiting = this.contenders.get(key);
    if (cur?.service === service) {
      this.active.delete(key);
      diff.frontendsRemoved.push(cur.frontend);
      const next = waiting?.shift();
      if (next !== undefined) {
        this.active.set(key, next);
        diff.frontendsAdded.push(next.frontend);
      }
    } else if (waiting !== undefined) {
      const i = waiting.findIndex((c) => c.service === service);
      if (i >= 0) waiting.splice(i, 1);
    }
    if (waiting?.length === 0) this.contenders.delete(key);
  }

  private countLocalReady(states: readonly PortState[]): number {
    const ips = new Set<string>();
    for (const s of states) for (const e of s.endpoints) if (e.ready && e.nodeName === this.nodeName) ips.add(e.ip);
    return ips.size;
  }
}

const EMPTY = new UsableList([]);
