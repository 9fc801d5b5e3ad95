import type { Node } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { CoalescingRunner } from './coalescing-runner.js';
import { IpCommandError, runIp, runIpBatch, DEFAULT_IP_TIMEOUT_MS } from './ip-batch.js';
import { AddressFormatError, cidrContains, cidrsOverlap, compareCidr4, formatCidr4, formatIPv4, parseCidr4, parseCidrList, parseIPv4, type Cidr4 } from './ipv4.js';

// Container mode, host-gw pod routing: every node routes each other node's pod CIDR via
// that node's InternalIP, which must be on a directly connected network (the compose
// network), so no encapsulation is needed.

/** Send traffic for `cidr` (a pod CIDR of `node`) to `via` (that node's InternalIP). */
export interface Route {
  readonly cidr: string;
  readonly via: string;
  readonly node: string;
}

/** The IPv4 pod CIDRs of a node, canonical (host bits cleared); IPv6 and junk are dropped. */
export function nodePodCIDRs(node: Node): string[] {
  const specified = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : [node.spec?.podCIDR ?? ''];
  const out: string[] = [];
  for (const s of specified) {
    const c = s.includes('/') ? parseCidr4(s) : undefined;
    if (c && !out.includes(formatCidr4(c))) out.push(formatCidr4(c));
  }
  return out;
}

/** The node's first IPv4 InternalIP, if any. */
export function nodeInternalIPv4(node: Node): string | undefined {
  for (const a of node.status?.addresses ?? []) {
    const n = a.type === 'InternalIP' && a.address ? parseIPv4(a.address) : undefined;
    if (n !== undefined) return formatIPv4(n);
  }
  return undefined;
}

/**
 * The routes node `self` needs: for every other node with an IPv4 pod CIDR and an IPv4
 * InternalIP, its pod CIDR via that IP. Pod CIDRs overlapping self's own are skipped (self
 * delivers those locally); when two nodes claim the same CIDR the first by name wins.
 * Sorted by CIDR, then node name.
 */
export function planRoutes(self: string, nodes: readonly Node[]): Route[] {
  const selfNode = nodes.find((n) => n.metadata?.name === self);
  const own = selfNode ? nodePodCIDRs(selfNode).map((s) => parseCidr4(s)).filter((c): c is Cidr4 => c !== undefined) : [];
  const candidates: { c: Cidr4; route: Route }[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || name === self) continue;
    const via = nodeInternalIPv4(node);
    if (via === undefined) continue;
    for (const cidr of nodePodCIDRs(node)) {
      const c = parseCidr4(cidr);
      if (!c || own.some((o) => cidrsOverlap(o, c))) continue;
      candidates.push({ c, route: { cidr, via, node: name } });
    }
  }
  candidates.sort((a, b) => compareCidr4(a.c, b.c) || (a.route.node < b.route.node ? -1 : a.route.node > b.route.node ? 1 : 0));
  const out: Route[] = [];
  for (const { route } of candidates) {
    if (out[out.length - 1]?.cidr !== route.cidr) out.push(route);
  }
  return out;
}

export interface RouteOp {
  readonly kind: 'replace' | 'del';
  readonly cidr: string;
  readonly via: string;
}

/** The ops turning `current` (cidr -> via) into `desired`: deletes first, each in CIDR order. */
export function diffRoutes(current: ReadonlyMap<string, string>, desired: ReadonlyMap<string, string>): RouteOp[] {
  const byCidr = (a: RouteOp, b: RouteOp): number => compareCidr4(parseCidr4(a.cidr) ?? { base: 0, prefix: 0 }, parseCidr4(b.cidr) ?? { base: 0, prefix: 0 });
  const dels: RouteOp[] = [];
  const replaces: RouteOp[] = [];
  for (const [cidr, via] of current) if (!desired.has(cidr)) dels.push({ kind: 'del', cidr, via });
  for (const [cidr, via] of desired) if (current.get(cidr) !== via) replaces.push({ kind: 'replace', cidr, via });
  return [...dels.sort(byCidr), ...replaces.sort(byCidr)];
}

/** One batch line per op; deletes name the gateway so a route someone else replaced survives. */
export function routeBatchScript(ops: readonly RouteOp[]): string[] {
  return ops.map((op) => `route ${op.kind} ${op.cidr} via ${op.via}`);
}

export interface KernelRoute {
  /** Canonical CIDR; `default` reads as 0.0.0.0/0. */
  readonly cidr: string;
  /** Route type when the line names one (blackhole, unreachable, ...); otherwise unicast. */
  readonly type: string;
  readonly via?: string;
  readonly dev?: string;
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

/** Parses `ip -4 route show` output; continuation lines (multipath `nexthop`) are skipped. */
export function parseRouteShow(text: string): KernelRoute[] {
  const out: KernelRoute[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^\s/.test(line)) continue;
    const words = line.trim().split(/\s+/);
    let i = 0;
    let type = 'unicast';
    if (words[0] !== undefined && ROUTE_TYPES.has(words[0])) {
      type = words[0];
      i = 1;
    }
    const dst = words[i];
    const c = dst === 'default' ? { base: 0, prefix: 0 } : dst !== undefined ? parseCidr4(dst) : undefined;
    if (!c) continue;
    const route: { cidr: string; type: string; via?: string; dev?: string } = { cidr: formatCidr4(c), type };
    for (let j = i + 1; j + 1 < words.length; j++) {
      if (words[j] === 'via') route.via = words[j + 1];
      if (words[j] === 'dev') route.dev = words[j + 1];
    }
    out.push(route);
  }
  return out;
}

