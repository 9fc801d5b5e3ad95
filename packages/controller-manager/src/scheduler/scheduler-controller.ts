import { isApiError, objectKey, Reason, type Informer, type Node, type Pod } from '@kemu/api';
import { assertNever } from '@kemu/common';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { withPodScheduled } from './pod-scheduled-condition.js';
import { countLoads, needsScheduling, schedule, type PlacedPod } from './schedule.js';

export interface SchedulerOptions {
  /** Uniform in [0, 1); breaks ties between equally good nodes. Inject a seeded source for reproducible runs. */
  random?: () => number;
}

/**
 * Binds pending pods to nodes (see README.md). One worker, so each decision sees every
 * earlier binding of this process: bindings not yet reflected by the pod informer are kept
 * in `assumed` (pod uid -> node) and counted as placed.
 */
export class SchedulerController implements Controller {
  readonly name = 'scheduler';
  private readonly pods: Informer<'pods'>;
  private readonly nodes: Informer<'nodes'>;
  private readonly queue: WorkQueue;
  private readonly random: () => number;
  /** Invariant: holds only pods whose binding this process issued and the cache does not show yet. */
  private readonly assumed = new Map<string, string>();
  /** Keys of pods last found unschedulable; retried whenever a node changes in a way that matters. */
  private readonly unschedulable = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    options: SchedulerOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) =>
        isApiError(err, Reason.Conflict)
          ? ctx.log.debug({ pod: key }, 'scheduler: pod changed meanwhile, retrying')
          : ctx.log.warn({ err, pod: key }, 'scheduler: sync failed'),
    );
    this.pods = ctx.informers.get('pods').on({
      add: (pod) => {
        if (needsScheduling(pod)) this.queue.add(objectKey(pod.metadata));
      },
      update: (_old, pod) => {
        const key = objectKey(pod.metadata);
        if (pod.spec?.nodeName) {
          this.assumed.delete(pod.metadata?.uid ?? '');
          this.unschedulable.delete(key);
        }
        if (needsScheduling(pod)) this.queue.add(key);
      },
      delete: (pod) => {
        this.assumed.delete(pod.metadata?.uid ?? '');
        this.unschedulable.delete(objectKey(pod.metadata));
      },
    });
    this.nodes = ctx.informers.get('nodes').on({
      add: () => this.retryUnschedulable(),
      update: (old, node) => {
        if (schedulingView(old) !== schedulingView(node)) this.retryUnschedulable();
      },
    });
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.queue.add(key);
  }

  private async sync(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod || !needsScheduling(pod)) {
      this.unschedulable.delete(key);
      return;
    }
    if (this.assumed.has(pod.metadata?.uid ?? '')) return;
    const placed: PlacedPod[] = [];
    for (const p of this.pods.list()) {
      const nodeName = p.spec?.nodeName || this.assumed.get(p.metadata?.uid ?? '');
      if (nodeName) placed.push({ pod: p, nodeName });
    }
    const result = schedule(pod, this.nodes.list(), countLoads(pod, placed), this.random);
    switch (result.kind) {
      case 'scheduled':
        return this.bind(key, pod, result.node);
      case 'unschedulable':
        return this.markUnschedulable(key, pod, result.message);
      default:
        assertNever(result, 'schedule result');
    }
  }

  /** Binding is an update of spec.nodeName at the cached resourceVersion; a Conflict is retried. */
  private async bind(key: string, pod: Pod, node: string): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    this.assumed.set(uid, node);
    let bound: Pod;
    try {
      bound = await this.ctx.client.update('pods', { ...pod, spec: { ...pod.spec, nodeName: node } });
    } catch (err) {
      this.assumed.delete(uid);
      if (isApiError(err, Reason.NotFound)) return;
      throw err;
    }
    this.unschedulable.delete(key);
    this.ctx.log.info({ pod: key, node }, 'scheduler: bound pod');
    await this.setScheduled(bound, node);
  }

  /** Best effort: the binding already holds, so failures here are logged, not retried. */
  private async setScheduled(bound: Pod, node: string): Promise<void> {
    let current = bound;
    for (let attempt = 0; attempt < 3; attempt++) {
      const conditions = withPodScheduled(current, 'True', '', '', this.ctx.clock.now());
      if (!conditions) return;
      try {
        await this.ctx.client.updateStatus('pods', { ...current, status: { ...current.status, conditions } });
        return;
      } catch (err) {
        if (!isApiError(err, Reason.Conflict)) {
          if (!isApiError(err, Reason.NotFound)) {
            this.ctx.log.warn({ err, pod: objectKey(bound.metadata) }, 'scheduler: cannot set PodScheduled');
          }
          return;
        }
      }
      try {
        current = await this.ctx.client.get('pods', bound.metadata?.namespace ?? '', bound.metadata?.name ?? '');
      } catch {
        return;
      }
      if (current.spec?.nodeName !== node || current.metadata?.uid !== bound.metadata?.uid) return;
    }
  }

  private async markUnschedulable(key: string, pod: Pod, message: string): Promise<void> {
    this.unschedulable.add(key);
    const conditions = withPodScheduled(pod, 'False', 'Unschedulable', message, this.ctx.clock.now());
    if (!conditions) return;
    this.ctx.log.info({ pod: key, message }, 'scheduler: pod is unschedulable');
    try {
      await this.ctx.client.updateStatus('pods', { ...pod, status: { ...pod.status, conditions } });
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
    }
  }
}

/** The parts of a node that feasibility and spreading read; heartbeats leave it unchanged. */
function schedulingView(node: Node): string {
  return JSON.stringify([
    node.spec?.unschedulable ?? false,
    (node.spec?.taints ?? []).map((t) => [t.key, t.value, t.effect]),
    Object.entries(node.metadata?.labels ?? {}).sort(),
    node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
  ]);
}
