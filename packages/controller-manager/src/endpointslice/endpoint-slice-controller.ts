import { isApiError, objectKey, Reason, selectByLabels, type EndpointSlice, type Informer, type Node, type Pod } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { endpointSliceMetrics, type EndpointSliceMetrics } from './metrics.js';
import { countEndpointChanges, reconcileSlices } from './reconcile-slices.js';
import { LABEL_TOPOLOGY_ZONE, managesEndpoints, podChangeAffectsEndpoints, servicesSelectingPods } from './service-pods.js';
import { isManagedSlice, LABEL_SERVICE_NAME, sliceServiceKey } from './slice-meta.js';
import { SliceWriteTracker, StaleSliceCacheError } from './slice-tracker.js';

const WORKERS = 4;
const STALE_RECHECK_MS = 1_000;

/**
 * Keeps every selector Service's EndpointSlices in step with its pods. Watches only queue
 * Service keys ("namespace/name"); a worker reconciles one Service from the caches with
 * reconcileSlices and writes the result: creates, then updates, then deletes (so a
 * moving endpoint is briefly in two slices rather than in none).
 */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly services: Informer<'services'>;
  private readonly pods: Informer<'pods'>;
  private readonly nodes: Informer<'nodes'>;
  private readonly slices: Informer<'endpointslices'>;
  private readonly queue: WorkQueue;
  private readonly tracker = new SliceWriteTracker();
  private readonly metrics: EndpointSliceMetrics;
  private readonly log: Logger;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ controller: this.name });
    this.metrics = endpointSliceMetrics(ctx.metrics);
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) => this.onSyncError(key, err),
      WORKERS,
    );
    const addService = (s: { metadata?: { namespace?: string; name?: string } }): void => this.queue.add(objectKey(s.metadata));
    this.services = ctx.informers.get('services').on({ add: addService, update: (_o, s) => addService(s), delete: addService });
    this.pods = ctx.informers.get('pods').on({
      add: (p) => this.enqueueServicesOf([p]),
      update: (old, p) => {
        if (podChangeAffectsEndpoints(old, p)) this.enqueueServicesOf([old, p]);
      },
      delete: (p) => this.enqueueServicesOf([p]),
    });
    this.nodes = ctx.informers.get('nodes').on({
      add: (n) => this.enqueueServicesOnNode(n),
      update: (old, n) => {
        if (zoneOf(old) !== zoneOf(n)) this.enqueueServicesOnNode(n);
      },
      delete: (n) => this.enqueueServicesOnNode(n),
    });
    this.slices = ctx.informers.get('endpointslices').on({
      add: (s) => this.enqueueSliceService(s),
      update: (old, s) => {
        this.enqueueSliceService(old);
        this.enqueueSliceService(s);
      },
      delete: (s) => {
        const key = sliceServiceKey(s);
        if (key) this.tracker.observedDeletion(key, s.metadata?.name ?? '');
        this.enqueueSliceService(s);
      },
    });
  }

  start(): void {
    this.queue.start();
    for (const s of this.services.list()) this.queue.add(objectKey(s.metadata));
    // Slices of Services deleted while this replica was not leading.
    for (const s of this.slices.list()) this.enqueueSliceService(s);
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    try {
      await this.syncService(key);
      this.metrics.syncs.inc({ result: 'success' });
    } catch (err) {
      if (err instanceof StaleSliceCacheError) {
        // The slice informer's event for our own write re-queues this Service the moment
        // it arrives; backing off like an error would add its delay to every propagation.
        // The timer only covers a write whose event never comes.
        this.metrics.syncs.inc({ result: 'stale' });
        this.queue.addAfter(key, STALE_RECHECK_MS);
        return;
      }
      this.metrics.syncs.inc({ result: 'error' });
      throw err;
    }
  }

  private async syncService(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const now = this.ctx.clock.now();
    const existing = this.slices.byIndex('service', key).filter((s) => s.metadata?.labels?.[LABEL_SERVICE_NAME] === name && isManagedSlice(s));

    const service = this.services.get(namespace, name);
    if (!service) {
      // Kemu's garbage collector would also remove them (they are owned by the Service).
      for (const slice of existing) await this.deleteSlice(key, slice, now);
      this.tracker.forget(key);
      return;
    }
    if (!managesEndpoints(service)) return;

    const stale = this.tracker.staleSlices(key, new Map(existing.map((s) => [s.metadata?.name ?? '', s])), now);
    if (stale.length > 0) throw new StaleSliceCacheError(key, stale);

    const pods = selectByLabels(this.pods, namespace, service.spec?.selector ?? {});
    const zones = new Map(this.nodes.list().map((n) => [n.metadata?.name ?? '', zoneOf(n)]));
    const changes = reconcileSlices(service, pods, zones, existing);
    const total = changes.create.length + changes.update.length + changes.delete.length;
    if (total === 0) return;

    const { added, removed } = countEndpointChanges(existing, changes);
    this.metrics.endpointsAdded.observe(added);
    this.metrics.endpointsRemoved.observe(removed);
    this.log.debug(
      { service: key, create: changes.create.length, update: changes.update.length, delete: changes.delete.length, added, removed },
      'writing endpoint slices',
    );

    const { client } = this.ctx;
    for (const slice of changes.create) {
      const created = await client.create('endpointslices', slice);
      this.tracker.created(key, created.metadata?.name ?? '', now);
      this.metrics.changes.inc({ operation: 'create' });
    }
    for (const slice of changes.update) {
      const updated = await client.update('endpointslices', slice);
      this.tracker.updated(key, updated.metadata?.name ?? '', slice.metadata?.resourceVersion, now);
      this.metrics.changes.inc({ operation: 'update' });
    }
    for (const slice of changes.delete) await this.deleteSlice(key, slice, now);
  }

  private async deleteSlice(serviceKey: string, slice: EndpointSlice, now: number): Promise<void> {
    const name = slice.metadata?.name ?? '';
    try {
      await this.ctx.client.delete('endpointslices', slice.metadata?.namespace ?? '', name, { uid: slice.metadata?.uid });
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
    }
    this.tracker.deleted(serviceKey, name, now);
    this.metrics.changes.inc({ operation: 'delete' });
  }

  private onSyncError(key: string, err: unknown): void {
    const expected =
      err instanceof StaleSliceCacheError ||
      isApiError(err, Reason.Conflict) ||
      isApiError(err, Reason.AlreadyExists) ||
      isApiError(err, Reason.NotFound);
    if (expected) this.log.debug({ err, service: key }, 'endpoint slice sync raced another write; retrying');
    else this.log.warn({ err, service: key }, 'endpoint slice sync failed; retrying');
  }

  /** Queues every Service whose selector matches any of these (versions of) pods. */
  private enqueueServicesOf(pods: readonly Pod[]): void {
    for (const svc of servicesSelectingPods(this.services, pods)) this.queue.add(objectKey(svc.metadata));
  }

  /** A node's arrival, departure or zone change affects the endpoints of its pods. */
  private enqueueServicesOnNode(node: Node): void {
    const nodeName = node.metadata?.name ?? '';
    for (const pod of this.pods.byIndex('node', nodeName)) this.enqueueServicesOf([pod]);
  }

  private enqueueSliceService(slice: EndpointSlice): void {
    if (!isManagedSlice(slice)) return;
    const key = sliceServiceKey(slice);
    if (key) this.queue.add(key);
  }
}

function zoneOf(node: Node): string {
  return node.metadata?.labels?.[LABEL_TOPOLOGY_ZONE] ?? '';
}