export interface NodeRoutesOptions {
  /** The ip command and its leading options; default ['ip'] (tests: ['ip', '-n', ns]). */
  ipCommand?: readonly string[];
  /** Pod network CIDRs (e.g. 10.244.0.0/16): routes are only made or removed inside them. */
  owned: readonly string[];
  /** This node's own pod CIDRs: never routed away, never removed. Also settable later. */
  ownPodCIDRs?: readonly string[];
  /**
   * Networks held by an `unreachable` route (e.g. the pod network): traffic to a pod CIDR
   * whose node route is missing (the node is gone, or this node's link went down and took
   * its routes with it) then fails at once with EHOSTUNREACH, so the forwarder retries
   * another endpoint, instead of leaving through the default route.
   */
  unreachable?: readonly string[];
  log: Logger;
  timeoutMs?: number;
}

/** ip failed to make or remove routes; names the first and lists them all. */
export class NodeRouteError extends Error {
  override readonly name = 'NodeRouteError';
  constructor(
    readonly cidr: string,
    readonly via: string,
    readonly reason: string,
    readonly failed: readonly RouteOp[],
    options?: { cause?: unknown },
  ) {
    super(`node routes: ${cidr} via ${via}: ${reason}${failed.length > 1 ? ` (and ${failed.length - 1} more routes failed)` : ''}`, options);
  }
}

interface RouteFailure {
  readonly op: RouteOp;
  readonly reason: string;
}

interface RoundOutcome {
  readonly failures: readonly RouteFailure[];
  readonly readError?: IpCommandError;
}

function failureError(failures: readonly RouteFailure[]): NodeRouteError | undefined {
  const first = failures[0];
  return first ? new NodeRouteError(first.op.cidr, first.op.via, first.reason, failures.map((f) => f.op)) : undefined;
}

/**
 * Invariants: only unicast `via` routes inside `owned` and not overlapping this node's own
 * pod CIDRs are ever replaced or deleted (so the node's connected networks, default route
 * and own pods are safe); the latest apply() wins when calls overlap; `applied` holds the
 * routes ip confirmed.
 */
export class NodeRoutes {
  private readonly ipCommand: readonly string[];
  private readonly owned: readonly Cidr4[];
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly runner = new CoalescingRunner<RoundOutcome>(() => this.round());
  private own: Cidr4[];
  private readonly fences: readonly string[];
  /** The fences were confirmed in the kernel's table by the last read or batch. */
  private fenced = false;
  private desired = new Map<string, string>();
  private applied = new Map<string, string>();
  private reconcileWanted = false;
  private batchCount = 0;

  constructor(opts: NodeRoutesOptions) {
    this.ipCommand = opts.ipCommand ?? ['ip'];
    this.owned = parseCidrList('owned', opts.owned);
    this.own = parseCidrList('ownPodCIDRs', opts.ownPodCIDRs ?? []);
    this.fences = parseCidrList('unreachable', opts.unreachable ?? []).map(formatCidr4);
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_IP_TIMEOUT_MS;
  }

  /** Number of `ip -batch` processes run so far. */
  get batches(): number {
    return this.batchCount;
  }

  /** This node's pod CIDRs, once known (the node's spec.podCIDRs). */
  setOwnPodCIDRs(cidrs: readonly string[]): void {
    this.own = parseCidrList('ownPodCIDRs', cidrs);
  }

  /** The routes ip has confirmed, in CIDR order. */
  list(): { cidr: string; via: string }[] {
    return [...this.applied].map(([cidr, via]) => ({ cidr, via })).sort((a, b) => compareCidr4(parseCidr4(a.cidr) ?? { base: 0, prefix: 0 }, parseCidr4(b.cidr) ?? { base: 0, prefix: 0 }));
  }

