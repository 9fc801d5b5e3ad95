/**
 * Lease bookkeeping of one member. Which leases exist (and their TTLs) is replicated
 * state, changed only by applying Raft entries; when a lease expires is local time, and
 * only the leader's clock counts: it alone renews leases and proposes revocations of
 * expired ones. A member that becomes leader restarts every lease's clock (etcd's
 * "promote"), so a failover never expires leases early.
 *
 * Pure: every method that needs time takes `now` in milliseconds.
 */

/** etcd's upper bound on a lease TTL, in seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;

export interface LeaseInfo {
  id: bigint;
  /** The TTL in effect, seconds (raised to the minimum TTL at grant). */
  ttl: number;
  /** Milliseconds timestamp of expiry; Infinity on followers. */
  expiry: number;
}

export class Lessor {
  private readonly leases = new Map<bigint, LeaseInfo>();
  private primary = false;

  /** @param minTtl seconds; etcd's is ceil(1.5 x election timeout). */
  constructor(readonly minTtl: number) {}

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  get(id: bigint): LeaseInfo | undefined {
    return this.leases.get(id);
  }

  ids(): bigint[] {
    return [...this.leases.keys()];
  }

  get size(): number {
    return this.leases.size;
  }

  /** Applies a grant. The caller has checked that `id` is new and the TTL is in range. */
  grant(id: bigint, requestedTtl: number, now: number): LeaseInfo {
    const ttl = Math.max(requestedTtl, this.minTtl);
    const info: LeaseInfo = { id, ttl, expiry: this.primary ? now + ttl * 1000 : Infinity };
    this.leases.set(id, info);
    return info;
  }

  revoke(id: bigint): boolean {
    return this.leases.delete(id);
  }

  /** Leader only: restarts the lease's clock. Returns the TTL, or undefined if unknown. */
  renew(id: bigint, now: number): number | undefined {
    const l = this.leases.get(id);
    if (!l) return undefined;
    if (l.expiry <= now) return undefined; // already expired; its revocation is on the way
    l.expiry = now + l.ttl * 1000;
    return l.ttl;
  }

  /** Whole seconds left, as etcd reports them (truncated; -1 when unknown). */
  remaining(id: bigint, now: number): number {
    const l = this.leases.get(id);
    if (!l) return -1;
    if (!this.primary) return l.ttl;
    return Math.max(0, Math.floor((l.expiry - now) / 1000));
  }

  promote(now: number): void {
    this.primary = true;
    for (const l of this.leases.values()) l.expiry = now + l.ttl * 1000;
  }

  demote(): void {
    this.primary = false;
    for (const l of this.leases.values()) l.expiry = Infinity;
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  /** Leases whose time is up, oldest expiry first, at most `limit`. */
  expired(now: number, limit: number): bigint[] {
    const out: LeaseInfo[] = [];
    for (const l of this.leases.values()) if (l.expiry <= now) out.push(l);
    out.sort((a, b) => a.expiry - b.expiry);
    return out.slice(0, limit).map((l) => l.id);
  }

  /** Replicated part only (ids and TTLs), in a deterministic order. */
  serialize(): Array<{ id: string; ttl: number }> {
    return [...this.leases.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((l) => ({ id: l.id.toString(), ttl: l.ttl }));
  }

  restore(leases: Array<{ id: string; ttl: number }>, now: number): void {
    this.leases.clear();
    for (const l of leases) this.grant(BigInt(l.id), l.ttl, now);
  }
}
