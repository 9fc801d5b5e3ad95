// Everything the table keeps for one service port: its endpoints split by traffic policy,
// the load-balancing cursor, ClientIP affinity and the connection counters.
import { compareAddresses, sameEndpoints, sameServicePort } from './service-info.js';
import { reachableEndpoints, usableOf, usableOnNode } from './traffic-policy.js';
import type { EndpointInfo, ServicePortInfo } from './types.js';

/** Lists up to this long are searched linearly; longer ones get a key set on first lookup. */
const LINEAR_LOOKUP_MAX = 8;

/** An immutable list of usable endpoints with an O(1) membership test. */
export class UsableList {
  private keys: Set<string> | undefined;

  constructor(readonly endpoints: readonly EndpointInfo[]) {}

  has(key: string): boolean {
    if (this.endpoints.length <= LINEAR_LOOKUP_MAX) return this.endpoints.some((e) => e.key === key);
    this.keys ??= new Set(this.endpoints.map((e) => e.key));
    return this.keys.has(key);
  }
}

export interface EndpointCounters {
  active: number;
  total: number;
  connectFailures: number;
  bytesIn: number;
  bytesOut: number;
  /** Whether the endpoint is still among the port's endpoints; dead counters go when their last connection closes. */
  live: boolean;
}

/** The endpoint a client IP was last sent to. */
export interface AffinityEntry {
  endpoint: string;
  lastUsed: number;
}

export interface PortUpdate {
  changed: boolean;
  /** Endpoints some frontend could pick before the update and none can after, sorted by address. */
  removed: EndpointInfo[];
}

/**
 * Invariants: `cluster` and `local` are derived from `endpoints` (local = this node's);
 * `affinity` is ordered by lastUsed (entries are re-inserted when used, with a
 * non-decreasing clock) and holds entries only while the port has ClientIP affinity;
 * `counters` holds live endpoints that were used plus dead ones with open connections.
 */
