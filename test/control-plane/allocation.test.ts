import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeClient, Service } from '@kemu/api';
import { ControlPlane, KvClient } from '../harness/index.js';

// ClusterIPs and node ports are claimed in etcd in the same Txn as the Service, so two
// apiservers creating at once never hand out one value twice, and a restart forgets nothing.
describe('ClusterIP and NodePort allocation across two apiservers', () => {
  let cp: ControlPlane;
  let a: KubeClient;
  let b: KubeClient;

  before(async () => {
    cp = await ControlPlane.start({
      ipPrefix: '127.30.2',
      apiservers: 2,
      controllerManagers: 0,
      // A small range makes collisions between the two apiservers likely.
      apiserverArgs: ['--service-cluster-ip-range', '127.96.0.0/23', '--service-node-port-range', '30000-30399'],
    });
    // 200 creates at once queue behind each other on a loaded machine: this suite is about
    // uniqueness, so it allows them a long deadline.
    a = cp.client(undefined, [cp.apiserverAddr(0)], 60_000);
    b = cp.client(undefined, [cp.apiserverAddr(1)], 60_000);
  });
  after(async () => {
    a?.close();
    b?.close();
    await cp?.destroy();
  });

  const make = (i: number): Service => ({
    metadata: { name: `s-${i}`, namespace: 'default' },
    spec: { type: i % 2 ? 'NodePort' : 'ClusterIP', selector: { app: `a${i}` }, ports: [{ port: 80 }] },
  });

  test('200 concurrent creates split across two apiservers never share an IP or a node port', async () => {
    const created = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).create('services', make(i))));
    const ips = created.map((s) => s.spec?.clusterIP);
    assert.equal(new Set(ips).size, 200, 'ClusterIPs unique');
    assert.ok(!ips.includes('127.96.0.1'), 'the kubernetes Service keeps the first IP');
    const ports = created.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort).filter((p) => p));
    assert.equal(ports.length, 100);
    assert.equal(new Set(ports).size, 100, 'node ports unique');
    const kv = new KvClient(cp.etcd.endpoints()[0]!);
    assert.equal((await kv.rangePrefix('/registry/ipaddresses/', { serializable: false })).count, 201n);
    assert.equal((await kv.rangePrefix('/registry/servicenodeports/', { serializable: false })).count, 100n);
  });

  test('after kill -9 and restart of an apiserver, allocation still avoids every taken value', async () => {
    await cp.apiservers[0]!.kill();
    cp.apiservers[0]!.start();
    await cp.apiservers[0]!.waitReady();
    const more = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).create('services', make(200 + i))));
    const all = await a.list('services', { namespace: 'default' });
    const ips = all.items.map((s) => s.spec?.clusterIP);
    assert.equal(new Set(ips).size, ips.length);
    const ports = all.items.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort).filter((p) => p));
    assert.equal(new Set(ports).size, ports.length);
    assert.equal(more.length, 40);
  });

  test('deleting Services releases their IPs and ports', async () => {
    const all = await a.list('services', { namespace: 'default' });
    const ours = all.items.filter((s) => s.metadata?.name?.startsWith('s-'));
    await Promise.all(ours.map((s, i) => (i % 2 ? a : b).delete('services', 'default', s.metadata?.name ?? '')));
    const kv = new KvClient(cp.etcd.endpoints()[2]!);
    assert.equal((await kv.rangePrefix('/registry/ipaddresses/', { serializable: false })).count, 1n);
    assert.equal((await kv.rangePrefix('/registry/servicenodeports/', { serializable: false })).count, 0n);
    const again = await a.create('services', { ...make(999), spec: { type: 'NodePort', ports: [{ port: 80, nodePort: ours.find((s) => s.spec?.type === 'NodePort')?.spec?.ports?.[0]?.nodePort ?? 0 }] } });
    assert.ok(again.spec?.ports?.[0]?.nodePort, 'a released port can be asked for again');
  });
});
