import { isApiError, Reason, type Informer, type Lease, type Node, type Pod } from '@kemu/api';
import { assertNever } from '@kemu/common';
import { Counter, Gauge } from 'prom-client';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { FreshObjects } from './fresh-objects.js';
import {
  NodeLifecycleCore,
  NOT_READY_NO_EXECUTE,
  UNREACHABLE_NO_EXECUTE,
  type NodeLifecycleAction,
  type NodeLifecycleResult,
} from './node-lifecycle-core.js';
import { NODE_LEASE_NAMESPACE, readyStatus } from './node-health.js';
import { hasTaint, swapTaints } from './taints.js';

const SYNC_KEY = 'node-lifecycle';
/** Longest single timer: later deadlines are re-examined when it fires. */
const MAX_WAKE_DELAY_MS = 60 * 60 * 1000;

const isNodeLease = (l: Lease): boolean => l.metadata?.namespace === NODE_LEASE_NAMESPACE;

/**
 * The driver of NodeLifecycleCore: node, lease and pod watches queue one sync; a sync
 * runs the core over the caches and carries out its actions, then sets a timer for the
 * core's next deadline (a grace period or toleration running out). Node lease renewals
 * of healthy nodes do not wake it: the deadline timer reads them when it matters.
 */
export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly core: NodeLifecycleCore;
  private readonly queue: WorkQueue;
  private readonly nodes: Informer<'nodes'>;
  private readonly leases: Informer<'leases'>;
  private readonly pods: Informer<'pods'>;
  private readonly freshNodes = new FreshObjects<Node>();
  private readonly freshPods = new FreshObjects<Pod>();
  private readonly zoneHealth: Gauge<'zone'>;
  private readonly zoneSize: Gauge<'zone'>;
  private readonly unhealthyNodes: Gauge<'zone'>;
  private readonly evictions: Counter<'zone'>;
  private wakeTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly ctx: ControllerContext) {
    this.core = new NodeLifecycleCore(ctx.nodeLifecycle);
    this.queue = new WorkQueue(
      () => this.sync(),
      (_key, err) => ctx.log.warn({ err }, 'node lifecycle: sync failed; retrying'),
    );
    const kick = (): void => {
      if (this.running) this.queue.add(SYNC_KEY);
    };
    this.nodes = ctx.informers.get('nodes').on({ add: kick, update: kick, delete: kick });
    this.leases = ctx.informers.get('leases').on({
      add: (l) => isNodeLease(l) && kick(),
      delete: (l) => isNodeLease(l) && kick(),
    });
    const podChanged = (p: Pod): void => {
      if (this.podMatters(p)) kick();
    };
    this.pods = ctx.informers.get('pods').on({ add: podChanged, update: (_old, p) => podChanged(p) });

    const registers = [ctx.metrics];
    this.zoneHealth = new Gauge({ name: 'node_collector_zone_health', help: 'Percentage of healthy nodes per zone', labelNames: ['zone'], registers });
    this.zoneSize = new Gauge({ name: 'node_collector_zone_size', help: 'Number of nodes per zone', labelNames: ['zone'], registers });
    this.unhealthyNodes = new Gauge({ name: 'node_collector_unhealthy_nodes_in_zone', help: 'Number of not Ready nodes per zone', labelNames: ['zone'], registers });
    this.evictions = new Counter({ name: 'node_collector_evictions_total', help: 'Pods evicted from not Ready nodes, per zone', labelNames: ['zone'], registers });
  }

  start(): void {
    this.running = true;
    this.queue.start();
    this.queue.add(SYNC_KEY);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.wakeTimer);
    await this.queue.stop();
  }

  /** Only pods on a node that is not Ready, or that carries an eviction taint, change anything. */
  private podMatters(pod: Pod): boolean {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return false;
    const node = this.nodes.get('', nodeName);
    if (!node) return false;
    const taints = node.spec?.taints;
    return readyStatus(node) !== 'True' || hasTaint(taints, UNREACHABLE_NO_EXECUTE) || hasTaint(taints, NOT_READY_NO_EXECUTE);
  }

  private async sync(): Promise<void> {
    if (!this.running) return;
    const now = this.ctx.clock.now();
    const result = this.core.reconcile(
      {
        nodes: this.freshNodes.resolveAll(this.nodes.list()),
        leases: this.leases.list(isNodeLease),
        pods: this.freshPods.resolveAll(this.pods.list()),
      },
      now,
    );
    this.report(result);
    const failures: unknown[] = [];
    for (const action of result.actions) {
      try {
        await this.apply(action);
      } catch (err) {
        // Gone or replaced meanwhile: the next sync sees the new state.
        if (isApiError(err, Reason.NotFound)) continue;
        if (action.kind === 'evict-pod' && isApiError(err, Reason.Conflict)) continue;
        failures.push(err);
      }
    }
    this.scheduleWake(result.wakeAt);
    if (failures.length > 0) throw new AggregateError(failures, `node lifecycle: ${failures.length} of ${result.actions.length} writes failed`);
  }

  private async apply(action: NodeLifecycleAction): Promise<void> {
    const { client, log } = this.ctx;
    switch (action.kind) {
      case 'set-node-status-unknown': {
        const node = await client.updateStatus('nodes', action.node);
        this.freshNodes.record(node);
        log.info({ node: node.metadata?.name }, 'node stopped posting status: Ready=Unknown');
        return;
      }
      case 'swap-node-taints': {
        const cached = this.nodes.get('', action.nodeName);
        if (!cached) return;
        const base = this.freshNodes.resolve(cached);
        const taints = swapTaints(base.spec?.taints, action.add, action.remove);
        const node = await client.update('nodes', { ...base, spec: { ...base.spec, taints } });
        this.freshNodes.record(node);
        log.info(
          {
            node: action.nodeName,
            added: action.add.map((t) => `${t.key ?? ''}:${t.effect ?? ''}`),
            removed: action.remove.map((t) => `${t.key}:${t.effect}`),
          },
          'node taints changed',
        );
        return;
      }
      case 'mark-pod-not-ready': {
        const pod = await client.updateStatus('pods', action.pod);
        this.freshPods.record(pod);
        log.info({ pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, node: pod.spec?.nodeName }, 'pod marked not ready: node not Ready');
        return;
      }
      case 'evict-pod': {
        const pod = await client.delete('pods', action.namespace, action.name, { uid: action.uid });
        if (pod.metadata?.name) this.freshPods.record(pod);
        this.evictions.inc({ zone: action.zone });
        log.info({ pod: `${action.namespace}/${action.name}`, node: action.nodeName }, 'evicted pod from not Ready node');
        return;
      }
      default:
        assertNever(action);
    }
  }

  private scheduleWake(at: number | undefined): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (at === undefined || !this.running) return;
    const delay = Math.min(Math.max(0, at - this.ctx.clock.now()), MAX_WAKE_DELAY_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      if (this.running) this.queue.add(SYNC_KEY);
    }, delay);
  }

  private report(result: NodeLifecycleResult): void {
    this.zoneHealth.reset();
    this.zoneSize.reset();
    this.unhealthyNodes.reset();
    for (const z of result.zones) {
      this.zoneSize.set({ zone: z.zone }, z.size);
      this.unhealthyNodes.set({ zone: z.zone }, z.notReady);
      this.zoneHealth.set({ zone: z.zone }, z.size ? (100 * (z.size - z.notReady)) / z.size : 100);
    }
  }
}
