import { Informer, isApiError, Reason, type KubeClient, type Pod } from '@kemu/api';

export interface FakeNodeOptions {
  name: string;
  zone: string;
  /** Node N gets node IP 127.0.10.N-style `nodeIP` and pod IPs from `podPrefix`.x */
  nodeIP: string;
  podPrefix: string;
  renewMs?: number;
  leaseDurationSeconds?: number;
}

/**
 * A stand-in for the node agent in control-plane tests (the real one is issue 4's): it
 * registers a Node, renews its Lease in kube-node-lease, marks pods bound to it Running
 * and Ready with a fresh pod IP, and finishes graceful deletions as a kubelet does.
 * stop() is "the node died": no more renewals, no more pod updates.
 */
export class FakeNodeAgent {
  private timer: NodeJS.Timeout | undefined;
  private informer: Informer<'pods'> | undefined;
  private nextIP = 2;
  private readonly notReady = new Set<string>();
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    readonly o: FakeNodeOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node agent is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [
        { type: 'InternalIP', address: this.o.nodeIP },
        { type: 'Hostname', address: this.o.name },
      ],
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
    };
    try {
      await this.client.create('nodes', {
        metadata: {
          name: this.o.name,
          labels: { 'kubernetes.io/hostname': this.o.name, 'topology.kubernetes.io/zone': this.o.zone },
        },
        spec: { podCIDR: `${this.o.podPrefix}.0/24`, podCIDRs: [`${this.o.podPrefix}.0/24`] },
      });
    } catch (err) {
      if (!isApiError(err, Reason.AlreadyExists)) throw err;
    }
    await this.client.patch('nodes', '', this.o.name, { status }, { status: true });
    await this.renew();
    this.timer = setInterval(() => {
      this.renew().catch(() => undefined);
    }, this.o.renewMs ?? 300);
    this.informer = new Informer(this.client, 'pods', { fieldSelector: `spec.nodeName=${this.o.name}` })
      .on({ add: (p) => this.sync(p), update: (_, p) => this.sync(p) })
      .start();
    await this.informer.waitForSync();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.informer?.stop();
  }

  /** Makes a pod's readiness probe fail (or pass again). */
  async setReady(namespace: string, name: string, ready: boolean): Promise<void> {
    if (ready) this.notReady.delete(`${namespace}/${name}`);
    else this.notReady.add(`${namespace}/${name}`);
    const pod = await this.client.get('pods', namespace, name);
    await this.writeStatus(pod);
  }

  private async renew(): Promise<void> {
    const renewTime = new Date().toISOString().replace(/Z$/, '000Z'); // MicroTime: microseconds
    try {
      await this.client.patch('leases', 'kube-node-lease', this.o.name, { spec: { holderIdentity: this.o.name, renewTime } });
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
      await this.client.create('leases', {
        metadata: { name: this.o.name, namespace: 'kube-node-lease' },
        spec: { holderIdentity: this.o.name, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40, renewTime },
      });
    }
  }

  private sync(pod: Pod): void {
    if (this.stopped) return;
    const run = async (): Promise<void> => {
      if (pod.metadata?.deletionTimestamp) {
        await this.client.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '', { gracePeriodSeconds: 0, uid: pod.metadata.uid });
        return;
      }
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      const ready = !this.notReady.has(key);
      const isReady = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (pod.status?.podIP && pod.status.phase === 'Running' && isReady === ready) return;
      await this.writeStatus(pod);
    };
    run().catch((err: unknown) => {
      if (!isApiError(err, Reason.NotFound) && !isApiError(err, Reason.Conflict)) console.error(`fake node ${this.o.name}:`, err);
    });
  }

  private async writeStatus(pod: Pod): Promise<void> {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const ready = !this.notReady.has(key) ? 'True' : 'False';
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const podIP = pod.status?.podIP || `${this.o.podPrefix}.${this.nextIP++}`;
    await this.client.patch(
      'pods',
      pod.metadata?.namespace ?? '',
      pod.metadata?.name ?? '',
      {
        status: {
          phase: 'Running',
          podIP,
          podIPs: [{ ip: podIP }],
          hostIP: this.o.nodeIP,
          startTime: pod.status?.startTime ?? now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: ready, lastTransitionTime: now },
            { type: 'Ready', status: ready, lastTransitionTime: now },
          ],
        },
      },
      { status: true },
    );
  }
}
