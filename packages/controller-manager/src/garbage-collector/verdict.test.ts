import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ObjectMeta } from '@kemu/api';
import { ownerStateFrom, type OwnerState, type OwnerTarget } from './owners.js';
import { judgeDependent } from './verdict.js';

/** A world of objects by "<resource>/<namespace>/<name>" -> uid, seen by the cache and by the apiserver. */
class World {
  readonly cache = new Map<string, string>();
  readonly server = new Map<string, string>();
  readonly liveCalls: string[] = [];

  put(where: 'cache' | 'server' | 'both', key: string, uid: string): this {
    if (where !== 'server') this.cache.set(key, uid);
    if (where !== 'cache') this.server.set(key, uid);
    return this;
  }

  judge(meta: ObjectMeta): Promise<'keep' | 'delete'> {
    const key = (t: OwnerTarget): string => `${t.resource}/${t.namespace}/${t.name}`;
    const state = (m: Map<string, string>, t: OwnerTarget): OwnerState => {
      const uid = m.get(key(t));
      return ownerStateFrom(uid === undefined ? undefined : { metadata: { uid } }, t);
    };
    return judgeDependent(
      meta,
      (t) => state(this.cache, t),
      async (t) => {
        this.liveCalls.push(key(t));
        return state(this.server, t);
      },
    );
  }
}

const pod = (...owners: { kind: string; apiVersion: string; name: string; uid: string }[]): ObjectMeta => ({
  name: 'web-abc',
  namespace: 'default',
  uid: 'pod-uid',
  ownerReferences: owners.map((o) => ({ ...o, controller: true })),
});
const rsRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1' };

describe('judgeDependent', () => {
  test('an object without owners is never garbage', async () => {
    const w = new World();
    assert.equal(await w.judge({ name: 'x', namespace: 'default', uid: 'u' }), 'keep');
    assert.deepEqual(w.liveCalls, []);
  });

  test('an owner present in the cache with the same uid keeps it, without asking the apiserver', async () => {
    const w = new World().put('both', 'replicasets/default/web', 'rs-1');
    assert.equal(await w.judge(pod(rsRef)), 'keep');
    assert.deepEqual(w.liveCalls, []);
  });

  test('an owner gone from cache and apiserver makes it garbage', async () => {
    const w = new World();
    assert.equal(await w.judge(pod(rsRef)), 'delete');
    assert.deepEqual(w.liveCalls, ['replicasets/default/web']);
  });

  test('an owner the cache has not seen yet but the apiserver has keeps it (the virtual-item check)', async () => {
    const w = new World().put('server', 'replicasets/default/web', 'rs-1');
    assert.equal(await w.judge(pod(rsRef)), 'keep');
  });

  test('an owner replaced by a namesake with another uid counts as gone', async () => {
    const w = new World().put('both', 'replicasets/default/web', 'rs-2');
    assert.equal(await w.judge(pod(rsRef)), 'delete');
  });

  test('a stale namesake in the cache is not enough: the apiserver has the real owner', async () => {
    const w = new World().put('cache', 'replicasets/default/web', 'rs-0').put('server', 'replicasets/default/web', 'rs-1');
    assert.equal(await w.judge(pod(rsRef)), 'keep');
  });

  test('with several owners, one surviving owner keeps it', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-1' };
    const w = new World().put('both', 'services/default/web', 'svc-1');
    assert.equal(await w.judge(pod(rsRef, svc)), 'keep');
    w.server.delete('services/default/web');
    w.cache.delete('services/default/web');
    assert.equal(await w.judge(pod(rsRef, svc)), 'delete');
  });

  test('an owner of a kind kemu does not serve can never be proven absent', async () => {
    const w = new World();
    assert.equal(await w.judge(pod({ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'job-1' })), 'keep');
    // The group matters: apps/v1 Service is not core/v1 Service.
    assert.equal(await w.judge(pod({ apiVersion: 'apps/v1', kind: 'Service', name: 'web', uid: 'x' })), 'keep');
    assert.deepEqual(w.liveCalls, []);
  });

  test('owners are looked up in the dependent namespace, cluster-scoped ones in none', async () => {
    const w = new World();
    await w.judge(pod({ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-1' }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'd-1' }));
    assert.deepEqual(w.liveCalls, ['nodes//n1', 'deployments/default/d']);
  });

  test('objects already being deleted are left alone', async () => {
    const w = new World();
    assert.equal(await w.judge({ ...pod(rsRef), deletionTimestamp: '2024-01-01T00:00:00Z' }), 'keep');
  });
});
