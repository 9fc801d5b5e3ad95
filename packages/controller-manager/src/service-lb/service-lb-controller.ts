import { isApiError, objectKey, Reason, type Informer, type Service } from '@kemu/api';
import { assertNever, type Logger } from '@kemu/common';
import { Counter, Gauge } from 'prom-client';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkQueue } from '../work-queue.js';
import { IpAllocator } from './ip-allocator.js';
import { IpPool } from './ip-pool.js';
import { adoptRecordedAddresses, reconcileLoadBalancer } from './reconcile-load-balancer.js';

/**
 * The emulated cloud provider's service controller: gives each LoadBalancer Service an
 * address from ctx.loadBalancerPool and records it in status.loadBalancer.ingress.
 * Service watches queue keys; a worker runs reconcileLoadBalancer against the allocator
 * and writes the status it asks for. The allocator is rebuilt from the cached Services'
 * status each time this replica starts leading.
 */
export class ServiceLoadBalancerController implements Controller {
  readonly name = 'service-lb';
  private readonly pool: IpPool;
  private allocator: IpAllocator;
  private readonly services: Informer<'services'>;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  /** Services waiting for an address; retried whenever one is released. */
  private readonly pending = new Set<string>();
  private readonly allocated: Gauge;
  private readonly pendingGauge: Gauge;
  private readonly statusWrites: Counter;

  /** Throws LoadBalancerPoolError when a pool entry is malformed. */
  constructor(private readonly ctx: ControllerContext) {
    this.log = ctx.log.child({ controller: this.name });
    this.pool = IpPool.parse(ctx.loadBalancerPool);
    this.allocator = new IpAllocator(this.pool);
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) => {
        const raced = isApiError(err, Reason.Conflict) || isApiError(err, Reason.NotFound);
        if (raced) this.log.debug({ err, service: key }, 'load balancer status write raced another write; retrying');
        else this.log.warn({ err, service: key }, 'load balancer sync failed; retrying');
      },
    );
    const addKey = (s: Service): void => this.queue.add(objectKey(s.metadata));
    this.services = ctx.informers.get('services').on({ add: addKey, update: (_o, s) => addKey(s), delete: addKey });

    const registers = [ctx.metrics];
    new Gauge({ name: 'service_lb_controller_pool_addresses', help: 'Addresses in the LoadBalancer pool', registers }).set(this.pool.size);
    this.allocated = new Gauge({ name: 'service_lb_controller_allocated_addresses', help: 'LoadBalancer pool addresses held by Services', registers });
    this.pendingGauge = new Gauge({ name: 'service_lb_controller_pending_services', help: 'LoadBalancer Services waiting for an address', registers });
    this.statusWrites = new Counter({ name: 'service_lb_controller_status_writes_total', help: 'Service load balancer status writes', registers });
  }

  start(): void {
    // What another replica (or this one, earlier) handed out is on record in the Services' status.
    this.allocator = new IpAllocator(this.pool);
    this.pending.clear();
    const services = this.services.list();
    const conflicts = adoptRecordedAddresses(this.allocator, services);
    if (conflicts.length > 0) this.log.warn({ services: conflicts }, 'load balancer address recorded by two services; the newer ones get new addresses');
    this.report();
    for (const s of services) this.queue.add(objectKey(s.metadata));
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const svc = this.services.get(key.slice(0, slash), key.slice(slash + 1));
    const step = reconcileLoadBalancer(key, svc, this.allocator);

    if (step.outcome.kind === 'pending') {
      if (!this.pending.has(key)) this.log.info({ service: key, reason: step.outcome.reason }, 'load balancer pending');
      this.pending.add(key);
    } else {
      this.pending.delete(key);
    }
    if (step.released !== undefined) {
      this.log.info({ service: key, ip: step.released }, 'load balancer address released');
      for (const waiting of this.pending) if (waiting !== key) this.queue.add(waiting);
    }
    this.report();

    if (!svc || step.ingress === undefined) return;
    const loadBalancer = step.ingress.length > 0 ? { ingress: step.ingress } : {};
    await this.ctx.client.updateStatus('services', { ...svc, status: { ...svc.status, loadBalancer } });
    this.statusWrites.inc();
    switch (step.outcome.kind) {
      case 'assigned':
        this.log.info({ service: key, ip: step.outcome.ip }, 'load balancer address assigned');
        break;
      case 'pending':
      case 'not-ours':
        this.log.info({ service: key }, 'load balancer status cleared');
        break;
      default:
        assertNever(step.outcome, 'load balancer outcome');
    }
  }

  private report(): void {
    this.allocated.set(this.allocator.allocated);
    this.pendingGauge.set(this.pending.size);
  }
}
