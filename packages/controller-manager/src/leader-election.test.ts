import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, type KubeClient, type Lease, type ResourceName, type ResourceTypes } from '@kemu/api';
import { createLogger } from '@kemu/common';
import {
  decideLease,
  expireLeadership,
  LeaderElectionConfigError,
  LeaderElector,
  nextLeadership,
  releaseLease,
  validateTimings,
  type Leadership,
  type LeaseRequest,
} from './leader-election.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const req = (identity: string, now: number): LeaseRequest => ({
  namespace: 'kube-system',
  name: 'kube-controller-manager',
  identity,
  leaseDurationMs: 15_000,
  now,
});
const held = (holder: string, renewedAt: number, transitions = 3): Lease => ({
  metadata: { namespace: 'kube-system', name: 'kube-controller-manager', resourceVersion: '42' },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: iso(T0 - 60_000), renewTime: iso(renewedAt), leaseTransitions: transitions },
});

describe('decideLease', () => {
  test('an absent lease is created, held by the candidate', () => {
    const d = decideLease(undefined, req('a', T0));
    assert.equal(d.kind, 'create');
    assert.deepEqual(d.kind === 'create' && d.lease.spec, {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: iso(T0),
      renewTime: iso(T0),
      leaseTransitions: 0,
    });
    assert.deepEqual(d.kind === 'create' && d.lease.metadata, { namespace: 'kube-system', name: 'kube-controller-manager' });
  });

  test('a live lease held by another is respected, up to and including its expiry instant', () => {
    assert.deepEqual(decideLease(held('b', T0), req('a', T0 + 1_000)), { kind: 'wait', holder: 'b', expiresAt: T0 + 15_000 });
    assert.equal(decideLease(held('b', T0), req('a', T0 + 15_000)).kind, 'wait');
  });

  test('an expired lease is taken over: new acquireTime, one more transition, same resourceVersion', () => {
    const d = decideLease(held('b', T0), req('a', T0 + 15_001));
    assert.equal(d.kind, 'acquire');
    if (d.kind !== 'acquire') return;
    assert.equal(d.previousHolder, 'b');
    assert.equal(d.lease.metadata?.resourceVersion, '42', 'the update is conditional on what was read');
    assert.deepEqual(d.lease.spec, {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: iso(T0 + 15_001),
      renewTime: iso(T0 + 15_001),
      leaseTransitions: 4,
    });
  });

  test('a released lease (no holder) is free at once', () => {
    const released = releaseLease(held('b', T0), 'b', T0 + 1_000);
    assert.ok(released);
    assert.equal(released.spec?.holderIdentity, '');
    assert.equal(released.spec?.leaseDurationSeconds, 1);
    const d = decideLease(released, req('a', T0 + 1_001));
    assert.equal(d.kind, 'acquire');
    assert.equal(d.kind === 'acquire' && d.lease.spec?.leaseTransitions, 4);
  });

  test('only the holder releases', () => {
    assert.equal(releaseLease(held('b', T0), 'a', T0), undefined);
  });

  test('the holder renews: renewTime moves, acquireTime and transitions stay', () => {
    const d = decideLease(held('a', T0), req('a', T0 + 2_000));
    assert.equal(d.kind, 'renew');
    assert.deepEqual(d.kind === 'renew' && d.lease.spec, {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: iso(T0 - 60_000),
      renewTime: iso(T0 + 2_000),
      leaseTransitions: 3,
    });
  });

  test('a lease that was never renewed is free', () => {
    assert.equal(decideLease({ metadata: {}, spec: { holderIdentity: 'b' } }, req('a', T0)).kind, 'acquire');
  });
});

