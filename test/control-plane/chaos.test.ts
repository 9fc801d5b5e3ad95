import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeClient } from '@kemu/api';
import { ControlPlane, eventually, FakeNodeAgent, readyPodIPs, sliceAddresses, TOKENS } from '../harness/index.js';

const NS = 'default';

// kill -9 of an apiserver, of the active controller-manager and of the etcd leader in the
// middle of the user's sequence: every time, the system converges to slices that hold
// exactly the ready pods, and the Service keeps its ClusterIP.
describe('the control plane converges after kill -9 of any one process', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const nodes: FakeNodeAgent[] = [];
  let clusterIP = '';

  before(async () => {
    cp = await ControlPlane.start({
      ipPrefix: '127.30.1',
      apiservers: 2,
      controllerManagers: 2,
      controllerManagerArgs: [
        '--leader-elect-lease-duration', '3s',
        '--leader-elect-renew-deadline', '2s',
        '--leader-elect-retry-period', '500ms',
      ],
    });
    client = cp.client();
    for (let i = 1; i <= 3; i++) {
      const n = new FakeNodeAgent(cp.client(TOKENS.node), { name: `node-${i}`, zone: `z${i}`, nodeIP: `127.30.1.${100 + i}`, podPrefix: `127.244.${i}` });
      await n.start();
      nodes.push(n);
    }
    await client.create('deployments', {
      metadata: { name: 'app', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'app' } },
        template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'c', image: 'kemu/echo' }] } },
      },
    });
    clusterIP = (await client.create('services', { metadata: { name: 'app', namespace: NS }, spec: { selector: { app: 'app' }, ports: [{ port: 80, targetPort: 8080 }] } })).spec?.clusterIP ?? '';
  });
  after(async () => {
    for (const n of nodes) n.stop();
    client?.close();
    await cp?.destroy();
  });

  const converged = (count: number): Promise<void> =>
    eventually(async () => {
      const ready = await readyPodIPs(client, NS, 'app=app');
      assert.equal(ready.length, count);
      assert.deepEqual((await sliceAddresses(client, NS, 'app')).ready, ready);
      assert.equal((await client.get('services', NS, 'app')).spec?.clusterIP, clusterIP);
    }, 90_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${cp.logs()}`);
    });

  test('starts converged', () => converged(3));

  test('kill -9 of an apiserver', async () => {
    await cp.apiservers[0]!.kill();
    await client.patch('deployments', NS, 'app', { spec: { replicas: 5 } });
    await converged(5);
    cp.apiservers[0]!.start();
    await cp.apiservers[0]!.waitReady();
  });

  test('kill -9 of the active controller-manager: the standby takes over', async () => {
    const leader = await cp.leaderIndex(client);
    await cp.controllerManagers[leader]!.kill();
    await client.patch('deployments', NS, 'app', { spec: { replicas: 2 } });
    await converged(2);
    assert.equal(await cp.leaderIndex(client), 1 - leader);
    cp.controllerManagers[leader]!.start();
  });

  test('kill -9 of the etcd leader', async () => {
    const leader = await cp.etcd.leader();
    await cp.etcd.kill(leader);
    const pods = await client.list('pods', { namespace: NS, labelSelector: 'app=app' });
    await client.delete('pods', NS, pods.items[0]!.metadata?.name ?? '');
    await client.patch('deployments', NS, 'app', { spec: { replicas: 4 } });
    await converged(4);
    cp.etcd.restart(leader);
    await cp.etcd.waitMemberReady(leader);
    await client.patch('deployments', NS, 'app', { spec: { replicas: 3 } });
    await converged(3);
  });
});