  /**
   * Makes the routes this instance manages equal `routes` (replacing changed gateways,
   * deleting routes no longer listed) in one batch. Routes outside `owned` or overlapping
   * this node's pod CIDRs are skipped with a warning. Rejects with NodeRouteError naming
   * the first route ip refused (e.g. a gateway not on a connected network); the rest apply.
   * With `reread`, the same round first reads the kernel's table, as reconcile() does, so
   * routes the kernel dropped (a link that went down) are made again.
   */
  async apply(routes: readonly Route[], opts: { reread?: boolean } = {}): Promise<void> {
    const desired = new Map<string, string>();
    for (const [i, r] of routes.entries()) {
      const c = parseCidr4(r.cidr);
      const via = parseIPv4(r.via);
      if (!c || !r.cidr.includes('/')) throw new AddressFormatError(`routes[${i}].cidr`, r.cidr, 'an IPv4 CIDR');
      if (via === undefined) throw new AddressFormatError(`routes[${i}].via`, r.via, 'an IPv4 address');
      if (!this.manageable(c)) {
        this.log.warn({ cidr: r.cidr, via: r.via, node: r.node }, 'node routes: skipping a route outside the owned pod network or overlapping this node');
        continue;
      }
      const cidr = formatCidr4(c);
      if (!desired.has(cidr)) desired.set(cidr, formatIPv4(via));
    }
    this.desired = desired;
    if (opts.reread) this.reconcileWanted = true;
    const outcome = await this.runner.request();
    if (outcome.readError) throw outcome.readError;
    const err = failureError(outcome.failures);
    if (err) throw err;
  }

  /**
   * Reads the main table and removes `via` routes inside `owned` that the last apply() did
   * not ask for (left by an earlier run of the agent), and restores missing or changed
   * ones. Call it after the first apply() with the full node list.
   */
  async reconcile(): Promise<void> {
    this.reconcileWanted = true;
    const outcome = await this.runner.request();
    if (outcome.readError) throw outcome.readError;
    const err = failureError(outcome.failures);
    if (err) throw err;
  }

  private manageable(c: Cidr4): boolean {
    return this.owned.some((o) => cidrContains(o, c)) && !this.own.some((o) => cidrsOverlap(o, c));
  }

  /** The managed `via` routes in the kernel's main table; notes whether every fence is there. */
  private async readManaged(): Promise<Map<string, string>> {
    const text = await runIp(this.ipCommand, ['-4', 'route', 'show'], this.timeoutMs);
    const current = new Map<string, string>();
    const fences = new Set<string>();
    for (const r of parseRouteShow(text)) {
      const c = parseCidr4(r.cidr);
      if (r.type === 'unreachable') fences.add(r.cidr);
      if (r.type === 'unicast' && r.via !== undefined && parseIPv4(r.via) !== undefined && c && this.manageable(c)) current.set(r.cidr, r.via);
    }
    this.fenced = this.fences.every((f) => fences.has(f));
    return current;
  }

  private async round(): Promise<RoundOutcome> {
    const reconcile = this.reconcileWanted;
    this.reconcileWanted = false;
    let readError: IpCommandError | undefined;
    if (reconcile) {
      try {
        this.applied = await this.readManaged();
      } catch (err) {
        readError = err instanceof IpCommandError ? err : new IpCommandError('ip route show', String(err), { cause: err });
      }
    }
    // Own CIDRs may have been set after a route was applied: never touch those again.
    for (const cidr of this.applied.keys()) {
      const c = parseCidr4(cidr);
      if (c && !this.manageable(c)) this.applied.delete(cidr);
    }
    const desired = this.desired;
    const ops = diffRoutes(this.applied, desired);
    const failures: RouteFailure[] = [];
    // Fences go first, so no moment passes with a node route missing and no fence.
    const fenceLines = this.fenced ? [] : this.fences.map((f) => `route replace unreachable ${f}`);
    if (ops.length + fenceLines.length > 0) {
      const lines = [...fenceLines, ...routeBatchScript(ops)];
      const started = Date.now();
      this.batchCount++;
      try {
        const lineFailures = await runIpBatch(this.ipCommand, lines, this.timeoutMs);
        const fenceFailure = fenceLines.map((_, i) => lineFailures.get(i + 1)).find((m) => m !== undefined);
        if (fenceFailure === undefined) this.fenced = true;
        else this.log.warn({ networks: this.fences, reason: fenceFailure }, 'node routes: cannot add the unreachable routes');
        ops.forEach((op, i) => {
          const message = lineFailures.get(fenceLines.length + i + 1);
          if (message === undefined || (op.kind === 'del' && /No such process/i.test(message))) {
            if (op.kind === 'replace') this.applied.set(op.cidr, op.via);
            else this.applied.delete(op.cidr);
          } else {
            failures.push({ op, reason: `ip ${lines[fenceLines.length + i] ?? ''}: ${message}` });
          }
        });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        for (const op of ops) failures.push({ op, reason });
      }
      const replaces = ops.filter((o) => o.kind === 'replace').length;
      this.log.debug({ replaces, dels: ops.length - replaces, failed: failures.length, ms: Date.now() - started }, 'node routes: batch applied');
      const first = failures[0];
      if (first) this.log.warn({ failed: failures.length, cidr: first.op.cidr, via: first.op.via, reason: first.reason }, 'node routes: ip failed');
    }
    if (reconcile && !readError && ops.length + fenceLines.length > 0) this.log.info({ ops: ops.length, fences: fenceLines.length, failed: failures.length }, 'node routes: reconciled with the kernel table');
    return readError ? { failures, readError } : { failures };
  }
}
