import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment, KubeClient, Service } from '@kemu/api';
import { ControlPlane, eventually, getEcho, sleep, sliceAddresses, spread, TestNode, TOKENS, udpAsk } from '../harness/index.js';
import { fetchText } from '@kemu/common/fetch';

// This file's loopback block: control plane and node IPs in 127.40.0.x, ClusterIPs in
// 127.140.0.0/24, pods of node N in 127.141.N.0/24, LoadBalancer IPs 127.142.0.x.
const BLOCK = '127.40.0';
const NS = 'default';

/** `readyDelayS`: the readiness probe's initialDelaySeconds (kemu/echo only, which has the probe). */
function echoDeployment(name: string, replicas: number, { image = 'kemu/echo', port = 8080, readyDelayS = 0 } = {}): Deployment {
  return {
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'main',
              image,
              ports: [{ name: 'p', containerPort: port, protocol: image === 'kemu/udp-echo' ? 'UDP' : 'TCP' }],
              ...(image === 'kemu/echo' ? { readinessProbe: { httpGet: { path: '/readyz', port: 'p' }, periodSeconds: 1, initialDelaySeconds: readyDelayS } } : {}),
            },
          ],
        },
      },
    },
  };
}

describe('node agents forward Services to pods that run as processes', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const nodes: TestNode[] = [];
  let dir = '';

  const readyCount = async (svc: string): Promise<number> => (await sliceAddresses(client, NS, svc)).ready.length;
  const waitReady = (svc: string, n: number, timeoutMs = 60_000): Promise<void> =>
    eventually(async () => assert.equal(await readyCount(svc), n, `${svc}: ready endpoints`), timeoutMs, 100);
  const nodeIP = (i: number): string => `${BLOCK}.${101 + i}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kemu-agents-'));
    cp = await ControlPlane.start({
      ipPrefix: BLOCK,
      apiserverArgs: ['--service-cluster-ip-range', '127.140.0.0/24'],
      // A grace period a starved test machine cannot outrun with late lease renewals (500 ms).
      controllerManagerArgs: ['--node-monitor-grace-period', '8s', '--pod-eviction-timeout', '2s', '--load-balancer-pool', '127.142.0.1-127.142.0.10'],
    });
    client = cp.client();
    for (let i = 0; i < 3; i++) {
      nodes.push(
        new TestNode({
          name: `node-${i + 1}`,
          nodeIP: nodeIP(i),
          zone: `zone-${'abc'[i]}`,
          podCIDR: `127.141.${i + 1}.0/24`,
          apiservers: cp.apiserverEndpoints(),
          token: TOKENS.node,
          dir,
        }).start(),
      );
    }
    await Promise.all(nodes.map((n) => n.process.waitReady()));
    // The scheduler spreads only over Ready nodes: wait until the API says all three are.
    await eventually(async () => {
      const ready = (await client.list('nodes')).items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.equal(ready.length, 3, 'Ready nodes');
    }, 30_000);
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
    client?.close();
    await cp?.destroy();
  });

  let clusterIP = '';
  let nodePort = 0;

  test('a NodePort Service over 3 echo pods: ClusterIP and every NodePort reach all 3 pods', async () => {
    // A restarted container is not ready for its first 3 s: long enough for the pod-kill test
    // to see the endpoint leave even when a starved machine slows the status write, the
    // EndpointSlice controller and the test's own lists (at 1 s it once stayed unseen).
    await client.create('deployments', echoDeployment('web', 3, { readyDelayS: 3 }));
    const svc = await client.create('services', {
      metadata: { name: 'web', namespace: NS },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'p' }] },
    } satisfies Service);
    clusterIP = svc.spec?.clusterIP ?? '';
    nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    await waitReady('web', 3);
    const pods = (await client.list('pods', { namespace: NS, labelSelector: 'app=web' })).items;
    assert.equal(new Set(pods.map((p) => p.spec?.nodeName)).size, 3, 'one pod per node');

    for (const [host, port] of [[clusterIP, 80], ...nodes.map((_, i) => [nodeIP(i), nodePort])] as Array<[string, number]>) {
      const { byPod, failures } = await eventually(async () => {
        const r = await spread(host, port, 300);
        assert.equal(r.byPod.size, 3, `${host}:${port} reached ${[...r.byPod.keys()].join(', ')}`);
        return r;
      }, 15_000);
      assert.deepEqual(failures, [], `${host}:${port} failures`);
      for (const [pod, n] of byPod) assert.ok(n >= 45, `${host}:${port}: ${pod} answered ${n}/300 (< 15%)`);
    }
  });

  test('sessionAffinity ClientIP: one client always reaches one pod', async () => {
    await client.patch('services', NS, 'web', { spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
    for (const local of [`${BLOCK}.201`, `${BLOCK}.202`]) {
      const { byPod, failures } = await eventually(async () => {
        const r = await spread(clusterIP, 80, 40, { localAddress: local });
        assert.equal(r.byPod.size, 1, `client ${local} reached ${[...r.byPod.keys()].join(', ')}`);
        return r;
      }, 10_000);
      assert.deepEqual(failures, []);
      assert.equal([...byPod.values()][0], 40);
    }
    await client.patch('services', NS, 'web', { spec: { sessionAffinity: 'None' } });
  });

  test('externalTrafficPolicy Local: only nodes with a local endpoint answer; the health check port says which', async () => {
    await client.create('deployments', echoDeployment('local', 1));
    const svc = await client.create('services', {
      metadata: { name: 'local', namespace: NS },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'local' }, ports: [{ port: 80, targetPort: 'p' }] },
    } satisfies Service);
    const np = svc.spec?.ports?.[0]?.nodePort ?? 0;
    const hc = svc.spec?.healthCheckNodePort ?? 0;
    assert.ok(hc > 0, 'healthCheckNodePort allocated');
    await waitReady('local', 1);
    const pod = (await client.list('pods', { namespace: NS, labelSelector: 'app=local' })).items[0];
    const home = nodes.findIndex((n) => n.name === pod?.spec?.nodeName);
    assert.ok(home >= 0);
    await eventually(async () => {
      for (let i = 0; i < 3; i++) {
        const res = await fetchText(`http://${nodeIP(i)}:${hc}/healthz`, 2000);
        const body = JSON.parse(res.text) as { localEndpoints?: number };
        assert.equal(res.status, i === home ? 200 : 503, `node-${i + 1} health check`);
        assert.equal(body.localEndpoints, i === home ? 1 : 0);
      }
    }, 15_000);
    const answer = await getEcho(nodeIP(home), np);
    assert.equal(answer.pod, pod?.metadata?.name);
    for (let i = 0; i < 3; i++) {
      if (i === home) continue;
      await assert.rejects(getEcho(nodeIP(i), np, { timeoutMs: 2000 }), `node-${i + 1} has no local endpoint and must not forward`);
    }
    // The LoadBalancer IP goes only to the local endpoint too; ClusterIP traffic is not affected by the policy.
    const lb = await eventually(async () => {
      const s = await client.get('services', NS, 'local');
      const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
      assert.ok(ip);
      return ip;
    });
    assert.equal((await eventually(() => getEcho(lb, 80))).pod, pod?.metadata?.name);
  });

  test('UDP echo through a ClusterIP', async () => {
    await client.create('deployments', echoDeployment('udp', 2, { image: 'kemu/udp-echo', port: 9000 }));
    const svc = await client.create('services', {
      metadata: { name: 'udp', namespace: NS },
      spec: { selector: { app: 'udp' }, ports: [{ name: 'dns-like', port: 53, protocol: 'UDP', targetPort: 9000 }] },
    } satisfies Service);
    const ip = svc.spec?.clusterIP ?? '';
    await waitReady('udp', 2);
    const answer = await eventually(() => udpAsk(ip, 53, 'hello over udp'), 10_000);
    assert.equal(answer, 'hello over udp');
    // With no readiness probe a pod is Ready once its process started, which can be before
    // it has bound its socket (as in Kubernetes), so a datagram to a slow starter is lost.
    // Each new client socket is a new session: both pods answer eventually.
    const seen = new Set<string>();
    await eventually(async () => {
      const who = await udpAsk(ip, 53, 'WHOAMI', 500);
      assert.match(who, /^udp-/);
      seen.add(who.split(/\s/)[0] ?? who);
      assert.equal(seen.size, 2, `answered: ${[...seen].join(', ')}`);
    }, 20_000, 10);
  });

  test('kill -9 of a pod process: no client sees a failed connection, and the endpoint leaves the slice', async () => {
    const pods = (await client.list('pods', { namespace: NS, labelSelector: 'app=web' })).items;
    const victim = pods[0];
    assert.ok(victim?.status?.podIP);
    const victimIP = victim.status.podIP;
    const pid = nodes.flatMap((n) => n.podPids().map((p) => ({ p, n }))).find(({ p }) => {
      try {
        return readEnv(p).split('\0').includes(`POD_IP=${victimIP}`);
      } catch {
        return false;
      }
    })?.p;
    assert.ok(pid, 'victim pod process found');

    let sawGone = false;
    const watcher = (async () => {
      const end = Date.now() + 30_000;
      while (!sawGone && Date.now() < end) {
        const s = await sliceAddresses(client, NS, 'web');
        if (!s.ready.includes(victimIP)) sawGone = true;
        else await sleep(20);
      }
    })();
    // Sequential requests, each on a new connection, recording when each started.
    let killedAt = Number.POSITIVE_INFINITY;
    const load = (async () => {
      const r = { ok: 0, failedAfterKill: [] as string[], inFlightAtKill: [] as string[] };
      for (let i = 0; i < 400; i++) {
        const started = performance.now();
        try {
          // A deadline far above any answer: a machine its hypervisor starves can stall every
          // process for seconds, and a late answer is not a failed connection.
          await getEcho(clusterIP, 80, { timeoutMs: 15_000 });
          r.ok++;
        } catch (err) {
          // Only the one request the pod was serving when it died may fail (TCP cannot move
          // an established connection); every connection made after it died must succeed.
          (started > killedAt ? r.failedAfterKill : r.inFlightAtKill).push((err as Error).message);
        }
      }
      return r;
    })();
    await sleep(100);
    process.kill(pid, 'SIGKILL');
    await eventually(() => assert.ok(!existsSync(`/proc/${pid}/stat`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z'), 2000, 1);
    killedAt = performance.now();
    const [r] = await Promise.all([load, watcher]);
    // No connect fails: the proxy retries a refused connect on the next endpoint. The one
    // request the pod was serving when it died can fail (TCP cannot move an established
    // connection), and so, rarely, can one that reached the pod's restarted process while it
    // was coming up (seen once in about ten runs): at most one of each, and only as resets.
    const failed = [...r.inFlightAtKill, ...r.failedAfterKill];
    const what = `failed requests around the kill: in flight [${r.inFlightAtKill.join(', ')}], after [${r.failedAfterKill.join(', ')}]`;
    assert.ok(r.inFlightAtKill.length <= 1 && r.failedAfterKill.length <= 1, what);
    assert.ok(failed.every((f) => /ECONNRESET|socket hang up/.test(f)), `only resets, no refused or timed-out connect: ${what}`);
    assert.ok(sawGone, 'the killed pod left the ready endpoints');
    // The kubelet restarts it in place (restartPolicy Always): same pod, new process.
    await waitReady('web', 3);
    const again = await client.get('pods', NS, victim.metadata?.name ?? '');
    assert.ok((again.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'restart counted');
  });

  test('scale 3 -> 10 -> 0 -> 3: the forwarders follow', async () => {
    const scale = (n: number): Promise<unknown> => client.patch('deployments', NS, 'web', { spec: { replicas: n } });
    await scale(10);
    await waitReady('web', 10);
    await eventually(async () => {
      const { byPod } = await spread(clusterIP, 80, 200);
      assert.equal(byPod.size, 10, `reached ${byPod.size} pods`);
    }, 20_000);
    await scale(0);
    await eventually(async () => assert.equal((await sliceAddresses(client, NS, 'web')).all.length, 0), 30_000);
    // No endpoint: refused or reset at once, never left hanging.
    await eventually(async () => {
      const started = Date.now();
      await assert.rejects(getEcho(clusterIP, 80, { timeoutMs: 3000 }), /ECONNRESET|ECONNREFUSED|socket hang up/);
      assert.ok(Date.now() - started < 1000, 'rejected promptly');
    }, 10_000);
    await scale(3);
    await waitReady('web', 3);
    await eventually(async () => assert.equal((await spread(clusterIP, 80, 60)).byPod.size, 3), 15_000);
  });

  test('kill -9 of an agent alone, then a restart: it adopts its running pods, no duplicates, no orphans', async () => {
    const n = nodes[0]!;
    const before = n.podPids().sort();
    assert.ok(before.length >= 1, 'node-1 runs pods');
    await n.process.kill();
    // The pods outlive their agent (as containers outlive a kubelet) and keep serving.
    assert.deepEqual(n.podPids().sort(), before);
    n.start();
    await n.process.waitReady();
    await waitReady('web', 3);
    await sleep(1500);
    assert.deepEqual(n.podPids().sort(), before, 'the same pod processes, none started twice');
    const { failures } = await spread(clusterIP, 80, 30);
    assert.deepEqual(failures, []);
  });

  test('kill -9 of a node agent with its pods: after the grace period its endpoints are gone and replacements serve', async () => {
    const pods = (await client.list('pods', { namespace: NS, labelSelector: 'app=web' })).items;
    const lostNode = nodes[2]!;
    const lostIPs = pods.filter((p) => p.spec?.nodeName === lostNode.name).map((p) => p.status?.podIP);
    assert.ok(lostIPs.length >= 1);
    await lostNode.killNode();
    await eventually(async () => {
      const s = await sliceAddresses(client, NS, 'web');
      for (const ip of lostIPs) assert.ok(!s.ready.includes(ip ?? ''), `${ip} still ready`);
      assert.equal(s.ready.length, 3, 'replacements ready');
    }, 60_000);
    const { byPod, failures } = await spread(clusterIP, 80, 90);
    assert.deepEqual(failures, []);
    assert.equal(byPod.size, 3);
    const now = (await client.list('pods', { namespace: NS, labelSelector: 'app=web' })).items;
    for (const p of now.filter((x) => !x.metadata?.deletionTimestamp)) assert.notEqual(p.spec?.nodeName, lostNode.name);
  });
});

function readEnv(pid: number): string {
  return readFileSync(`/proc/${pid}/environ`, 'latin1');
}
