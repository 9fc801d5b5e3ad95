import { isApiError, Reason, type Lease } from '@kemu/api';
import type { Logger } from '@kemu/common';
import { NODE_LEASE_NAMESPACE, renewedLease } from './node-lease.js';
import type { KubeletClient } from './pod-status-sync.js';

export interface NodeLeaseOptions {
  client: KubeletClient;
  nodeName: string;
  nodeUID: () => string | undefined;
  durationSeconds: number;
  renewEveryMs: number;
  log: Logger;
}

const RETRY_FIRST_MS = 200;

/**
 * The node heartbeat (the kubelet's node lease controller): creates the Lease
 * kube-node-lease/<node> if missing and renews it every `renewEveryMs`. An update starts
 * from the Lease last written; on a Conflict the Lease is read again and the renewal
 * retried. A failed renewal is retried sooner, 200 ms doubling up to the interval.
 */
export class NodeLeaseRenewer {
  private latest: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;

  constructor(private readonly o: NodeLeaseOptions) {}

  /** Renews once now (throws on failure), then keeps renewing. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.renew();
    this.schedule(this.o.renewEveryMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.renew().then(
        () => {
          this.failures = 0;
          this.schedule(this.o.renewEveryMs);
        },
        (err: unknown) => {
          this.failures++;
          const retry = Math.min(RETRY_FIRST_MS * 2 ** (this.failures - 1), this.o.renewEveryMs);
          this.o.log.warn({ err, retryMs: retry }, 'kubelet: node lease renewal failed');
          this.schedule(retry);
        },
      );
    }, ms);
  }

  /** One renewal: update from the last known Lease, re-reading it on a Conflict; create it if it does not exist. */
  async renew(): Promise<void> {
    const { client, nodeName } = this.o;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!this.latest) {
        try {
          this.latest = await client.get('leases', NODE_LEASE_NAMESPACE, nodeName);
        } catch (err) {
          if (!isApiError(err, Reason.NotFound)) throw err;
          try {
            this.latest = await client.create('leases', this.lease(undefined));
            return;
          } catch (createErr) {
            if (!isApiError(createErr, Reason.AlreadyExists)) throw createErr;
            continue;
          }
        }
      }
      try {
        this.latest = await client.update('leases', this.lease(this.latest));
        return;
      } catch (err) {
        this.latest = undefined;
        if (!isApiError(err, Reason.Conflict) && !isApiError(err, Reason.NotFound)) throw err;
      }
    }
    throw new Error(`kubelet: node lease ${NODE_LEASE_NAMESPACE}/${nodeName}: too many conflicts`);
  }

  private lease(existing: Lease | undefined): Lease {
    return renewedLease(existing, { name: this.o.nodeName, uid: this.o.nodeUID() }, this.o.durationSeconds, Date.now());
  }
}
