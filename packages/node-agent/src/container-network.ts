import { readFileSync } from 'node:fs';
import type { Informer } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { clusterResolvConf, NodeRoutes, planRoutes, writeNodeResolvConf } from './network/index.js';
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
}

/**
 * Container mode's node plumbing outside the proxy: host-gw routes to every other node's pod
 * CIDR via its node IP (from the Node objects), and the node's resolv.conf pointing at the
 * kube-dns Service, so that pods, which share the node's network namespace and files, resolve
 * cluster names as ClusterFirst pods do. Both follow their informers; nothing polls.
 */
export class ContainerNetwork {
  private readonly routes: NodeRoutes;
  private readonly runner: BoundedFrequencyRunner<NodeJS.Timeout>;
  private reconciled = false;
  private dnsIP: string | undefined;

  constructor(private readonly o: ContainerNetworkOptions) {
    this.routes = new NodeRoutes({ owned: [o.clusterCIDR], ownPodCIDRs: o.podCIDR ? [o.podCIDR] : [], log: o.log });
    this.runner = new BoundedFrequencyRunner(() => this.syncRoutes(), {
      scheduler: { now: () => Date.now(), setTimer: (ms, fn) => setTimeout(fn, ms), clearTimer: (h) => clearTimeout(h) },
      minIntervalMs: 100,
      maxIntervalMs: 60_000,
      burst: 2,
      onError: (err) => o.log.error({ err }, 'cannot program pod routes'),
    });
    const kick = (): void => this.runner.run();
    o.nodes.on({ add: kick, update: kick, delete: kick });
    const dns = (): void => void this.syncResolvConf();
    o.services.on({ add: dns, update: dns, delete: dns });
  }

  async start(): Promise<void> {
    await Promise.all([this.o.nodes.waitForSync(), this.o.services.waitForSync()]);
    this.runner.run();
    await this.syncResolvConf();
  }

  stop(): void {
    this.runner.stop();
  }

  private async syncRoutes(): Promise<void> {
    await this.routes.apply(planRoutes(this.o.nodeName, this.o.nodes.list()));
    if (!this.reconciled) {
      await this.routes.reconcile();
      this.reconciled = true;
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
