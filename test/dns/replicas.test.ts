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
    const t0 = Date.now();
    await dns[0]!.process.kill();
    await eventually(async () => assert.deepEqual(await endpoints(), [`${BLOCK}.54`]), 20_000, 200);
    const took = Date.now() - t0;
    // Lease 4 s, renewed every 1.3 s by the survivor: gone after about 4-6 s, not at once.
    assert.ok(took >= 2_500, `left after ${took} ms: before its Lease could expire`);
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
