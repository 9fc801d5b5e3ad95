import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isApiError, Reason, type KubeClient } from '@kemu/api';
import { ControlPlane, dig, eventually, rdata, TestDns, TestNode, TOKENS } from '../harness/index.js';

// Two dns replicas behind the kube-dns Service, reached through a node agent's forwarder
// at the tenth service IP: a replica killed with -9 leaves the endpoints when its Lease
// expires, one stopped with SIGTERM leaves at once, and lookups through the ClusterIP keep
// working throughout (dig retries a lost datagram, as resolvers do).
const BLOCK = '127.42.2';
const KUBE_DNS = '127.146.0.10';

describe('kube-dns: two dns replicas, kill -9 and SIGTERM', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let node: TestNode;
  const dir = mkdtempSync(join(tmpdir(), 'kemu-dns-replicas-'));
  const replica = (i: number): TestDns =>
    new TestDns({ name: `dns-${i}`, apiservers: cp.apiserverEndpoints(), token: TOKENS.admin, host: `${BLOCK}.${53 + i}`, port: 1053, opsPort: 9153, dir });
  const dns: TestDns[] = [];

  const endpoints = async (): Promise<string[]> => {
    const slices = await client.list('endpointslices', { namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' });
    return slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? [])).sort();
  };
  const viaClusterIP = async (): Promise<string[]> => rdata((await dig(KUBE_DNS, 53, 'kubernetes.default.svc.cluster.local', 'A', ['+tries=3', '+time=1'])).answer, 'A');

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: BLOCK, controllerManagers: 0, apiserverArgs: ['--service-cluster-ip-range', '127.146.0.0/24'] });
    client = cp.client();
    dns.push(replica(0).start(), replica(1).start());
    node = new TestNode({ name: 'node-1', nodeIP: `${BLOCK}.101`, zone: 'zone-a', podCIDR: '127.147.1.0/24', apiservers: cp.apiserverEndpoints(), token: TOKENS.node, dir }).start();
    await Promise.all([...dns.map((d) => d.process.waitReady()), node.process.waitReady()]);
  });
  after(async () => {
    await Promise.all(dns.map((d) => d.process.signal('SIGTERM')));
    await node?.destroy();
    client?.close();
    await cp?.destroy();
  });

  test('both replicas are endpoints of kube-dns, and the ClusterIP answers through the node forwarder', async () => {
    assert.equal((await eventually(() => client.get('services', 'kube-system', 'kube-dns'), 10_000)).spec?.clusterIP, KUBE_DNS);
    await eventually(async () => assert.deepEqual(await endpoints(), [`${BLOCK}.53`, `${BLOCK}.54`]), 10_000);
    const ip = (await client.get('services', 'default', 'kubernetes')).spec?.clusterIP ?? '';
    await eventually(async () => assert.deepEqual(await viaClusterIP(), [ip]), 10_000);
    const tcp = await dig(KUBE_DNS, 53, 'kubernetes.default.svc.cluster.local', 'A', ['+tcp']);
    assert.deepEqual(rdata(tcp.answer, 'A'), [ip]);
  });

  test('kill -9 of a replica: it leaves the endpoints when its Lease runs out; lookups keep working', async () => {
    await dns[0]!.process.kill();
    // Its last renewal (a write already on its way could still land: that only moves the
    // expiry later than this reading says, never earlier).
    const lease = await client.get('leases', 'kube-system', `kube-dns-${BLOCK.replaceAll('.', '-')}-53-1053`);
    const expires = Date.parse(lease.spec?.renewTime ?? '') + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    assert.ok(Number.isFinite(expires), `a renewed Lease: ${JSON.stringify(lease.spec)}`);
    await eventually(async () => assert.deepEqual(await endpoints(), [`${BLOCK}.54`]), 20_000, 200);
    // Lease 4 s, looked at every 1.3 s by the survivor: the address leaves once the Lease has
    // run out, not at the kill. (Measured from the renewal, not the kill: a starved machine
    // renews late, and a CI run killed a replica whose Lease had 1.1 s left.)
    const goneAt = Date.now();
    assert.ok(goneAt >= expires, `left ${expires - goneAt} ms before its Lease ran out (renewed ${lease.spec?.renewTime ?? ''})`);
    for (let i = 0; i < 20; i++) assert.equal((await viaClusterIP()).length, 1);
  });

  test('a replica back from kill -9 rejoins; one stopped with SIGTERM leaves at once', async () => {
    dns[0]!.process.start();
    await dns[0]!.process.waitReady();
    await eventually(async () => assert.deepEqual(await endpoints(), [`${BLOCK}.53`, `${BLOCK}.54`]), 10_000, 200);
    const lease = `kube-dns-${BLOCK.replaceAll('.', '-')}-54-1053`;
    assert.equal((await client.get('leases', 'kube-system', lease)).spec?.holderIdentity, `${BLOCK}.54:1053`);
    await dns[1]!.process.signal('SIGTERM');
    await eventually(async () => assert.deepEqual(await endpoints(), [`${BLOCK}.53`]), 10_000, 100);
    // It left by deleting its Lease on the way out, not by letting it expire (the Lease of
    // the replica killed with -9 above stayed behind, expired, until it came back).
    await assert.rejects(client.get('leases', 'kube-system', lease), (err: unknown) => isApiError(err, Reason.NotFound));
    for (let i = 0; i < 20; i++) assert.equal((await viaClusterIP()).length, 1);
  });
});
