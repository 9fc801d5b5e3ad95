import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment, KubeClient, Service } from '@kemu/api';
import { ControlPlane, eventually, FakeNodeAgent, readyPodIPs, sliceAddresses, TOKENS } from '../harness/index.js';

const NS = 'default';
const SELECTOR = 'app=web';

// The path a user follows: a Deployment and a Service become EndpointSlices that track
// exactly the ready pods, through scaling, pod loss and node loss.
describe('Service endpoints follow the ready pods', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const nodes: FakeNodeAgent[] = [];
  let clusterIP = '';

  before(async () => {
    cp = await ControlPlane.start({
      ipPrefix: '127.30.0',
      apiservers: 1,
      controllerManagers: 1,
      // A grace period of 20 lease renewals (every 300 ms): late renewals on a starved machine do not make a node NotReady.
      controllerManagerArgs: ['--node-monitor-grace-period', '6s', '--pod-eviction-timeout', '6s', '--load-balancer-pool', '127.30.50.1-127.30.50.3'],
    });
    client = cp.client();
    for (let i = 1; i <= 3; i++) {
      const node = new FakeNodeAgent(cp.client(TOKENS.node), {
        name: `node-${i}`,
        zone: `zone-${String.fromCharCode(96 + i)}`,
        nodeIP: `127.30.0.${100 + i}`,
        podPrefix: `127.244.${i}`,
        renewMs: 300,
      });
      await node.start();
      nodes.push(node);
    }
  });
  after(async () => {
    for (const n of nodes) n.stop();
    client?.close();
    await cp?.destroy();
  });

  const expectEndpointsMatchReadyPods = (count: number): Promise<string[]> =>
    eventually(async () => {
      const ready = await readyPodIPs(client, NS, SELECTOR);
      assert.equal(ready.length, count, `ready pods: ${ready.join(' ')}`);
      const slices = await sliceAddresses(client, NS, 'web');
      assert.deepEqual(slices.ready, ready);
      // Terminating pods stay listed (ready=false, terminating=true) until they are gone.
      const existing = (await client.list('pods', { namespace: NS, labelSelector: SELECTOR })).items.map((p) => p.status?.podIP);
      for (const ip of slices.all) assert.ok(existing.includes(ip), `${ip} listed but no such pod`);
      const svc = await client.get('services', NS, 'web');
      assert.equal(svc.spec?.clusterIP, clusterIP, 'ClusterIP never changes');
      return ready;
    }, 30_000);

  test('a 3-replica Deployment and a Service: slices hold exactly the ready pods', async () => {
    const deploy: Deployment = {
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'kemu/echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
        },
      },
    };
    await client.create('deployments', deploy);
    const svc: Service = {
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    };
    clusterIP = (await client.create('services', svc)).spec?.clusterIP ?? '';
    assert.match(clusterIP, /^127\.96\./);
    await expectEndpointsMatchReadyPods(3);
    await eventually(async () => {
      const slices = await client.list('endpointslices', { namespace: NS, labelSelector: 'kubernetes.io/service-name=web' });
      const withEndpoints = slices.items.filter((s) => (s.endpoints ?? []).length > 0);
      assert.deepEqual(withEndpoints.map((s) => s.ports?.[0]?.port), [8080], 'named targetPort resolved to the container port');
      const zones = new Set(withEndpoints.flatMap((s) => (s.endpoints ?? []).map((e) => e.zone)));
      assert.equal(zones.size, 3, 'replicas spread across the three zones');
    });
  });

  test('scale to 5 and to 1: the endpoints follow', async () => {
    await client.patch('deployments', NS, 'web', { spec: { replicas: 5 } });
    await expectEndpointsMatchReadyPods(5);
    await client.patch('deployments', NS, 'web', { spec: { replicas: 1 } });
    await expectEndpointsMatchReadyPods(1);
  });

  test('a pod that stops being ready leaves the ready endpoints', async () => {
    await client.patch('deployments', NS, 'web', { spec: { replicas: 2 } });
    const [ip] = await expectEndpointsMatchReadyPods(2);
    const pods = await client.list('pods', { namespace: NS, labelSelector: SELECTOR });
    const pod = pods.items.find((p) => p.status?.podIP === ip)!;
    const node = nodes.find((n) => n.o.name === pod.spec?.nodeName)!;
    await node.setReady(NS, pod.metadata?.name ?? '', false);
    await eventually(async () => {
      const s = await sliceAddresses(client, NS, 'web');
      assert.ok(!s.ready.includes(ip!) && s.all.includes(ip!), 'not ready but still listed');
    });
    await node.setReady(NS, pod.metadata?.name ?? '', true);
    await expectEndpointsMatchReadyPods(2);
  });

  test('a deleted pod is replaced by one with a new IP', async () => {
    const before = await expectEndpointsMatchReadyPods(2);
    const pods = await client.list('pods', { namespace: NS, labelSelector: SELECTOR });
    const victim = pods.items.find((p) => p.status?.podIP === before[0])!;
    await client.delete('pods', NS, victim.metadata?.name ?? '');
    const afterIPs = await eventually(async () => {
      const now = await expectEndpointsMatchReadyPods(2);
      assert.ok(!now.includes(before[0]!), 'old IP gone');
      return now;
    });
    assert.ok(afterIPs.includes(before[1]!), 'the other pod stays');
  });

  test('a node whose lease stops goes NotReady; its pods are replaced after the eviction timeout', async () => {
    await client.patch('deployments', NS, 'web', { spec: { replicas: 3 } });
    await expectEndpointsMatchReadyPods(3);
    const pods = await client.list('pods', { namespace: NS, labelSelector: SELECTOR });
    const deadNode = nodes.find((n) => pods.items.some((p) => p.spec?.nodeName === n.o.name))!;
    const doomed = pods.items.filter((p) => p.spec?.nodeName === deadNode.o.name).map((p) => p.status?.podIP);
    deadNode.stop();
    await eventually(async () => {
      const node = await client.get('nodes', '', deadNode.o.name);
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'Unknown');
      assert.ok(node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable'));
      const s = await sliceAddresses(client, NS, 'web');
      for (const ip of doomed) assert.ok(!s.ready.includes(ip!), `${ip} no longer ready`);
    }, 20_000);
    await eventually(async () => {
      const ready = await expectEndpointsMatchReadyPods(3);
      for (const ip of doomed) assert.ok(!ready.includes(ip!));
      const live = await client.list('pods', { namespace: NS, labelSelector: SELECTOR });
      const placed = live.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec?.nodeName);
      assert.ok(!placed.includes(deadNode.o.name), `replacements avoid the dead node: ${placed.join(',')}`);
      // Evictions slow down when a zone counts as disrupted (a late renewal of another node
      // on a starved machine is enough), as the node lifecycle controller's rate limits say.
    }, 60_000);
  });

  test('a LoadBalancer Service gets node ports and an external IP from the pool', async () => {
    const lb = await client.create('services', {
      metadata: { name: 'web-lb', namespace: NS },
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const nodePort = lb.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    await eventually(async () => {
      const s = await client.get('services', NS, 'web-lb');
      assert.match(s.status?.loadBalancer?.ingress?.[0]?.ip ?? '', /^127\.30\.50\.[1-3]$/);
    });
  });

  test('deleting the Deployment removes its ReplicaSets and Pods; deleting the Service removes its slices', async () => {
    await client.delete('deployments', NS, 'web');
    await eventually(async () => {
      assert.equal((await client.list('replicasets', { namespace: NS, labelSelector: SELECTOR })).items.length, 0);
      const pods = await client.list('pods', { namespace: NS, labelSelector: SELECTOR });
      // Pods on the dead node stay Terminating (no kubelet to confirm), as in Kubernetes.
      assert.ok(pods.items.every((p) => p.metadata?.deletionTimestamp), pods.items.map((p) => p.metadata?.name).join(','));
    }, 30_000);
    await client.delete('services', NS, 'web');
    await eventually(async () => {
      assert.equal((await client.list('endpointslices', { namespace: NS, labelSelector: 'kubernetes.io/service-name=web' })).items.length, 0);
    });
  });
});
