import { isApiError, objectKey, Reason, selectorFromLabelSelector, type Informer, type Pod, type ReplicaSet } from '@kemu/api';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { Expectations } from './expectations.js';
import { BURST_REPLICAS, planReplicaSet, podFromTemplate, slowStartBatches, type ReplicaSetPlan } from './plan-replica-set.js';
import { controllerRef, isPodActive } from './pod-state.js';

/**
 * Keeps each ReplicaSet's active pods at spec.replicas (see README.md). Pod events are
 * mapped to their controlling ReplicaSet (or, for orphans, to every ReplicaSet whose
 * selector matches) and settle its expectations; the ReplicaSet key is then reconciled
 * by planReplicaSet against the caches.
 */
export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly replicaSets: Informer<'replicasets'>;
  private readonly pods: Informer<'pods'>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    this.expectations = new Expectations(ctx.clock);
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) =>
        isApiError(err, Reason.Conflict)
          ? ctx.log.debug({ replicaset: key }, 'replicaset: object changed meanwhile, retrying')
          : ctx.log.warn({ err, replicaset: key }, 'replicaset: sync failed'),
      4,
    );
    this.replicaSets = ctx.informers.get('replicasets').on({
      add: (rs) => this.queue.add(objectKey(rs.metadata)),
      update: (_old, rs) => this.queue.add(objectKey(rs.metadata)),
      delete: (rs) => {
        this.expectations.forget(objectKey(rs.metadata));
        this.queue.add(objectKey(rs.metadata));
      },
    });
    this.pods = ctx.informers.get('pods').on({
      add: (pod) => this.podAdded(pod),
      update: (old, pod) => this.podUpdated(old, pod),
      delete: (pod) => this.podDeleted(pod),
    });
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  /** The key of the cached ReplicaSet controlling `pod` (uid must match), if any. */
  private ownerKey(pod: Pod): string | undefined {
    const ref = controllerRef(pod.metadata);
    if (ref?.kind !== 'ReplicaSet') return undefined;
    const ns = pod.metadata?.namespace ?? '';
    const rs = this.replicaSets.get(ns, ref.name ?? '');
    return rs && rs.metadata?.uid === ref.uid ? objectKey(rs.metadata) : undefined;
  }

  private enqueueMatching(pod: Pod): void {
    const ns = pod.metadata?.namespace ?? '';
    for (const rs of this.replicaSets.list((r) => r.metadata?.namespace === ns)) {
      if (selectorFromLabelSelector(rs.spec?.selector).matches(pod.metadata?.labels)) this.queue.add(objectKey(rs.metadata));
    }
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const key = this.ownerKey(pod);
    if (key) {
      this.expectations.creationObserved(key);
      this.queue.add(key);
    } else if (!controllerRef(pod.metadata)) {
      this.enqueueMatching(pod);
    }
  }

  private podUpdated(old: Pod, pod: Pod): void {
    const key = this.ownerKey(pod);
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp && key) {
      // Graceful deletion: the pod stops counting now, so its delete is observed now.
      this.expectations.deletionObserved(key, pod.metadata.uid ?? '');
    }
    const oldKey = this.ownerKey(old);
    if (oldKey && oldKey !== key) this.queue.add(oldKey);
    if (key) this.queue.add(key);
    else if (!controllerRef(pod.metadata)) this.enqueueMatching(pod);
  }

  private podDeleted(pod: Pod): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    this.expectations.deletionObserved(key, pod.metadata?.uid ?? '');
    this.queue.add(key);
  }

  private async sync(key: string): Promise<void> {
    const rs = this.replicaSets.getByKey(key);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const ns = rs.metadata?.namespace ?? '';
    const pods = this.pods.byIndex('namespace', ns);
    const plan = planReplicaSet({
      rs,
      pods,
      siblingPods: this.siblingPods(rs, pods),
      expectationsSatisfied: this.expectations.satisfied(key),
      now: this.ctx.clock.now(),
    });
    await this.claim(rs, plan);
    const errors = [...(await this.deletePods(key, plan.delete)), ...(await this.createPods(key, rs, plan.create))];
    if (plan.status) {
      try {
        await this.ctx.client.updateStatus('replicasets', { ...rs, status: plan.status });
      } catch (err) {
        if (!isApiError(err, Reason.NotFound)) errors.push(err);
      }
    }
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, Math.max(plan.requeueAfterMs, 0) + 10);
    if (errors.length > 0) throw new AggregateError(errors, `replicaset ${key}: ${errors.length} request(s) failed`);
  }

  /** Active pods controlled by other ReplicaSets with the same controller as `rs`. */
  private siblingPods(rs: ReplicaSet, pods: readonly Pod[]): Pod[] {
    const owner = controllerRef(rs.metadata)?.uid;
    if (!owner) return [];
    const ns = rs.metadata?.namespace;
    const siblings = new Set(
      this.replicaSets
        .list((r) => r.metadata?.namespace === ns && r.metadata?.uid !== rs.metadata?.uid && controllerRef(r.metadata)?.uid === owner)
        .map((r) => r.metadata?.uid ?? ''),
    );
    return pods.filter((p) => isPodActive(p) && siblings.has(controllerRef(p.metadata)?.uid ?? ''));
  }

  /** Adoptions and releases are pod updates at the cached resourceVersion: a Conflict aborts this sync. */
  private async claim(rs: ReplicaSet, plan: ReplicaSetPlan): Promise<void> {
    const uid = rs.metadata?.uid ?? '';
    if (plan.adopt.length > 0) {
      // As Kubernetes, re-read the owner before adopting: the cache may hold a deleted or replaced ReplicaSet.
      const fresh = await this.ctx.client.get('replicasets', rs.metadata?.namespace ?? '', rs.metadata?.name ?? '');
      if (fresh.metadata?.uid !== uid || fresh.metadata.deletionTimestamp) {
        throw new Error(`replicaset ${objectKey(rs.metadata)}: cache is stale (replaced or being deleted), not adopting`);
      }
    }
    for (const pod of plan.release) {
      const refs = (pod.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      await this.updatePod({ ...pod, metadata: { ...pod.metadata, ownerReferences: refs } });
    }
    for (const pod of plan.adopt) {
      const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata?.name ?? '', uid, controller: true, blockOwnerDeletion: true };
      await this.updatePod({ ...pod, metadata: { ...pod.metadata, ownerReferences: [...(pod.metadata?.ownerReferences ?? []), ref] } });
    }
  }

  private async updatePod(pod: Pod): Promise<void> {
    try {
      await this.ctx.client.update('pods', pod);
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
    }
  }

  private async deletePods(key: string, pods: readonly Pod[]): Promise<unknown[]> {
    if (pods.length === 0) return [];
    this.expectations.expectDeletions(
      key,
      pods.map((p) => p.metadata?.uid ?? ''),
    );
    const results = await Promise.allSettled(
      pods.map((p) => this.ctx.client.delete('pods', p.metadata?.namespace ?? '', p.metadata?.name ?? '', { uid: p.metadata?.uid ?? '' })),
    );
    const errors: unknown[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      // A failed delete will not be observed; a NotFound pod is already gone.
      this.expectations.deletionObserved(key, pods[i]?.metadata?.uid ?? '');
      if (!isApiError(r.reason, Reason.NotFound)) errors.push(r.reason);
    });
    if (pods.length > 0) this.ctx.log.info({ replicaset: key, pods: pods.map((p) => p.metadata?.name) }, 'replicaset: deleted pods');
    return errors;
  }

  /** Creates in slow-start batches; the first failing batch stops the rest, whose expectations are dropped. */
  private async createPods(key: string, rs: ReplicaSet, n: number): Promise<unknown[]> {
    if (n <= 0) return [];
    const count = Math.min(n, BURST_REPLICAS);
    this.expectations.expectCreations(key, count);
    let remaining = count;
    const errors: unknown[] = [];
    for (const batch of slowStartBatches(count)) {
      const results = await Promise.allSettled(Array.from({ length: batch }, () => this.ctx.client.create('pods', podFromTemplate(rs))));
      remaining -= batch;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) {
        this.expectations.creationObserved(key, failed.length + remaining);
        for (const f of failed) errors.push(f.reason as unknown);
        break;
      }
    }
    this.ctx.log.info({ replicaset: key, created: count - remaining - errors.length, wanted: count }, 'replicaset: created pods');
    return errors;
  }
}