export class PortState {
  info: ServicePortInfo;
  endpoints: readonly EndpointInfo[];
  cluster: UsableList;
  local: UsableList;
  /** Other nodes' Local sets, built on demand (internalTrafficPolicy Local in local mode). */
  private byNode: Map<string, UsableList> | undefined;
  /** Round-robin cursor: the next pick starts at rr modulo the candidate count. */
  rr = 0;
  affinity: Map<string, AffinityEntry> | undefined;
  counters: Map<string, EndpointCounters> | undefined;
  /** Endpoints whose last connect timed out -> until when new connections avoid them (ms). */
  private heldOff: Map<string, number> | undefined;
  active = 0;
  total = 0;
  connectFailures = 0;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly service: string,
    private readonly thisNode: string,
    info: ServicePortInfo,
    endpoints: readonly EndpointInfo[],
  ) {
    this.info = info;
    this.endpoints = endpoints;
    this.cluster = new UsableList(usableOf(endpoints));
    this.local = new UsableList(usableOnNode(endpoints, thisNode));
  }

  /** Replaces the port's spec and endpoints, keeping counters, the cursor and still-valid affinity. */
  update(info: ServicePortInfo, endpoints: readonly EndpointInfo[]): PortUpdate {
    const infoChanged = !sameServicePort(this.info, info);
    const endpointsChanged = !sameEndpoints(this.endpoints, endpoints);
    if (!infoChanged && !endpointsChanged) return { changed: false, removed: [] };
    const before = this.reachable();
    const affinityChanged = this.info.affinityTimeoutSeconds !== info.affinityTimeoutSeconds;
    this.info = info;
    this.endpoints = endpoints;
    this.cluster = new UsableList(usableOf(endpoints));
    this.local = new UsableList(usableOnNode(endpoints, this.thisNode));
    this.byNode = undefined;
    const after = this.reachable();
    const removed = [...before.values()].filter((e) => !after.has(e.key));
    if (affinityChanged) this.affinity = undefined;
    if (removed.length > 0 && this.affinity !== undefined) {
      const gone = new Set(removed.map((e) => e.key));
      for (const [client, a] of this.affinity) if (gone.has(a.endpoint)) this.affinity.delete(client);
    }
    if (endpointsChanged && this.counters !== undefined) {
      const keys = new Set(endpoints.map((e) => e.key));
      for (const [key, c] of this.counters) {
        c.live = keys.has(key);
        if (!c.live && c.active === 0) this.counters.delete(key);
      }
    }
    return { changed: true, removed: removed.sort(compareAddresses) };
  }

  /** Every endpoint some frontend of this port could pick (see reachableEndpoints). */
  reachable(): Map<string, EndpointInfo> {
    return reachableEndpoints(this.info, this.endpoints, this.cluster.endpoints, this.local.endpoints);
  }

  /** The Local set as seen from `node`. */
  onNode(node: string): UsableList {
    if (node === this.thisNode) return this.local;
    this.byNode ??= new Map();
    let l = this.byNode.get(node);
    if (l === undefined) {
      l = new UsableList(usableOnNode(this.endpoints, node));
      this.byNode.set(node, l);
    }
    return l;
  }

  /** New connections avoid `key` until `until` (its connect timed out), while others remain. */
  holdOff(key: string, until: number): void {
    (this.heldOff ??= new Map()).set(key, until);
  }

  /** `key` connected: nothing to avoid. */
  release(key: string): void {
    this.heldOff?.delete(key);
    if (this.heldOff?.size === 0) this.heldOff = undefined;
  }

  /** `endpoints` less those held off at `now`; all of them when every one is held off. */
  withoutHeldOff(endpoints: readonly EndpointInfo[], now: number): readonly EndpointInfo[] {
    const held = this.heldOff;
    if (held === undefined) return endpoints;
    for (const [key, until] of held) if (until <= now) held.delete(key);
    if (held.size === 0) {
      this.heldOff = undefined;
      return endpoints;
    }
    const rest = endpoints.filter((e) => !held.has(e.key));
    return rest.length > 0 ? rest : endpoints;
  }

  /** The endpoints held off at `now`, with their deadlines (for the rules printer). */
  heldOffAt(now: number): ReadonlyMap<string, number> {
    return new Map([...(this.heldOff ?? [])].filter(([, until]) => until > now));
  }

  countersOf(key: string, create: boolean): EndpointCounters | undefined {
    let c = this.counters?.get(key);
    if (c === undefined && create) {
      c = { active: 0, total: 0, connectFailures: 0, bytesIn: 0, bytesOut: 0, live: this.endpoints.some((e) => e.key === key) };
      this.counters ??= new Map();
      this.counters.set(key, c);
    }
    return c;
  }

  activeOf(key: string): number {
    return this.counters?.get(key)?.active ?? 0;
  }

  /** The endpoint `client` is pinned to, if the pin is younger than the timeout; drops an expired pin. */
  affinityOf(client: string, now: number): string | undefined {
    const timeout = this.info.affinityTimeoutSeconds;
    const a = this.affinity?.get(client);
    if (timeout === undefined || a === undefined) return undefined;
    if (now - a.lastUsed < timeout * 1000) return a.endpoint;
    this.affinity?.delete(client);
    return undefined;
  }

  /** Pins `client` to `endpoint` from `now` (ClientIP affinity only). */
  pin(client: string, endpoint: string, now: number): void {
    if (this.info.affinityTimeoutSeconds === undefined) return;
    this.affinity ??= new Map();
    this.affinity.delete(client);
    this.affinity.set(client, { endpoint, lastUsed: now });
  }

  /** Drops expired pins, oldest first; returns whether any remain. */
  expireAffinity(now: number): boolean {
    const timeout = this.info.affinityTimeoutSeconds;
    if (this.affinity === undefined) return false;
    if (timeout === undefined) {
      this.affinity = undefined;
      return false;
    }
    for (const [client, a] of this.affinity) {
      if (now - a.lastUsed < timeout * 1000) break;
      this.affinity.delete(client);
    }
    if (this.affinity.size === 0) this.affinity = undefined;
    return this.affinity !== undefined;
  }
}
