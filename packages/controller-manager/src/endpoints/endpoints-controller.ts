import { isApiError, objectKey, Reason, selectByLabels, type Informer, type Pod } from '@kemu/api';
import { assertNever, type Logger } from '@kemu/common';
import { Counter } from 'prom-client';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { podChangeAffectsEndpoints, servicesSelectingPods } from '../endpointslice/service-pods.js';
import { reconcileEndpoints } from './reconcile-endpoints.js';

const WORKERS = 4;

/**
 * Keeps the legacy core/v1 Endpoints of every selector Service in step with its pods.
 * Watches queue Service keys ("namespace/name"); a worker runs reconcileEndpoints over
 * the caches and carries out its one action. A write based on a stale cache fails with
 * Conflict or AlreadyExists and is retried once the cache has caught up.
 */
export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly services: Informer<'services'>;
  private readonly pods: Informer<'pods'>;
  private readonly endpoints: Informer<'endpoints'>;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly changes: Counter<'operation'>;
  private readonly syncs: Counter<'result'>;

  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ controller: this.name });
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) => this.onSyncError(key, err),
      WORKERS,
    );
    const addKey = (o: { metadata?: { namespace?: string; name?: string } }): void => this.queue.add(objectKey(o.metadata));
    this.services = ctx.informers.get('services').on({ add: addKey, update: (_o, s) => addKey(s), delete: addKey });
    this.pods = ctx.informers.get('pods').on({
      add: (p) => this.enqueueServicesOf([p]),
      update: (old, p) => {
        if (podChangeAffectsEndpoints(old, p)) this.enqueueServicesOf([old, p]);
      },
      delete: (p) => this.enqueueServicesOf([p]),
    });
    // Someone deleting a managed Endpoints gets it recreated.
    this.endpoints = ctx.informers.get('endpoints').on({ delete: addKey });

    const registers = [ctx.metrics];
    this.changes = new Counter({
      name: 'endpoints_controller_changes_total',
      help: 'Endpoints writes by the Endpoints controller, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.syncs = new Counter({
      name: 'endpoints_controller_syncs_total',
      help: 'Service syncs of the Endpoints controller, by result',
      labelNames: ['result'],
      registers,
    });
  }

  start(): void {
    this.queue.start();
    for (const s of this.services.list()) this.queue.add(objectKey(s.metadata));
    // Endpoints left behind by Services deleted while this replica was not leading.
    for (const e of this.endpoints.list()) this.queue.add(objectKey(e.metadata));
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    try {
      await this.syncService(key);
      this.syncs.inc({ result: 'success' });
    } catch (err) {
      this.syncs.inc({ result: 'error' });
      throw err;
    }
  }

  private async syncService(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const service = this.services.get(namespace, name);
    // A selector-less Service's Endpoints are the user's: no pods needed to decide that.
    const selector = service?.spec?.selector ?? {};
    const pods = Object.keys(selector).length ? selectByLabels(this.pods, namespace, selector) : [];
    const action = reconcileEndpoints(namespace, name, service, pods, this.endpoints.get(namespace, name));
    const { client } = this.ctx;
    switch (action.kind) {
      case 'none':
        return;
      case 'create':
        await client.create('endpoints', action.endpoints);
        break;
      case 'update':
        await client.update('endpoints', action.endpoints);
        break;
      case 'delete':
        try {
          await client.delete('endpoints', action.namespace, action.name);
        } catch (err) {
          if (isApiError(err, Reason.NotFound)) return;
          throw err;
        }
        break;
      default:
        assertNever(action, 'endpoints action');
    }
    this.changes.inc({ operation: action.kind });
    this.log.debug({ service: key, operation: action.kind }, 'endpoints written');
  }

  private onSyncError(key: string, err: unknown): void {
    const raced = isApiError(err, Reason.Conflict) || isApiError(err, Reason.AlreadyExists) || isApiError(err, Reason.NotFound);
    if (raced) this.log.debug({ err, service: key }, 'endpoints sync raced another write; retrying');
    else this.log.warn({ err, service: key }, 'endpoints sync failed; retrying');
  }

  private enqueueServicesOf(pods: readonly Pod[]): void {
    for (const svc of servicesSelectingPods(this.services, pods)) this.queue.add(objectKey(svc.metadata));
  }
}
