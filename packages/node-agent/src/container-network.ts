import { readFileSync } from 'node:fs';
import type { Informer } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { clusterResolvConf, NodeRoutes, planRoutes, RouteMonitor, writeNodeResolvConf } from './network/index.js';
import { BoundedFrequencyRunner } from './proxy/bounded-frequency-runner.js';

export interface ContainerNetworkOptions {
  nodeName: string;
  podCIDR: string;
  clusterCIDR: string;
  clusterDomain: string;
  /** '' leaves resolv.conf alone. */
  resolvConf: string;
  nodes: Informer<'nodes'>;
  services: Informer<'services'>;
  log: Logger;
  /** The ip command and its leading options; default ['ip'] (tests: ['ip', '-n', ns]). */
  ipCommand?: readonly string[];
}

/**
 * Container mode's node plumbing outside the proxy: host-gw routes to every other node's pod
 * CIDR via its node IP (from the Node objects), under an `unreachable` route for the whole
 * pod network so a missing one fails fast rather than leaking through the default route;
 * and the node's resolv.conf pointing at the kube-dns Service, so that pods, which share the
 * node's network namespace and files, resolve cluster names as ClusterFirst pods do. Routes
 * follow the Node informer and the kernel's own route changes (a link that went down and
 * came back has lost its routes); resolv.conf follows the Service informer. Nothing polls.
 */
export class ContainerNetwork {
  private readonly routes: NodeRoutes;
  private readonly monitor: RouteMonitor;
  private readonly runner: BoundedFrequencyRunner<NodeJS.Timeout>;
  private dnsIP: string | undefined;
  /** The kernel's table may differ from what was applied: the next sync reads it first. */
  private reread = true;

  constructor(private readonly o: ContainerNetworkOptions) {
    const ipCommand = o.ipCommand ?? ['ip'];
    this.routes = new NodeRoutes({ ipCommand, owned: [o.clusterCIDR], ownPodCIDRs: o.podCIDR ? [o.podCIDR] : [], unreachable: [o.clusterCIDR], log: o.log });
    this.monitor = new RouteMonitor({
      ipCommand,
      onChange: () => {
        this.reread = true;
        this.runner.run();
      },
      log: o.log,
    });
    this.runner = new BoundedFrequencyRunner(() => this.syncRoutes(), {
      scheduler: { now: () => Date.now(), setTimer: (ms, fn) => setTimeout(fn, ms), clearTimer: (h) => clearTimeout(h) },
      minIntervalMs: 100,
      maxIntervalMs: 60_000,
      burst: 2,
      // A gateway can be briefly unreachable (this node's link is down): try again soon.
      onError: (err) => {
        o.log.warn({ err }, 'cannot program pod routes; retrying in 2 s');
        this.runner.retryAfter(2000);
      },
    });
    const kick = (): void => this.runner.run();
    o.nodes.on({ add: kick, update: kick, delete: kick });
    const dns = (): void => void this.syncResolvConf();
    o.services.on({ add: dns, update: dns, delete: dns });
  }

  async start(): Promise<void> {
    await Promise.all([this.o.nodes.waitForSync(), this.o.services.waitForSync()]);
    this.monitor.start();
    this.runner.run();
    await this.syncResolvConf();
  }

  stop(): void {
    this.monitor.stop();
    this.runner.stop();
  }

  /** The routes in the kernel's table now, as this node manages them. */
  listRoutes(): { cidr: string; via: string }[] {
    return this.routes.list();
  }

  // The first round, and any after the kernel reported a change, reads the kernel's table
  // first (one `ip route show`), so it restores what the kernel dropped; a Node update alone
  // only diffs against what was applied.
  private async syncRoutes(): Promise<void> {
    const reread = this.reread;
    this.reread = false;
    try {
      await this.routes.apply(planRoutes(this.o.nodeName, this.o.nodes.list()), { reread });
    } catch (err) {
      this.reread ||= reread;
      throw err;
    }
  }

  private async syncResolvConf(): Promise<void> {
    if (!this.o.resolvConf) return;
    const ip = this.o.services.get('kube-system', 'kube-dns')?.spec?.clusterIP;
    if (!ip || ip === 'None' || ip === this.dnsIP) return;
    const content = clusterResolvConf({ nameserver: ip, namespace: 'default', clusterDomain: this.o.clusterDomain });
    try {
      this.dnsIP = ip;
      if (readFileSafe(this.o.resolvConf) !== content) await writeNodeResolvConf(this.o.resolvConf, content);
      this.o.log.info({ nameserver: ip, file: this.o.resolvConf }, 'resolv.conf points at the cluster DNS');
    } catch (err) {
      this.dnsIP = undefined;
      this.o.log.error({ err, file: this.o.resolvConf }, 'cannot write resolv.conf');
    }
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
