import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '@kemu/api';
import { EtcdTestCluster, sleep } from './etcd-cluster.js';
import { TestProcess } from './process.js';

const APISERVER_MAIN = new URL('./main.js', import.meta.resolve('@kemu/apiserver')).pathname;
const CM_MAIN = new URL('./main.js', import.meta.resolve('@kemu/controller-manager')).pathname;

export const TOKENS = {
  admin: 'admin-token-for-tests',
  controllerManager: 'controller-manager-token-for-tests',
  node: 'node-token-for-tests',
} as const;

export interface ControlPlaneOptions {
  /** First three octets of this test file's loopback block, e.g. 127.30.0. */
  ipPrefix: string;
  apiservers?: number;
  controllerManagers?: number;
  /** Extra controller-manager flags (short node grace periods in tests, a LB pool...). */
  controllerManagerArgs?: string[];
  apiserverArgs?: string[];
}

/**
 * A real control plane for tests: three etcd members, N apiservers and M
 * controller-managers, each its own OS process on the test's loopback block
 * (etcd .1-.3, apiservers .11+, controller-managers .21+).
 */
export class ControlPlane {
  readonly apiservers: TestProcess[] = [];
  readonly controllerManagers: TestProcess[] = [];

  private constructor(
    readonly etcd: EtcdTestCluster,
    readonly opts: ControlPlaneOptions,
  ) {}

  static async start(opts: ControlPlaneOptions): Promise<ControlPlane> {
    const etcd = await EtcdTestCluster.start({ ipPrefix: opts.ipPrefix, heartbeatMs: 50, electionMs: 500, snapshotCount: 100_000 });
    const cp = new ControlPlane(etcd, opts);
    try {
      writeFileSync(
        cp.tokenFile,
        [
          `${TOKENS.admin},kubernetes-admin,uid-admin,"system:masters"`,
          `${TOKENS.controllerManager},system:kube-controller-manager,uid-kcm`,
          `${TOKENS.node},system:node:any,uid-node,"system:nodes"`,
        ].join('\n') + '\n',
      );
      writeFileSync(join(etcd.dir, 'cm-token'), TOKENS.controllerManager + '\n');
      for (let i = 0; i < (opts.apiservers ?? 1); i++) cp.addApiserver();
      await Promise.all(cp.apiservers.map((a) => a.waitReady()));
      for (let i = 0; i < (opts.controllerManagers ?? 1); i++) cp.addControllerManager();
      await Promise.all(cp.controllerManagers.map((c) => c.waitReady()));
    } catch (err) {
      await cp.destroy();
      throw err;
    }
    return cp;
  }

  get tokenFile(): string {
    return join(this.etcd.dir, 'tokens.csv');
  }

  apiserverAddr(i: number): string {
    return `${this.opts.ipPrefix}.${11 + i}:6443`;
  }

  /** The Kubernetes HTTP API (HTTPS) of apiserver i, for kubectl and client libraries. */
  restUrl(i = 0): string {
    return `https://${this.opts.ipPrefix}.${11 + i}:8080`;
  }

  /** The self-signed certificate apiserver i serves its HTTP API with (a kubeconfig's CA). */
  restCertFile(i = 0): string {
    return join(this.etcd.dir, `apiserver-${i}.crt`);
  }

  apiserverEndpoints(): string[] {
    return this.apiservers.map((_, i) => this.apiserverAddr(i));
  }

  private addApiserver(): TestProcess {
    const i = this.apiservers.length;
    const host = `${this.opts.ipPrefix}.${11 + i}`;
    const p = new TestProcess(
      `apiserver-${i}`,
      APISERVER_MAIN,
      [
        '--etcd-servers', this.etcd.endpoints().join(','),
        '--bind-address', host,
        '--ops-addr', `${host}:6444`,
        '--rest-addr', `${host}:8080`,
        '--tls-cert-file', this.restCertFile(i),
        '--tls-private-key-file', join(this.etcd.dir, `apiserver-${i}.key`),
        '--token-auth-file', this.tokenFile,
        '--endpoint-reconcile-interval', '1000',
        '--master-lease-ttl', '3',
        '--bookmark-interval', '1000',
        ...(this.opts.apiserverArgs ?? []),
      ],
      join(this.etcd.dir, `apiserver-${i}.log`),
      `http://${host}:6444/readyz`,
    ).start();
    this.apiservers.push(p);
    return p;
  }

  private addControllerManager(): TestProcess {
    const i = this.controllerManagers.length;
    const host = `${this.opts.ipPrefix}.${21 + i}`;
    const p = new TestProcess(
      `controller-manager-${i}`,
      CM_MAIN,
      [
        '--apiserver', this.apiserverEndpoints().join(','),
        '--token-file', join(this.etcd.dir, 'cm-token'),
        '--ops-addr', `${host}:10257`,
        '--leader-elect-identity', `cm-${i}`,
        ...(this.opts.controllerManagerArgs ?? []),
      ],
      join(this.etcd.dir, `controller-manager-${i}.log`),
      `http://${host}:10257/readyz`,
    ).start();
    this.controllerManagers.push(p);
    return p;
  }

  client(token: string = TOKENS.admin, endpoints = this.apiserverEndpoints(), timeoutMs = 10_000): KubeClient {
    return new KubeClient({ endpoints, token, timeoutMs });
  }

  /** Which controller-manager holds the leader lease (by its --leader-elect-identity). */
  async leaderIndex(client: KubeClient, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const lease = await client.get('leases', 'kube-system', 'kube-controller-manager');
        const holder = lease.spec?.holderIdentity ?? '';
        const m = /^cm-(\d+)/.exec(holder);
        if (m && this.controllerManagers[Number(m[1])]?.running()) return Number(m[1]);
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error('no controller-manager leader');
      await sleep(100);
    }
  }

  logs(): string {
    return [...this.apiservers, ...this.controllerManagers].map((p) => `--- ${p.name}\n${p.tail(25)}`).join('\n');
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.controllerManagers, ...this.apiservers].map((p) => p.kill()));
    await this.etcd.destroy();
  }
}
