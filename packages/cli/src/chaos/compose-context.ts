// The container cluster of docker-compose.yml as `kemu chaos --compose` sees it: the
// apiservers and etcd members through the ports the compose file publishes on the host's
// loopback, faults through the container engine, pod logs read inside the node containers.
import { basename, join, resolve } from 'node:path';
import { KubeClient, type Pod } from '@kemu/api';
import type { ChaosCluster } from './chaos-cluster.js';
import { ComposeFaultDriver, composeProjectName } from './compose-fault-driver.js';
import { EtcdMembers } from './etcd-members.js';
import { ClusterTargetLookup } from './target-lookup.js';

/** Where docker-compose.yml publishes things, and the admin token of compose/tokens.csv. */
export const COMPOSE_DEFAULTS = {
  hostBlock: '127.0.20',
  token: 'kemu-compose-admin',
  /** The node agents' --root-dir in docker-compose.yml (KEMU_ROOT_DIR). */
  nodeRoot: '/var/lib/kemu/node',
} as const;

export interface ComposeChaosOptions {
  /** The compose project; default $COMPOSE_PROJECT_NAME or the current directory's name, as docker-compose picks it. */
  project?: string;
  /** The first three octets the compose file publishes ports under ($KEMU_HOST_BLOCK). */
  hostBlock?: string;
  token?: string;
  /** Reports go to <stateDir>/chaos/<name> unless --out says otherwise. */
  stateDir?: string;
}

export class ComposeChaosContext implements ChaosCluster {
  readonly project: string;
  readonly hostBlock: string;
  readonly etcd: EtcdMembers;
  readonly faults: ComposeFaultDriver;
  readonly servers: string[];
  private readonly api: KubeClient;
  private readonly token: string;
  private readonly stateDir: string;

  constructor(o: ComposeChaosOptions = {}) {
    this.project = o.project ?? process.env['COMPOSE_PROJECT_NAME'] ?? composeProjectName(basename(process.cwd()));
    this.hostBlock = o.hostBlock ?? process.env['KEMU_HOST_BLOCK'] ?? COMPOSE_DEFAULTS.hostBlock;
    this.token = o.token ?? process.env['KEMU_TOKEN'] ?? COMPOSE_DEFAULTS.token;
    this.stateDir = resolve(o.stateDir ?? '.kemu');
    this.servers = [`${this.hostBlock}.1:6443`, `${this.hostBlock}.2:6443`];
    this.etcd = new EtcdMembers([0, 1, 2].map((i) => ({ name: `etcd-${i}`, endpoint: `${this.hostBlock}.${5 + i}:2379` })));
    this.faults = new ComposeFaultDriver({ project: this.project });
    this.api = new KubeClient({ endpoints: this.servers, token: this.token, timeoutMs: 10_000 });
  }

  client(): KubeClient {
    return this.api;
  }

  reportDir(name: string): string {
    return join(this.stateDir, 'chaos', name);
  }

  /** A second client with a short deadline, for the write probe. */
  writeClient(): KubeClient {
    return new KubeClient({ endpoints: this.servers, token: this.token, timeoutMs: 2_000 });
  }

  lookup(): ClusterTargetLookup {
    return new ClusterTargetLookup({ etcd: this.etcd, client: this.api, controllerManagers: [{ name: 'controller-manager-0' }, { name: 'controller-manager-1' }] });
  }

  /** <root>/pods/<ns>_<name>_<uid>/<container>.log inside the pod's node container. */
  async podLog(pod: Pod, container: string): Promise<string | undefined> {
    const m = pod.metadata;
    const node = pod.spec?.nodeName;
    if (!m?.name || !m.uid || !node) return undefined;
    try {
      return await this.faults.exec(node, ['cat', `${COMPOSE_DEFAULTS.nodeRoot}/pods/${m.namespace ?? 'default'}_${m.name}_${m.uid}/${container}.log`]);
    } catch {
      return undefined;
    }
  }

  /** The node lifecycle timings the controller-managers run with (their environment, from docker-compose.yml). */
  async notes(): Promise<string[]> {
    let env: string;
    try {
      env = await this.faults.exec('controller-manager-0', ['printenv']);
    } catch {
      return [];
    }
    const get = (k: string): string | undefined => env.match(new RegExp(`^${k}=(.*)$`, 'm'))?.[1];
    const grace = get('KEMU_NODE_MONITOR_GRACE_PERIOD') || '40s (the controller-manager default)';
    const eviction = get('KEMU_POD_EVICTION_TIMEOUT') || '5m (the controller-manager default)';
    return [`compose cluster: the controller-manager marks a silent node NotReady after ${grace} and evicts its pods ${eviction} later`];
  }

  close(): void {
    this.etcd.close();
    this.api.close();
  }
}
