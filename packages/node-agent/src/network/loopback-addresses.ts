import type { Logger } from '@kemu/common';
import { CoalescingRunner } from './coalescing-runner.js';
import { IpCommandError, runIp, runIpBatch, DEFAULT_IP_TIMEOUT_MS } from './ip-batch.js';
import { AddressFormatError, containsAddress, formatIPv4, parseCidrList, parseIPv4, type Cidr4 } from './ipv4.js';

// Container mode: ClusterIPs, LoadBalancer IPs and pod IPs become bindable in the node's
// network namespace as /32 addresses on `lo` (see CONTAINERS.md item 6). Bursts of
// ensure()/release() calls are applied as one `ip -batch` process.

export interface LoopbackAddressesOptions {
  /** Default `lo`. */
  device?: string;
  /** The ip command and its leading options; default ['ip'] (tests: ['ip', '-n', ns]). */
  ipCommand?: readonly string[];
  /**
   * CIDRs this instance owns on the device. Only /32 addresses inside them are ever added
   * or removed; reconcile() treats every such address it finds as its own.
   */
  owned: readonly string[];
  log: Logger;
  timeoutMs?: number;
}

export type AddressOpKind = 'add' | 'del';

export interface AddressOp {
  readonly kind: AddressOpKind;
  readonly address: string;
}

export interface AddrShowEntry {
  readonly device: string;
  readonly address: string;
  readonly prefix: number;
}

/** An address could not be used, or ip failed to add or remove it. */
export class LoopbackAddressError extends Error {
  override readonly name = 'LoopbackAddressError';
  constructor(
    readonly address: string,
    readonly reason: string,
    /** Every address of the call that failed; `address` is the first. */
    readonly failed: readonly string[] = [address],
    options?: { cause?: unknown },
  ) {
    super(`loopback addresses: ${address}: ${reason}${failed.length > 1 ? ` (and ${failed.length - 1} more addresses failed)` : ''}`, options);
  }
}

/** One batch line per op; `add` uses `replace` so an address already present is not an error. */
export function addressBatchScript(ops: readonly AddressOp[], device: string): string[] {
  return ops.map((op) => `address ${op.kind === 'add' ? 'replace' : 'del'} ${op.address}/32 dev ${device}`);
}

const ADDR_LINE = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)\b/;

/** Parses `ip -4 -o addr show` output (one address per line). */
export function parseAddrShow(text: string): AddrShowEntry[] {
  const out: AddrShowEntry[] = [];
  for (const line of text.split('\n')) {
    const m = ADDR_LINE.exec(line);
    if (m?.[1] && m[2] && m[3]) out.push({ device: m[1], address: m[2], prefix: Number(m[3]) });
  }
  return out;
}

function byAddress(a: string, b: string): number {
  return (parseIPv4(a) ?? 0) - (parseIPv4(b) ?? 0);
}

function ordered(dels: string[], adds: string[]): AddressOp[] {
  return [
    ...dels.sort(byAddress).map((address) => ({ kind: 'del' as const, address })),
    ...adds.sort(byAddress).map((address) => ({ kind: 'add' as const, address })),
  ];
}

/** The ops that turn `present` (owned addresses on the device) into `desired`. */
export function reconcileAddressOps(present: ReadonlySet<string>, desired: ReadonlySet<string>): AddressOp[] {
  return ordered(
    [...present].filter((a) => !desired.has(a)),
    [...desired].filter((a) => !present.has(a)),
  );
}

/**
 * The ops for the latest request per address, skipping what `applied` says is done.
 * While the device state is not `known` (no reconcile yet, or a batch aborted), deletes
 * are sent anyway: the address may be there from an earlier run.
 */
export function pendingAddressOps(pending: ReadonlyMap<string, AddressOpKind>, applied: ReadonlySet<string>, known: boolean): AddressOp[] {
  const dels: string[] = [];
  const adds: string[] = [];
  for (const [address, kind] of pending) {
    if (kind === 'add' && !applied.has(address)) adds.push(address);
    if (kind === 'del' && (applied.has(address) || !known)) dels.push(address);
  }
  return ordered(dels, adds);
}

/** ip messages meaning the address is already in the requested state. */
function alreadyDone(kind: AddressOpKind, message: string): boolean {
  return kind === 'add' ? /File exists|already assigned/i.test(message) : /Cannot assign requested address|Address not found/i.test(message);
}

interface RoundOutcome {
  /** address -> reason, for addresses whose op failed in this round. */
  readonly failures: ReadonlyMap<string, string>;
  readonly readError?: IpCommandError;
}

