import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isApiError, KubeClient, Reason, type Service, type WatchEvent } from '@kemu/api';
import { ControlPlane, eventually, KvClient } from '../harness/index.js';

// The apiserver alone against real etcd members: storage, conflicts, list/watch, auth.
describe('apiserver', () => {
  let cp: ControlPlane;
  let client: KubeClient;

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: '127.30.4', apiservers: 1, controllerManagers: 0 });
    client = cp.client();
  });
  after(async () => {
    client?.close();
    await cp?.destroy();
  });

  test('objects are JSON under /registry and resourceVersion is the mod_revision', async () => {
    const svc = await client.create('services', {
      metadata: { name: 'stored', namespace: 'default' },
      spec: { selector: { app: 'x' }, ports: [{ port: 80 }] },
    });
    const kv = new KvClient(cp.etcd.endpoints()[0]!);
    const got = await kv.get('/registry/services/specs/default/stored');
    assert.ok(got.value, 'stored in etcd under the Kubernetes key');
    const stored = JSON.parse(got.value) as Service;
    assert.equal(stored.metadata?.uid, svc.metadata?.uid);
    assert.equal(svc.metadata?.resourceVersion, String(got.modRevision));
    assert.equal(stored.spec?.ports?.[0]?.targetPort, 80, 'defaulted targetPort');
    assert.match(svc.spec?.clusterIP ?? '', /^127\.96\./);
    assert.ok((await kv.get(`/registry/ipaddresses/${svc.spec?.clusterIP}`)).value, 'ClusterIP claimed in etcd');
  });

  test('create twice is AlreadyExists; a stale update is a Conflict', async () => {
    const obj = { metadata: { name: 'cfg', namespace: 'default' }, spec: { selector: { a: 'b' }, ports: [{ port: 81 }] } };
    const first = await client.create('services', obj);
    await assert.rejects(client.create('services', obj), (e) => isApiError(e, Reason.AlreadyExists) && e.message === 'services "cfg" already exists');
    const updated = await client.update('services', { ...first, metadata: { ...first.metadata, labels: { v: '2' } } });
    assert.notEqual(updated.metadata?.resourceVersion, first.metadata?.resourceVersion);
    await assert.rejects(
      client.update('services', { ...first, metadata: { ...first.metadata, labels: { v: '3' } } }),
      (e) => isApiError(e, Reason.Conflict) && /the object has been modified/.test(e.message),
    );
  });

  test('ClusterIP is immutable and released on delete', async () => {
    const svc = await client.create('services', { metadata: { name: 'imm', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await assert.rejects(
      client.patch('services', 'default', 'imm', { spec: { clusterIP: '127.96.200.200', clusterIPs: ['127.96.200.200'] } }),
      (e) => isApiError(e, Reason.Invalid) && /spec\.clusterIPs\[0\]: Invalid value: .*may not change once set/.test(e.message),
    );
    await client.delete('services', 'default', 'imm');
    const kv = new KvClient(cp.etcd.endpoints()[1]!);
    assert.equal((await kv.get(`/registry/ipaddresses/${svc.spec?.clusterIP}`)).value, null);
  });

  test('list with label selector, limit and continue', async () => {
    for (let i = 0; i < 7; i++) {
      await client.create('services', { metadata: { name: `page-${i}`, namespace: 'default', labels: { group: 'paging', odd: String(i % 2) } }, spec: { ports: [{ port: 80 }] } });
    }
    const all = await client.list('services', { namespace: 'default', labelSelector: 'group=paging' });
    assert.equal(all.items.length, 7);
    const odd = await client.list('services', { labelSelector: 'group=paging,odd in (1)' });
    assert.deepEqual(odd.items.map((s) => s.metadata?.name), ['page-1', 'page-3', 'page-5']);
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const page = await client.list('services', { namespace: 'default', labelSelector: 'group=paging', limit: 3, continue: cont });
      names.push(...page.items.map((s) => s.metadata?.name ?? ''));
      cont = page.continue;
      pages++;
    } while (cont);
    assert.deepEqual(names, all.items.map((s) => s.metadata?.name));
    assert.ok(pages >= 3);
  });

  test('watch from a resourceVersion replays what followed it; too old is 410 Expired', async () => {
    const start = await client.list('services', { namespace: 'default' });
    await client.create('services', { metadata: { name: 'w1', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await client.patch('services', 'default', 'w1', { metadata: { labels: { x: 'y' } } });
    await client.delete('services', 'default', 'w1');
    const events: WatchEvent<Service>[] = [];
    const w = client.watch('services', { namespace: 'default', resourceVersion: start.resourceVersion }, (e) => events.push(e));
    await eventually(() => assert.deepEqual(events.map((e) => `${e.type} ${e.type === 'ERROR' ? '' : e.object.metadata?.name}`), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']));
    w.close();
    // A restarted apiserver's cache starts at the current revision: older versions are gone.
    await cp.apiservers[0]!.kill();
    cp.apiservers[0]!.start();
    await cp.apiservers[0]!.waitReady();
    const errs: WatchEvent<Service>[] = [];
    const old = client.watch('services', { resourceVersion: start.resourceVersion }, (e) => errs.push(e));
    await eventually(() => {
      const e = errs[0];
      assert.ok(e && e.type === 'ERROR', JSON.stringify(errs[0]));
      assert.equal(e.status.code, 410);
      assert.equal(e.status.reason, 'Expired');
      assert.match(e.status.message ?? '', new RegExp(`^too old resource version: ${start.resourceVersion} \\(\\d+\\)$`));
    });
    old.close();
  });

  test('requests without a valid token are refused', async () => {
    const anon = new KubeClient({ endpoints: cp.apiserverEndpoints(), token: 'wrong' });
    try {
      await assert.rejects(anon.list('services', {}), (e) => isApiError(e, Reason.Unauthorized) && e.code === 401);
    } finally {
      anon.close();
    }
  });

  test('the kubernetes Service has the first IP, port 443, and Endpoints listing the apiserver', async () => {
    const svc = await client.get('services', 'default', 'kubernetes');
    assert.equal(svc.spec?.clusterIP, '127.96.0.1');
    assert.equal(svc.spec?.ports?.[0]?.port, 443);
    await eventually(async () => {
      const ep = await client.get('endpoints', 'default', 'kubernetes');
      assert.deepEqual(ep.subsets?.[0]?.addresses?.map((a) => a.ip), ['127.30.4.11']);
      assert.equal(ep.subsets?.[0]?.ports?.[0]?.port, 6443);
    });
  });

  test('graceful pod delete sets deletionTimestamp; grace 0 removes it', async () => {
    await client.create('pods', {
      metadata: { name: 'p', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const marked = await client.delete('pods', 'default', 'p');
    assert.ok(marked.metadata?.deletionTimestamp);
    assert.equal(marked.metadata?.deletionGracePeriodSeconds, 30);
    assert.ok(await client.get('pods', 'default', 'p'));
    await client.delete('pods', 'default', 'p', { gracePeriodSeconds: 0 });
    await assert.rejects(client.get('pods', 'default', 'p'), (e) => isApiError(e, Reason.NotFound) && e.message === 'pods "p" not found');
  });
});