describe('leadership', () => {
  const DEADLINE = 10_000;
  const leader: Leadership = { role: 'leader', lastRenewAt: T0 };

  test('a candidate leads once it acquires; a lost race or a live holder keeps it a candidate', () => {
    const cand: Leadership = { role: 'candidate' };
    assert.deepEqual(nextLeadership(cand, 'acquired', T0, T0 + 5, DEADLINE), { state: leader, event: 'started-leading' });
    assert.deepEqual(nextLeadership(cand, 'renewed', T0, T0 + 5, DEADLINE), { state: leader, event: 'started-leading' });
    assert.deepEqual(nextLeadership(cand, 'failed', T0, T0 + 5, DEADLINE), { state: cand });
    assert.deepEqual(nextLeadership(cand, 'held-by-other', T0, T0 + 5, DEADLINE), { state: cand });
  });

  test('a leader that cannot renew keeps leading until the renew deadline, then stops', () => {
    let s: Leadership = leader;
    for (let t = T0 + 2_000; t < T0 + DEADLINE; t += 2_000) {
      const r = nextLeadership(s, 'failed', t, t + 100, DEADLINE);
      assert.equal(r.event, undefined, `still leading at +${t - T0} ms`);
      s = r.state;
    }
    assert.deepEqual(nextLeadership(s, 'failed', T0 + 9_000, T0 + DEADLINE, DEADLINE), { state: { role: 'stopped' }, event: 'stopped-leading' });
  });

  test('the deadline counts from when the last successful renewal was sent', () => {
    const renewed = nextLeadership(leader, 'renewed', T0 + 4_000, T0 + 9_000, DEADLINE).state;
    assert.deepEqual(renewed, { role: 'leader', lastRenewAt: T0 + 4_000 });
    assert.equal(expireLeadership(renewed, T0 + 13_999, DEADLINE).event, undefined);
    assert.equal(expireLeadership(renewed, T0 + 14_000, DEADLINE).event, 'stopped-leading');
  });

  test('a leader that finds another holder stops at once; stopped is final', () => {
    assert.deepEqual(nextLeadership(leader, 'held-by-other', T0 + 1, T0 + 2, DEADLINE), { state: { role: 'stopped' }, event: 'stopped-leading' });
    assert.deepEqual(nextLeadership({ role: 'stopped' }, 'acquired', T0, T0, DEADLINE), { state: { role: 'stopped' } });
  });

  test('timings are checked as client-go checks them', () => {
    validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    assert.throws(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), LeaderElectionConfigError);
    assert.throws(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }), /retry period/);
    assert.throws(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }), /greater than zero/);
  });
});

/** One Lease kept the way the apiserver keeps it: resourceVersion checked on update. */
class LeaseStore implements Pick<KubeClient, 'get' | 'create' | 'update'> {
  lease: Lease | undefined;
  down = false;
  private rv = 0;

  async get<R extends ResourceName>(_resource: R, _namespace: string, name: string): Promise<ResourceTypes[R]> {
    if (this.down) throw errors.unavailable('apiserver unavailable');
    if (!this.lease) throw errors.notFound({ resource: 'leases', group: 'coordination.k8s.io', name });
    return structuredClone(this.lease);
  }

  async create<R extends ResourceName>(_resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    if (this.down) throw errors.unavailable('apiserver unavailable');
    if (this.lease) throw errors.alreadyExists({ resource: 'leases', name: obj.metadata?.name ?? '' });
    return this.store(obj as Lease);
  }

  async update<R extends ResourceName>(_resource: R, obj: ResourceTypes[R]): Promise<ResourceTypes[R]> {
    if (this.down) throw errors.unavailable('apiserver unavailable');
    if (obj.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw errors.conflict({ resource: 'leases', name: obj.metadata?.name ?? '' });
    return this.store(obj as Lease);
  }

  private store(l: Lease): Lease {
    this.lease = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3_000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe('LeaderElector', () => {
  const log = createLogger('test', {});
  log.level = 'silent';
  const elector = (store: LeaseStore, identity: string, events: string[], leaseDurationMs = 600): LeaderElector =>
    new LeaderElector({
      client: store,
      log,
      identity,
      leaseDurationMs,
      renewDeadlineMs: 300,
      retryPeriodMs: 40,
      onStartedLeading: () => events.push(`${identity} started`),
      onStoppedLeading: () => events.push(`${identity} stopped`),
    });

  test('of two candidates exactly one leads; a released lease passes to the standby long before it would expire', async () => {
    const store = new LeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events, 30_000);
    const b = elector(store, 'b', events, 30_000);
    a.run();
    b.run();
    await waitFor('a leader', () => a.isLeader() || b.isLeader());
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1);
    const [first, second] = a.isLeader() ? [a, b] : [b, a];
    assert.equal(store.lease?.spec?.holderIdentity, first.identity);
    assert.equal(second.leader(), first.identity, 'the standby sees who leads');

    await first.stop({ release: true });
    const took = await waitFor('the standby to lead', () => second.isLeader());
    assert.ok(took < 5_000, `took ${took} ms`);
    assert.equal(store.lease?.spec?.holderIdentity, second.identity);
    assert.equal(store.lease?.spec?.leaseTransitions, 1);
    assert.deepEqual(events, [`${first.identity} started`, `${second.identity} started`], 'a graceful stop is not a lost election');
    await second.stop();
  });

  test('a leader that cannot reach the apiserver stops leading by the renew deadline', async () => {
    const store = new LeaseStore();
    const events: string[] = [];
    // Renew deadline 300 ms; the lease is long enough that a starved test machine cannot
    // make a correct elector look late.
    const a = elector(store, 'a', events, 3_000);
    a.run();
    await waitFor('a to lead', () => a.isLeader());
    store.down = true;
    const took = await waitFor('a to stop', () => events.includes('a stopped'));
    assert.ok(took < 3_000, `stopped after ${took} ms, before the 3,000 ms lease could pass to anyone`);
    assert.equal(a.isLeader(), false);
    await a.stop();
  });
});