const DEVICE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Invariants: only /32 addresses inside `owned` are ever touched (127.0.0.1 and the
 * node's own addresses are safe); `desired` is exactly what ensure() asked for minus what
 * release() took back, in call order; `applied` is what this instance has seen succeed
 * (or, after reconcile(), what it read from the device), so a repeated ensure() of a
 * present address spawns nothing.
 */
export class LoopbackAddresses {
  private readonly device: string;
  private readonly ipCommand: readonly string[];
  private readonly owned: readonly Cidr4[];
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly runner = new CoalescingRunner<RoundOutcome>(() => this.round());
  private readonly desired = new Set<string>();
  private pending = new Map<string, AddressOpKind>();
  private applied = new Set<string>();
  /** True once `applied` was read from the device and no batch has aborted since. */
  private known = false;
  private reconcileWanted = false;
  private batchCount = 0;

  constructor(opts: LoopbackAddressesOptions) {
    this.device = opts.device ?? 'lo';
    if (!DEVICE_NAME.test(this.device)) throw new AddressFormatError('device', this.device, 'a network device name');
    this.ipCommand = opts.ipCommand ?? ['ip'];
    this.owned = parseCidrList('owned', opts.owned);
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_IP_TIMEOUT_MS;
  }

  /** Number of `ip -batch` processes run so far. */
  get batches(): number {
    return this.batchCount;
  }

  /** The addresses ensured and not released, in address order. */
  list(): string[] {
    return [...this.desired].sort(byAddress);
  }

  /**
   * Resolves once every address is on the device (already present is fine). Rejects with
   * LoopbackAddressError, changing nothing, if an address is not IPv4 or not owned; or
   * after the batch, naming the first address ip failed on (it stays desired, so a later
   * reconcile() retries it).
   */
  async ensure(ips: readonly string[]): Promise<void> {
    const addresses = this.validate(ips);
    if (addresses.every((a) => this.desired.has(a) && this.applied.has(a) && !this.pending.has(a))) return;
    for (const a of addresses) {
      this.desired.add(a);
      this.pending.set(a, 'add');
    }
    await this.settle(addresses);
  }

  /** Resolves once the addresses are gone from the device (already absent is fine). */
  async release(ips: readonly string[]): Promise<void> {
    const addresses = this.validate(ips);
    for (const a of addresses) {
      this.desired.delete(a);
      this.pending.set(a, 'del');
    }
    await this.settle(addresses);
  }

  /**
   * Reads the device and makes the owned /32 addresses on it equal the desired set:
   * removes owned addresses nobody ensured (left by an earlier run of the agent) and
   * re-adds desired ones that went missing. Call it once the desired set is complete.
   */
  async reconcile(): Promise<void> {
    this.reconcileWanted = true;
    const outcome = await this.runner.request();
    if (outcome.readError) throw outcome.readError;
    const failed = [...outcome.failures.keys()];
    const first = failed[0];
    if (first !== undefined) throw new LoopbackAddressError(first, outcome.failures.get(first) ?? '', failed);
  }

  private validate(ips: readonly string[]): string[] {
    return ips.map((ip) => {
      const n = parseIPv4(ip);
      if (n === undefined) throw new LoopbackAddressError(ip, 'not an IPv4 address');
      if (!this.owned.some((c) => containsAddress(c, n))) {
        throw new LoopbackAddressError(ip, `outside the owned CIDRs of ${this.device} (${this.owned.map((c) => `${formatIPv4(c.base)}/${c.prefix}`).join(', ')})`);
      }
      return formatIPv4(n);
    });
  }

  private async settle(addresses: readonly string[]): Promise<void> {
    const outcome = await this.runner.request();
    const failed = addresses.filter((a) => outcome.failures.has(a));
    const first = failed[0];
    if (first !== undefined) throw new LoopbackAddressError(first, outcome.failures.get(first) ?? '', failed);
  }

  private async readOwned(): Promise<Set<string>> {
    const text = await runIp(this.ipCommand, ['-4', '-o', 'addr', 'show', 'dev', this.device], this.timeoutMs);
    const present = new Set<string>();
    for (const e of parseAddrShow(text)) {
      const n = parseIPv4(e.address);
      if (e.prefix === 32 && n !== undefined && this.owned.some((c) => containsAddress(c, n))) present.add(e.address);
    }
    return present;
  }

  private async round(): Promise<RoundOutcome> {
    const pending = this.pending;
    this.pending = new Map();
    const reconcile = this.reconcileWanted;
    this.reconcileWanted = false;

    let readError: IpCommandError | undefined;
    let ops: AddressOp[];
    if (reconcile) {
      try {
        this.applied = await this.readOwned();
        this.known = true;
      } catch (err) {
        readError = err instanceof IpCommandError ? err : new IpCommandError('ip addr show', String(err), { cause: err });
      }
    }
    // A successful read makes `applied` the device's truth; the full diff covers `pending` too.
    if (reconcile && !readError) ops = reconcileAddressOps(this.applied, this.desired);
    else ops = pendingAddressOps(pending, this.applied, this.known);

    const failures = new Map<string, string>();
    if (ops.length > 0) {
      const lines = addressBatchScript(ops, this.device);
      const started = Date.now();
      this.batchCount++;
      try {
        const lineFailures = await runIpBatch(this.ipCommand, lines, this.timeoutMs);
        ops.forEach((op, i) => {
          const message = lineFailures.get(i + 1);
          if (message === undefined || alreadyDone(op.kind, message)) {
            if (op.kind === 'add') this.applied.add(op.address);
            else this.applied.delete(op.address);
          } else {
            failures.set(op.address, `ip ${lines[i] ?? ''}: ${message}`);
          }
        });
      } catch (err) {
        // Part of the batch may have run: forget what is known so deletes are resent.
        this.known = false;
        const reason = err instanceof Error ? err.message : String(err);
        for (const op of ops) failures.set(op.address, reason);
      }
      const adds = ops.filter((o) => o.kind === 'add').length;
      this.log.debug({ device: this.device, adds, dels: ops.length - adds, failed: failures.size, ms: Date.now() - started }, 'loopback addresses: batch applied');
      if (failures.size > 0) {
        const [address, reason] = failures.entries().next().value ?? ['', ''];
        this.log.warn({ device: this.device, failed: failures.size, address, reason }, 'loopback addresses: ip failed');
      }
    }
    if (reconcile && !readError) this.log.info({ device: this.device, ops: ops.length, failed: failures.size }, 'loopback addresses: reconciled');
    return readError ? { failures, readError } : { failures };
  }
}
