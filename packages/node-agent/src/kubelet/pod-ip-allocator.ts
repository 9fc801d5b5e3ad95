import { isIPv4 } from 'node:net';

export class PodIPAllocatorError extends Error {
  override readonly name = 'PodIPAllocatorError';
}

/**
 * The node's pod IPs, host-local IPAM style: addresses of an IPv4 pod CIDR from the
 * second (.2 in a /24; .1 is the gateway by convention) to the one before broadcast,
 * handed out round-robin so a freed address is not reused at once.
 *
 * Invariant: an address has at most one owner, and an owner at most one address.
 */
export class PodIPAllocator {
  private readonly first: number;
  private readonly last: number;
  private readonly byIP = new Map<number, string>();
  private readonly byOwner = new Map<string, number>();
  private cursor: number;

  constructor(readonly cidr: string) {
    const [addr, bits] = cidr.split('/');
    const prefix = Number(bits);
    if (!addr || !isIPv4(addr) || !Number.isInteger(prefix) || prefix < 0 || prefix > 30) {
      throw new PodIPAllocatorError(`pod CIDR "${cidr}": must be an IPv4 CIDR with a prefix of at most /30`);
    }
    const size = 2 ** (32 - prefix);
    const base = ipToInt(addr) - (ipToInt(addr) % size);
    this.first = base + 2;
    this.last = base + size - 2;
    this.cursor = this.last;
  }

  get capacity(): number {
    return this.last - this.first + 1;
  }

  get used(): number {
    return this.byIP.size;
  }

  contains(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const n = ipToInt(ip);
    return n >= this.first && n <= this.last;
  }

  ipOf(owner: string): string | undefined {
    const n = this.byOwner.get(owner);
    return n === undefined ? undefined : intToIP(n);
  }

  /** Records `owner`'s address (one kept from before a restart). False if it is outside the range or someone else's. */
  reserve(owner: string, ip: string): boolean {
    if (!this.contains(ip)) return false;
    const n = ipToInt(ip);
    const holder = this.byIP.get(n);
    if (holder !== undefined && holder !== owner) return false;
    this.release(owner);
    this.byIP.set(n, owner);
    this.byOwner.set(owner, n);
    return true;
  }

  /** `owner`'s address: the one it has, else `preferred` if free, else the next free one. */
  allocate(owner: string, preferred?: string): string {
    const have = this.ipOf(owner);
    if (have) return have;
    if (preferred && this.reserve(owner, preferred)) return preferred;
    for (let i = 0; i < this.capacity; i++) {
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1;
      if (!this.byIP.has(this.cursor)) {
        this.byIP.set(this.cursor, owner);
        this.byOwner.set(owner, this.cursor);
        return intToIP(this.cursor);
      }
    }
    throw new PodIPAllocatorError(`no free pod IP in ${this.cidr}: all ${this.capacity} are in use`);
  }

  release(owner: string): void {
    const n = this.byOwner.get(owner);
    if (n === undefined) return;
    this.byOwner.delete(owner);
    this.byIP.delete(n);
  }
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIP(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
