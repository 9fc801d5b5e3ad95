import {
  isApiError,
  objectKey,
  Reason,
  selectorFromLabelSelector,
  type Deployment,
  type Informer,
  type Pod,
  type ReplicaSet,
} from '@kemu/api';
import { assertNever } from '@kemu/common';
import type { Controller, ControllerContext } from '../controller.js';
import { controllerRef } from '../replicaset/pod-state.js';
import { WorkQueue } from '../work-queue.js';
import { IntOrPercentError } from './int-or-percent.js';
import { planDeployment, REVISION_ANNOTATION, type DeploymentAction } from './plan-deployment.js';

/**
 * Rolls Deployments out through ReplicaSets (see README.md). ReplicaSet events are mapped
 * to the controlling Deployment (orphans to every Deployment whose selector matches);
 * pod deletions matter only to Recreate, which waits for old pods to be gone.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly deployments: Informer<'deployments'>;
  private readonly replicaSets: Informer<'replicasets'>;
  private readonly pods: Informer<'pods'>;
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) =>
        isApiError(err, Reason.Conflict) || isApiError(err, Reason.AlreadyExists)
          ? ctx.log.debug({ deployment: key }, 'deployment: cache behind the apiserver, retrying')
          : ctx.log.warn({ err, deployment: key }, 'deployment: sync failed'),
      2,
    );
    const enqueue = (d: Deployment): void => this.queue.add(objectKey(d.metadata));
    this.deployments = ctx.informers.get('deployments').on({ add: enqueue, update: (_o, d) => enqueue(d), delete: enqueue });
    this.replicaSets = ctx.informers.get('replicasets').on({
      add: (rs) => this.replicaSetChanged(rs),
      update: (old, rs) => {
        const before = this.ownerKey(old);
        if (before && before !== this.ownerKey(rs)) this.queue.add(before);
        this.replicaSetChanged(rs);
      },
      delete: (rs) => {
        const key = this.ownerKey(rs);
        if (key) this.queue.add(key);
      },
    });
    this.pods = ctx.informers.get('pods').on({ delete: (pod) => this.podDeleted(pod) });
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  /** The key of the cached Deployment controlling `rs` (uid must match), if any. */
  private ownerKey(rs: ReplicaSet): string | undefined {
    const ref = controllerRef(rs.metadata);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(rs.metadata?.namespace ?? '', ref.name ?? '');
    return d && d.metadata?.uid === ref.uid ? objectKey(d.metadata) : undefined;
  }

  private replicaSetChanged(rs: ReplicaSet): void {
    const key = this.ownerKey(rs);
    if (key) return this.queue.add(key);
    if (controllerRef(rs.metadata)) return;
    const ns = rs.metadata?.namespace ?? '';
    for (const d of this.deployments.list((x) => x.metadata?.namespace === ns)) {
      if (selectorFromLabelSelector(d.spec?.selector).matches(rs.metadata?.labels)) this.queue.add(objectKey(d.metadata));
    }
  }

  private podDeleted(pod: Pod): void {
    const ref = controllerRef(pod.metadata);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(pod.metadata?.namespace ?? '', ref.name ?? '');
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const key = this.ownerKey(rs);
    if (key && this.deployments.getByKey(key)?.spec?.strategy?.type === 'Recreate') this.queue.add(key);
  }

  private async sync(key: string): Promise<void> {
    const d = this.deployments.getByKey(key);
    if (!d) return;
    const ns = d.metadata?.namespace ?? '';
    const replicaSets = this.replicaSets.list((rs) => rs.metadata?.namespace === ns);
    const podsByReplicaSet = new Map<string, Pod[]>();
    if (d.spec?.strategy?.type === 'Recreate') {
      for (const pod of this.pods.byIndex('namespace', ns)) {
        const uid = controllerRef(pod.metadata)?.uid;
        if (uid) podsByReplicaSet.set(uid, [...(podsByReplicaSet.get(uid) ?? []), pod]);
      }
    }
    let actions: DeploymentAction[];
    try {
      actions = planDeployment({ deployment: d, replicaSets, podsByReplicaSet, now: this.ctx.clock.now() });
    } catch (err) {
      // A spec the planner cannot read: retrying will not help until the spec changes.
      if (err instanceof IntOrPercentError) return this.ctx.log.warn({ deployment: key, err: err.message }, 'deployment: invalid spec');
      throw err;
    }
    let current = d;
    for (const a of actions) current = await this.perform(key, current, a);
  }

  /** Performs one action; returns the Deployment as the apiserver now has it (for the status write). */
  private async perform(key: string, d: Deployment, a: DeploymentAction): Promise<Deployment> {
    const client = this.ctx.client;
    const ns = d.metadata?.namespace ?? '';
    switch (a.type) {
      case 'createReplicaSet':
        await client.create('replicasets', a.rs);
        this.ctx.log.info({ deployment: key, replicaset: a.rs.metadata?.name, replicas: a.rs.spec?.replicas }, 'deployment: created replica set');
        return d;
      case 'updateReplicaSet':
        await client.update('replicasets', a.rs);
        if (a.replicas.from !== a.replicas.to) {
          this.ctx.log.info({ deployment: key, replicaset: a.rs.metadata?.name, from: a.replicas.from, to: a.replicas.to }, 'deployment: scaled replica set');
        }
        return d;
      case 'deleteReplicaSet':
        try {
          await client.delete('replicasets', ns, a.name, { uid: a.uid });
          this.ctx.log.info({ deployment: key, replicaset: a.name }, 'deployment: deleted old replica set');
        } catch (err) {
          if (!isApiError(err, Reason.NotFound)) throw err;
        }
        return d;
      case 'setDeploymentRevision':
        return client.update('deployments', {
          ...d,
          metadata: { ...d.metadata, annotations: { ...d.metadata?.annotations, [REVISION_ANNOTATION]: a.revision } },
        });
      case 'updateStatus':
        return client.updateStatus('deployments', { ...d, status: a.status });
      default:
        return assertNever(a, 'deployment action');
    }
  }
}
