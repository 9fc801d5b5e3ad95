import { ipToNumber, numberToIp, type IpPool } from './ip-pool.js';

/**
 * Which owner (a Service key, "namespace/name") holds which pool address. Deterministic
 * and free of I/O: the driver rebuilds it from the Services' recorded status whenever it
 * starts leading, so restarts and fail-overs never hand one address to two Services.
 *
 * Invariant: an owner holds at most one address, an address has at most one owner, and
 * every held address is in the pool.
 */
export class IpAllocator {
  private readonly byOwner = new Map<string, number>();
  private readonly byIp = new Map<number, string>();

  constructor(readonly pool: IpPool) {}

  get allocated(): number {
    return this.byOwner.size;
  }

  ipOf(owner: string): string | undefined {
    const n = this.byOwner.get(owner);
    return n === undefined ? undefined : numberToIp(n);
  }

  ownerOf(ip: string): string | undefined {
    const n = ipToNumber(ip);
    return n === undefined ? undefined : this.byIp.get(n);
  }

  /**
   * Gives `owner` exactly `ip`, releasing the address it held before. False, with
   * nothing changed, when `ip` is outside the pool or held by another owner.
   */
  claim(owner: string, ip: string): boolean {
    const n = ipToNumber(ip);
    if (n === undefined || !this.pool.contains(ip)) return false;
    const holder = this.byIp.get(n);
    if (holder === owner) return true;
    if (holder !== undefined) return false;
    this.release(owner);
    this.byOwner.set(owner, n);
    this.byIp.set(n, owner);
    return true;
  }

  /** The owner's address if it holds one, else the lowest free one; undefined when the pool is exhausted. */
  allocate(owner: string): string | undefined {
    const held = this.ipOf(owner);
    if (held !== undefined) return held;
    const n = this.pool.lowestFree((x) => this.byIp.has(x));
    if (n === undefined) return undefined;
    this.byOwner.set(owner, n);
    this.byIp.set(n, owner);
    return numberToIp(n);
  }

  /** Frees the owner's address; returns it, or undefined when it held none. */
  release(owner: string): string | undefined {
    const n = this.byOwner.get(owner);
    if (n === undefined) return undefined;
    this.byOwner.delete(owner);
    this.byIp.delete(n);
    return numberToIp(n);
  }
}
