import { readFileSync } from 'node:fs';
import type { EndpointSlice, Informer, Service } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Registry } from 'prom-client';
import { BoundedFrequencyRunner } from './proxy/bounded-frequency-runner.js';
import { ConnectionTracker } from './proxy/dataplane/connection-tracker.js';
import { DEFAULT_LIMITS, type DataPlaneContext, type DataPlaneLimits } from './proxy/dataplane/context.js';
import { DataPlane } from './proxy/dataplane/data-plane.js';
import { JsSplicer } from './proxy/dataplane/js-splicer.js';
import { ProxyMetrics } from './proxy/dataplane/metrics.js';
import { loadNative, type NativeForwarder } from './proxy/dataplane/native.js';
import { NativeSplicer } from './proxy/dataplane/native-splicer.js';
import type { Splicer } from './proxy/dataplane/splicer.js';
import { EndpointSliceTracker } from './proxy/endpoint-slice-tracker.js';
import { ForwardingTable } from './proxy/forwarding-table.js';
import { printRules } from './proxy/rules-printer.js';
import { ServiceChangeTracker } from './proxy/service-change-tracker.js';
import { servicePorts } from './proxy/service-info.js';
import type { TableDiff } from './proxy/forwarding-table.js';
import type { Algorithm, Frontend } from './proxy/types.js';

/** Frontends whose address is not the node's own (NodePorts and health checks live on the node IP). */
const hasOwnAddress = (f: Frontend): boolean => f.kind === 'cluster-ip' || f.kind === 'load-balancer' || f.kind === 'external-ip';

export interface ProxierOptions {
  nodeName: string;
  nodeIPs: string[];
  algorithm: Algorithm;
  /** Which node a client address belongs to (pod CIDRs and node IPs); see ForwardingTable. */
  nodeOfIP?: (ip: string) => string | undefined;
  services: Informer<'services'>;
  slices: Informer<'endpointslices'>;
  forwarder: 'auto' | 'native' | 'js';
  /** Native forwarder threads; 0 or absent: one per core. */
  forwarderThreads?: number;
  /** TCP pairs at once (default: from the open-file limit); one service port gets 80% of it. */
  maxConnections?: number;
  limits?: Partial<Omit<DataPlaneLimits, 'maxConnections' | 'maxConnectionsPerService'>>;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  log: Logger;
  registry: Registry;
  /**
   * Container mode: makes frontend IPs (ClusterIPs, LoadBalancer and external IPs) bindable
   * by adding them to `lo` before their listeners open, and removes them when no frontend
   * uses them (network/LoopbackAddresses). Local mode: absent, all of 127/8 is bindable.
   */
  frontendAddresses?: FrontendAddresses;
}

export interface FrontendAddresses {
  ensure(ips: readonly string[]): Promise<void>;
  release(ips: readonly string[]): Promise<void>;
  /** Removes what an earlier agent left that no frontend wants now. */
  reconcile(): Promise<void>;
}

export class ProxierError extends Error {
  override readonly name = 'ProxierError';
}

/**
 * The proxy half of the agent, kube-proxy's shape: informer events only feed the change
 * trackers; a bounded-frequency runner applies what changed to the forwarding table (pure
 * data) and then to the data plane (sockets). Nothing is programmed before both informers
 * have listed once.
 */
export class Proxier {
  readonly table: ForwardingTable;
  readonly splicer: Splicer;
  private readonly services = new ServiceChangeTracker();
  private readonly slices: EndpointSliceTracker;
  private readonly runner: BoundedFrequencyRunner<NodeJS.Timeout>;
  private readonly dataPlane: DataPlane;
  private readonly metrics: ProxyMetrics;
  private readonly log: Logger;
  private synced = false;
  private stopped = false;
  private lastSyncMs = 0;
  /** Container mode: frontends per IP on `lo`; an IP is released when its count drops to 0. */
  private readonly addressUsers = new Map<string, number>();

  constructor(private readonly o: ProxierOptions) {
    this.log = o.log.child({ component: 'proxy' });
    const native = o.forwarder === 'js' ? undefined : loadNative();
    if (o.forwarder === 'native' && !native) {
      throw new ProxierError('--forwarder=native: the native forwarder is not built (run `npm run build` with a C compiler and Node headers)');
    }
    const connections = new ConnectionTracker();
    this.splicer = native ? new NativeSplicer(native, o.forwarderThreads ?? 0) : new JsSplicer();
    this.table = new ForwardingTable({ nodeName: o.nodeName, nodeIPs: o.nodeIPs, algorithm: o.algorithm, random: Math.random, nodeOfIP: o.nodeOfIP });
    this.metrics = new ProxyMetrics(o.registry, { connections: () => connections.size, frontends: () => this.dataPlane.size });
    const limits = { ...DEFAULT_LIMITS, ...connectionLimits(o.maxConnections ?? connectionsForFdLimit(native)), ...o.limits };
    const ctx: DataPlaneContext = {
      table: this.table,
      splicer: this.splicer,
      native,
      connections,
      metrics: this.metrics,
      log: this.log,
      now: () => Date.now(),
      limits,
    };
    this.dataPlane = new DataPlane(ctx);
    this.slices = new EndpointSliceTracker({ startTime: Date.now() });
    this.runner = new BoundedFrequencyRunner(() => this.sync(), {
      scheduler: {
        now: () => Date.now(),
        setTimer: (ms, fn) => setTimeout(fn, ms),
        clearTimer: (h) => clearTimeout(h),
      },
      minIntervalMs: o.minSyncPeriodMs,
      maxIntervalMs: Math.max(o.syncPeriodMs, o.minSyncPeriodMs),
      burst: 2,
      onError: (err) => this.log.error({ err }, 'proxy sync failed'),
    });
    this.log.info({ forwarder: this.splicer.kind, algorithm: o.algorithm, maxConnections: limits.maxConnections }, 'proxy configured');

    const onService = (prev: Service | undefined, cur: Service | undefined): void => {
      if (this.services.update(prev, cur) && this.synced) this.runner.run();
    };
    const onSlice = (prev: EndpointSlice | undefined, cur: EndpointSlice | undefined): void => {
      if (this.slices.update(prev, cur) && this.synced) this.runner.run();
    };
    o.services.on({ add: (s) => onService(undefined, s), update: onService, delete: (s) => onService(s, undefined) });
    o.slices.on({ add: (s) => onSlice(undefined, s), update: onSlice, delete: (s) => onSlice(s, undefined) });
  }

