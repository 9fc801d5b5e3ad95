import { objectKey, type core, type Service } from '@kemu/api';
import type { IpAllocator } from './ip-allocator.js';

type LoadBalancerIngress = core.LoadBalancerIngress;

/** Why a LoadBalancer Service has no address. */
export const PendingReason = {
  /** No pool is configured: Services stay pending, as on a local cluster without a load balancer. */
  NoPool: 'NoPool',
  PoolExhausted: 'PoolExhausted',
  RequestedIPNotInPool: 'RequestedIPNotInPool',
  RequestedIPInUse: 'RequestedIPInUse',
} as const;
export type PendingReason = (typeof PendingReason)[keyof typeof PendingReason];

export type LoadBalancerOutcome =
  | { readonly kind: 'assigned'; readonly ip: string }
  | { readonly kind: 'pending'; readonly reason: PendingReason }
  /** Gone, being deleted, not of type LoadBalancer, or left to another implementation (loadBalancerClass). */
  | { readonly kind: 'not-ours' };

export interface LoadBalancerStep {
  readonly outcome: LoadBalancerOutcome;
  /** What to write to status.loadBalancer.ingress ([] clears it); undefined when the status is already right. */
  readonly ingress: LoadBalancerIngress[] | undefined;
  /** The address given up in this step, which a pending Service may now get. */
  readonly released: string | undefined;
}

/** A Service this emulated cloud provider serves: type LoadBalancer, no loadBalancerClass, not being deleted. */
export function wantsLoadBalancer(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass && !svc.metadata?.deletionTimestamp;
}

/**
 * The LoadBalancer reconcile step for the Service `key`: moves the allocator (this
 * core's state) to what the Service needs and says what its status should show.
 *
 * Contracts:
 * - A Service keeps its address for as long as it wants one; a new one gets, in order:
 *   its spec.loadBalancerIP, else the address its status already records (adopted after
 *   a restart, if still free), else the lowest free address of the pool.
 * - A requested spec.loadBalancerIP is all or nothing: outside the pool or held by
 *   another Service, the Service stays pending without an address (as cloud providers
 *   fail such requests) rather than get a different one.
 * - A Service that stops wanting an address releases it; one that is no longer of type
 *   LoadBalancer has its ingress cleared. Services with a loadBalancerClass belong to
 *   another implementation: their status is never written.
 */
export function reconcileLoadBalancer(key: string, svc: Service | undefined, allocator: IpAllocator): LoadBalancerStep {
  if (!svc || !wantsLoadBalancer(svc)) {
    const released = allocator.release(key);
    const clear = !!svc && !svc.metadata?.deletionTimestamp && svc.spec?.type !== 'LoadBalancer' && currentIngress(svc).length > 0;
    return { outcome: { kind: 'not-ours' }, ingress: clear ? [] : undefined, released };
  }

  const held = allocator.ipOf(key);
  const outcome = assign(key, svc, allocator, held);
  const ip = outcome.kind === 'assigned' ? outcome.ip : undefined;
  const released = held !== undefined && held !== ip ? held : undefined;
  const desired: LoadBalancerIngress[] = ip ? [{ ip, ipMode: 'VIP' }] : [];
  return { outcome, ingress: ingressEqual(currentIngress(svc), desired) ? undefined : desired, released };
}

function assign(key: string, svc: Service, allocator: IpAllocator, held: string | undefined): LoadBalancerOutcome {
  if (allocator.pool.size === 0) return { kind: 'pending', reason: PendingReason.NoPool };
  const requested = svc.spec?.loadBalancerIP?.trim() ?? '';
  if (requested) {
    if (allocator.claim(key, requested)) return { kind: 'assigned', ip: requested };
    allocator.release(key);
    const reason = allocator.pool.contains(requested) ? PendingReason.RequestedIPInUse : PendingReason.RequestedIPNotInPool;
    return { kind: 'pending', reason };
  }
  if (held !== undefined) return { kind: 'assigned', ip: held };
  for (const { ip } of currentIngress(svc)) {
    if (ip && allocator.claim(key, ip)) return { kind: 'assigned', ip };
  }
  const ip = allocator.allocate(key);
  return ip ? { kind: 'assigned', ip } : { kind: 'pending', reason: PendingReason.PoolExhausted };
}

/**
 * Rebuilds the allocator from the addresses Services' status records (the informer
 * cache when this replica starts leading). Where two Services record the same address,
 * the older one keeps it; the keys of the others are returned (they get a new address
 * when reconciled).
 */
export function adoptRecordedAddresses(allocator: IpAllocator, services: readonly Service[]): string[] {
  const ordered = services
    .filter(wantsLoadBalancer)
    .map((svc) => ({ svc, key: objectKey(svc.metadata), created: svc.metadata?.creationTimestamp ?? '' }))
    .sort((a, b) => cmp(a.created, b.created) || cmp(a.key, b.key));
  const conflicts: string[] = [];
  for (const { svc, key } of ordered) {
    const recorded = currentIngress(svc)
      .map((i) => i.ip ?? '')
      .filter((ip) => allocator.pool.contains(ip));
    if (recorded.length === 0) continue;
    if (!recorded.some((ip) => allocator.claim(key, ip))) conflicts.push(key);
  }
  return conflicts;
}

function currentIngress(svc: Service): LoadBalancerIngress[] {
  return svc.status?.loadBalancer?.ingress ?? [];
}

function ingressEqual(a: readonly LoadBalancerIngress[], b: readonly LoadBalancerIngress[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      return (
        y !== undefined &&
        (x.ip ?? '') === (y.ip ?? '') &&
        (x.hostname ?? '') === (y.hostname ?? '') &&
        (x.ipMode ?? '') === (y.ipMode ?? '') &&
        (x.ports ?? []).length === (y.ports ?? []).length
      );
    })
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
