import { isApiError, Reason, type KubeClient, type Pod, type core } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { KubeletMetrics } from './metrics.js';
import { sameStatus, statusPatch } from './pod-status.js';

/** The client calls the kubelet makes. A KubeClient has them all. */
export type KubeletClient = Pick<KubeClient, 'get' | 'create' | 'update' | 'patch' | 'delete'>;

interface Entry {
  /** A sync is queued or running. */
  busy: Promise<void> | undefined;
  /** Another sync was asked for while one ran. */
  again: boolean;
  /** What this kubelet wrote last, and the resourceVersion the write produced. */
  written?: { status: core.PodStatus; rv: string };
  retry?: NodeJS.Timeout;
}

export interface PodStatusSource {
  /** The pod as the apiserver has it (newest seen), undefined once it is gone. */
  pod(uid: string): Pod | undefined;
  /** The status the kubelet wants the pod to have now. */
  desired(uid: string): core.PodStatus | undefined;
}

const RETRY_MS = 1_000;

/**
 * Writes pod statuses: a merge patch of the whole status, only when it differs from
 * what the apiserver has. Requests for one pod coalesce (one write for a burst of
 * changes, at most one write in flight per pod). A status this kubelet wrote that the
 * pod cache has not caught up with yet is not written again.
 */
export class PodStatusSync {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly client: KubeletClient,
    private readonly source: PodStatusSource,
    private readonly log: Logger,
    private readonly metrics: KubeletMetrics,
  ) {}

  request(uid: string): void {
    if (this.stopped) return;
    const e = this.entry(uid);
    if (e.busy) {
      e.again = true;
      return;
    }
    e.busy = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.loop(uid, e));
  }

  /** Resolves once the pod's status as of now has been written (or found unchanged). */
  async flush(uid: string): Promise<void> {
    const e = this.entry(uid);
    while (e.busy) await e.busy;
    e.busy = this.loop(uid, e);
    await e.busy;
  }

  forget(uid: string): void {
    const e = this.entries.get(uid);
    if (e) clearTimeout(e.retry);
    this.entries.delete(uid);
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) clearTimeout(e.retry);
  }

  private entry(uid: string): Entry {
    let e = this.entries.get(uid);
    if (!e) this.entries.set(uid, (e = { busy: undefined, again: false }));
    return e;
  }

  private async loop(uid: string, e: Entry): Promise<void> {
    try {
      do {
        e.again = false;
        await this.syncOnce(uid, e);
      } while (e.again && !this.stopped);
    } finally {
      e.busy = undefined;
    }
  }

  private async syncOnce(uid: string, e: Entry): Promise<void> {
    if (this.stopped) return;
    const pod = this.source.pod(uid);
    const desired = this.source.desired(uid);
    if (!pod || !desired) return;
    if (sameStatus(pod.status, desired)) return;
    if (e.written && sameStatus(e.written.status, desired) && olderThan(pod.metadata?.resourceVersion, e.written.rv)) return;
    const meta = pod.metadata ?? {};
    const end = this.metrics.statusSync.startTimer();
    try {
      const base = e.written && olderThan(meta.resourceVersion, e.written.rv) ? e.written.status : pod.status;
      const res = await this.client.patch('pods', meta.namespace ?? '', meta.name ?? '', statusPatch(uid, base, desired), { status: true });
      e.written = { status: desired, rv: res.metadata?.resourceVersion ?? '' };
      clearTimeout(e.retry);
    } catch (err) {
      if (isApiError(err, Reason.NotFound)) return;
      if (isApiError(err, Reason.Invalid)) {
        // Refused: a bug in the status, or another pod of the same name (the uid in the patch does not match).
        this.log.warn({ err, pod: `${meta.namespace ?? ''}/${meta.name ?? ''}` }, 'kubelet: pod status refused by the apiserver');
        return;
      }
      this.log.warn({ err, pod: `${meta.namespace ?? ''}/${meta.name ?? ''}` }, 'kubelet: pod status write failed; retrying');
      clearTimeout(e.retry);
      e.retry = setTimeout(() => this.request(uid), RETRY_MS);
    } finally {
      end();
    }
  }
}

/** resourceVersions are etcd revisions: decimal integers that only grow. */
function olderThan(a: string | undefined, b: string): boolean {
  if (!a || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