  /** Waits for both informers' first list, then programs everything once. */
  async start(): Promise<void> {
    await Promise.all([this.o.services.waitForSync(), this.o.slices.waitForSync()]);
    if (this.stopped) return;
    this.synced = true;
    this.runner.run();
  }

  hasSynced(): boolean {
    return this.synced && this.lastSyncMs > 0;
  }

  frontendCount(): number {
    return this.dataPlane.size;
  }

  rules(servicePort?: string): string {
    return printRules(this.table, servicePort ? { servicePort } : undefined);
  }

  stop(): void {
    this.stopped = true;
    this.runner.stop();
    this.dataPlane.stop();
  }

  /** Applies every pending Service/EndpointSlice change. */
  async sync(): Promise<void> {
    if (this.stopped) return;
    const first = this.lastSyncMs === 0;
    const started = performance.now();
    const now = Date.now();
    const svcChanges = this.services.drain();
    const sliceChanges = this.slices.drain();
    const names = new Set([...svcChanges.keys(), ...sliceChanges.keys()]);
    const diffs: TableDiff[] = [];
    for (const name of names) {
      const svc = this.o.services.getByKey(name);
      const ports = svc ? servicePorts(svc) : [];
      diffs.push(this.table.setService(name, ports, this.slices.slicesFor(name), now));
    }
    const addresses = this.o.frontendAddresses;
    const { added, released } = addresses ? this.countAddressUsers(diffs) : { added: [], released: [] };
    if (addresses && added.length > 0) {
      // A failure leaves those listeners standing by; the next sync (or reconcile) retries.
      await addresses.ensure(added).catch((err: unknown) => this.log.error({ err }, 'cannot add frontend addresses to lo'));
    }
    let closed = 0;
    for (const diff of diffs) closed += this.dataPlane.apply(diff).closedConnections;
    if (addresses && released.length > 0) {
      await addresses.release(released).catch((err: unknown) => this.log.warn({ err }, 'cannot remove frontend addresses from lo'));
    }
    if (addresses && first) await addresses.reconcile().catch((err: unknown) => this.log.warn({ err }, 'cannot reconcile frontend addresses on lo'));
    this.table.expireAffinity(now);
    const done = Date.now();
    for (const [, change] of sliceChanges) {
      if (change.triggerTime !== undefined) this.metrics.programmingLatency.observe(Math.max(0, done - change.triggerTime) / 1000);
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.syncDuration.observe(seconds);
    this.metrics.lastSync.set(done / 1000);
    this.lastSyncMs = done;
    if (names.size > 0) {
      this.log.debug({ services: names.size, closedConnections: closed, ms: seconds * 1000 }, 'proxy rules applied');
    }
  }

  /** Updates the per-IP frontend counts; returns the IPs that gained their first user and those that lost their last. */
  private countAddressUsers(diffs: readonly TableDiff[]): { added: string[]; released: string[] } {
    const touched = new Set<string>();
    const before = new Map<string, number>();
    const bump = (f: Frontend, by: number): void => {
      if (!hasOwnAddress(f)) return;
      if (!before.has(f.ip)) before.set(f.ip, this.addressUsers.get(f.ip) ?? 0);
      const n = (this.addressUsers.get(f.ip) ?? 0) + by;
      if (n > 0) this.addressUsers.set(f.ip, n);
      else this.addressUsers.delete(f.ip);
      touched.add(f.ip);
    };
    for (const d of diffs) {
      for (const f of d.frontendsRemoved) bump(f, -1);
      for (const f of d.frontendsAdded) bump(f, +1);
    }
    const added: string[] = [];
    const released: string[] = [];
    for (const ip of touched) {
      const was = before.get(ip) ?? 0;
      const now = this.addressUsers.get(ip) ?? 0;
      if (was === 0 && now > 0) added.push(ip);
      if (was > 0 && now === 0) released.push(ip);
    }
    return { added, released };
  }
}

/**
 * Each TCP pair holds two descriptors; keep a reserve for listeners, the apiserver
 * connection and pods' logs.
 */
function connectionsForFdLimit(native: NativeForwarder | undefined): number {
  native?.raiseNofile();
  const fdLimit = openFileLimit() ?? 20_000;
  return Math.max(64, Math.floor((fdLimit - 2_000) / 2));
}

/** One service port may hold at most 80% of the total, so that a flood of idle connections to it leaves room for the others. */
function connectionLimits(maxConnections: number): Pick<DataPlaneLimits, 'maxConnections' | 'maxConnectionsPerService'> {
  return { maxConnections, maxConnectionsPerService: Math.floor(maxConnections * 0.8) };
}

/** The soft RLIMIT_NOFILE of this process (Linux), from /proc/self/limits. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
