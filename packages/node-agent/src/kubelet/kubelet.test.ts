import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import type { Pod, core } from '@kemu/api';
import { createLogger } from '@kemu/common';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import { eventually, FakeApi, FakePodSource, isAlive, processesWith } from './test-fakes.js';

// Runtime tests: real OS processes (node -e scripts), a fake apiserver. Addresses come
// from this helper's block, 127.77.3.0/24. Every process started carries MARKER in its
// command line, and is killed when the tests end.

const MARKER = `kemu-kubelet-test-${process.pid}`;
const NODE = process.execPath;
const log = createLogger('kubelet-test');
log.level = process.env['KEMU_TEST_LOG'] ?? 'silent';

const dirs: string[] = [];
const kubelets: Kubelet[] = [];

afterEach(async () => {
  await Promise.all(kubelets.splice(0).map((k) => k.stop({ stopPods: true })));
});

after(() => {
  for (const pid of processesWith(MARKER)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(overrides: Partial<KubeletOptions> = {}, api = new FakeApi(), rootDir?: string): { api: FakeApi; kubelet: Kubelet; rootDir: string } {
  const root = rootDir ?? mkdtempSync(join(tmpdir(), 'kemu-kubelet-'));
  if (!rootDir) dirs.push(root);
  const kubelet = new Kubelet({
    client: api,
    pods: new FakePodSource(api),
    services: api.serviceLister(),
    nodeName: 'node-1',
    nodeIP: '127.77.3.1',
    zone: 'zone-a',
    podCIDR: '127.77.3.0/24',
    rootDir: root,
    networkMode: 'local',
    workloadsMain: '/nonexistent/workloads/main.js',
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    log,
    restartBackoff: { initialMs: 400, maxMs: 1_600 },
    stopPodsGraceMs: 1_000,
    adoptPollMs: 100,
    ...overrides,
  });
  kubelets.push(kubelet);
  return { api, kubelet, rootDir: root };
}

/** A container running a node script; `tag` goes on its command line to find its processes. */
function script(name: string, tag: string, source: string, more: Partial<core.Container> = {}): core.Container {
  return { name, image: 'busybox', command: [NODE, '-e', source, MARKER, tag], ...more };
}

function podOf(name: string, containers: core.Container[], spec: Partial<core.PodSpec> = {}): Pod {
  return { metadata: { name, namespace: 'demo', labels: { app: name } }, spec: { nodeName: 'node-1', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers, ...spec } };
}

const statusOf = (api: FakeApi, name: string): core.PodStatus | undefined => api.pod('demo', name)?.status;
const containerOf = (api: FakeApi, name: string, c = 'main'): core.ContainerStatus | undefined => statusOf(api, name)?.containerStatuses?.find((s) => s.name === c);
const condition = (api: FakeApi, name: string, type: string): string | undefined => statusOf(api, name)?.conditions?.find((c) => c.type === type)?.status;

const LISTEN = `require('net').createServer().listen(0, process.env.POD_IP);`;

test('registers the node and its lease, runs a pod: Running and Ready with its pod IP, environment and log file', async () => {
  const api = new FakeApi();
  api.services = [
    { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '127.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { namespace: 'demo', name: 'web-svc' }, spec: { clusterIP: '127.96.0.20', ports: [{ port: 80, protocol: 'TCP' }] } },
    { metadata: { namespace: 'other', name: 'elsewhere' }, spec: { clusterIP: '127.96.0.30', ports: [{ port: 80 }] } },
  ];
  const { kubelet, rootDir } = setup({}, api);
  await kubelet.start();
  assert.ok(kubelet.hasSynced());

  const node = await api.get('nodes', '', 'node-1');
  assert.equal(node.metadata?.labels?.['topology.kubernetes.io/zone'], 'zone-a');
  assert.equal(node.spec?.podCIDR, '127.77.3.0/24');
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const lease = await api.get('leases', 'kube-node-lease', 'node-1');
  assert.equal(lease.spec?.holderIdentity, 'node-1');
  assert.match(lease.spec?.renewTime ?? '', /\.\d{6}Z$/);
  assert.deepEqual(lease.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: node.metadata?.uid }]);

  const source = `console.log(JSON.stringify(process.env)); ${LISTEN} process.on('SIGTERM', () => process.exit(0));`;
  api.addPod(
    podOf('web', [script('main', 'web', source, { env: [{ name: 'TARGET', value: 'http://$(WEB_SVC_SERVICE_HOST):$(WEB_SVC_SERVICE_PORT)' }] })]),
  );
  await eventually('web Ready', () => condition(api, 'web', 'Ready') === 'True');
  const st = statusOf(api, 'web')!;
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '127.77.3.2');
  assert.deepEqual(st.podIPs, [{ ip: '127.77.3.2' }]);
  assert.equal(st.hostIP, '127.77.3.1');
  assert.ok(st.startTime);
  const cs = containerOf(api, 'web')!;
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.equal(cs.restartCount, 0);
  assert.ok(cs.state?.running?.startedAt);
  assert.equal(kubelet.podsRunning(), 1);

  const pod = api.pod('demo', 'web')!;
  const podDir = join(rootDir, 'pods', `demo_web_${pod.metadata?.uid ?? ''}`);
  const logFile = join(podDir, 'main.log');
  const env = await eventually('env in the log', () => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return text.includes('\n') ? (JSON.parse(text.split('\n')[0]!) as Record<string, string>) : undefined;
  });
  assert.equal(env['POD_IP'], '127.77.3.2');
  assert.equal(env['POD_NAME'], 'web');
  assert.equal(env['POD_NAMESPACE'], 'demo');
  assert.equal(env['NODE_NAME'], 'node-1');
  assert.equal(env['PATH'], process.env['PATH']);
  assert.equal(env['KUBERNETES_SERVICE_HOST'], '127.96.0.1');
  assert.equal(env['KUBERNETES_SERVICE_PORT_HTTPS'], '443');
  assert.equal(env['WEB_SVC_PORT_80_TCP'], 'tcp://127.96.0.20:80');
  assert.equal(env['TARGET'], 'http://127.96.0.20:80');
  assert.equal(env['ELSEWHERE_SERVICE_HOST'], undefined);
  const state = JSON.parse(readFileSync(join(podDir, 'state.json'), 'utf8')) as { podIP: string; containers: Record<string, { running?: { pid: number } }> };
  assert.equal(state.podIP, '127.77.3.2');
  assert.equal(state.containers['main']?.running?.pid, kubelet.podPids('demo', 'web')?.['main']);
  const writes = api.statusWrites.filter((w) => w.name === 'web').length;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(api.statusWrites.filter((w) => w.name === 'web').length, writes, 'an unchanged status is not written again');

  // An image kemu cannot run, next to it.
  api.addPod(podOf('nginx', [{ name: 'main', image: 'nginx:1.27' }]));
  await eventually('nginx waiting', () => containerOf(api, 'nginx')?.state?.waiting?.reason === 'ErrImagePull');
  assert.equal(statusOf(api, 'nginx')?.phase, 'Pending');
  assert.match(containerOf(api, 'nginx')?.state?.waiting?.message ?? '', /kemu cannot pull image "nginx:1.27"/);
  assert.equal(statusOf(api, 'nginx')?.podIP, '127.77.3.3');

  // The pod vanishes (force-deleted): its process is killed at once, its directory removed.
  const pid = kubelet.podPids('demo', 'web')!['main']!;
  api.remove('demo', 'web');
  await eventually('web process gone', () => !isAlive(pid), 3_000);
  await eventually('web directory removed', () => !existsSync(podDir), 3_000);
  assert.equal(api.deletes.length, 0, 'nothing left to delete');
});

test('crash loop: the first restart is immediate, then back-off doubles; CrashLoopBackOff while waiting', async () => {
  const { api, kubelet, rootDir } = setup();
  await kubelet.start();
  const logPath = (): string => join(rootDir, 'pods', `demo_crash_${api.pod('demo', 'crash')?.metadata?.uid ?? ''}`, 'main.log');
  // Each run logs when the kernel started it (the kubelet's spawn, from /proc/self/stat) and
  // when it exits, both in ms since boot, so Node's own start-up time, which is long and
  // uneven on a loaded machine, does not count as back-off.
  const source = [
    `const fs = require('fs');`,
    `const sinceBoot = () => Math.round(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000);`,
    `const ticks = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19]);`,
    `console.log('start', ticks * 10);`,
    `setTimeout(() => { console.log('exit', sinceBoot()); process.exit(3); }, 50);`,
  ].join(' ');
  api.addPod(podOf('crash', [script('main', 'crash', source)]));
  await eventually('four restarts', () => (containerOf(api, 'crash')?.restartCount ?? 0) >= 4, 15_000);
  const runs = await eventually('five runs logged', () => {
    const lines = readFileSync(logPath(), 'utf8').split('\n');
    const at = (kind: string): number[] => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.split(' ')[1]));
    const [starts, exits] = [at('start'), at('exit')];
    return starts.length >= 5 && exits.length >= 4 ? { starts, exits } : undefined;
  });
  // Exit to next spawn is the back-off (0, 400, 800, 1600 ms) plus the kubelet noticing the
  // exit; the clocks tick every 10 ms.
  const gaps = runs.starts.slice(1, 5).map((t, i) => t - runs.exits[i]!);
  assert.ok(gaps[0]! < 300, `first restart at once: ${gaps.join(',')}`);
  assert.ok(gaps[1]! >= 390 && gaps[2]! >= 790 && gaps[3]! >= 1_590, `back-off doubles: ${gaps.join(',')}`);

  const waiting = api.statusWrites.filter((w) => w.name === 'crash').map((w) => w.status.containerStatuses?.[0]);
  const backoff = waiting.find((c) => c?.state?.waiting?.reason === 'CrashLoopBackOff');
  assert.ok(backoff, 'a CrashLoopBackOff status was written');
  assert.match(backoff.state?.waiting?.message ?? '', /^back-off \d+s restarting failed container=main pod=crash_demo\(/);
  assert.equal(backoff.lastState?.terminated?.exitCode, 3);
  assert.equal(backoff.lastState?.terminated?.reason, 'Error');
  assert.equal(backoff.ready, false);
  assert.equal(statusOf(api, 'crash')?.phase, 'Running', 'a restarting pod stays Running');
  assert.equal(processesWith(`${MARKER}\0crash`).length <= 1, true, 'never two instances at once');
});

test('restart policies Never and OnFailure: the pod ends Succeeded or Failed; hostNetwork uses the node IP', async () => {
  const { api, kubelet } = setup();
  await kubelet.start();
  api.addPod(podOf('once', [script('main', 'once', 'process.exit(0)'), script('side', 'once', 'process.exit(2)')], { restartPolicy: 'Never' }));
  api.addPod(podOf('job', [script('main', 'job', 'process.exit(0)')], { restartPolicy: 'OnFailure' }));
  api.addPod(podOf('host', [script('main', 'host', 'setInterval(() => {}, 1000)')], { hostNetwork: true }));
  await eventually('once Failed', () => statusOf(api, 'once')?.phase === 'Failed');
  assert.equal(containerOf(api, 'once', 'side')?.state?.terminated?.exitCode, 2);
  assert.equal(containerOf(api, 'once', 'main')?.state?.terminated?.reason, 'Completed');
  assert.equal(containerOf(api, 'once', 'side')?.restartCount, 0);
  await eventually('job Succeeded', () => statusOf(api, 'job')?.phase === 'Succeeded');
  assert.equal(condition(api, 'job', 'Ready'), 'False');
  assert.equal(statusOf(api, 'job')?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  await eventually('host running', () => containerOf(api, 'host')?.state?.running);
  assert.equal(statusOf(api, 'host')?.podIP, '127.77.3.1', 'a hostNetwork pod has the node IP');
});

test('probes: an exec readiness probe gates Ready; a failing HTTP liveness probe restarts the container with SIGTERM', async () => {
  const { api, kubelet, rootDir } = setup();
  await kubelet.start();
  // Healthy for two liveness probes, then 500s.
  const server = `
    let n = 0;
    require('http').createServer((req, res) => { res.statusCode = req.url === '/healthz' && ++n > 2 ? 500 : 200; res.end('ok'); })
      .listen(18080, process.env.POD_IP);`;
  api.addPod(
    podOf('probed', [
      script('main', 'probed', server, {
        ports: [{ name: 'http', containerPort: 18080, protocol: 'TCP' }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
        readinessProbe: { exec: { command: [NODE, '-e', `process.exit(require('fs').existsSync('ready') ? 0 : 1)`] }, periodSeconds: 1, failureThreshold: 1 },
      }),
    ]),
  );
  await eventually('probed running', () => containerOf(api, 'probed')?.state?.running);
  assert.equal(condition(api, 'probed', 'Ready'), 'False', 'a readiness probe starts out failing');
  const podDir = join(rootDir, 'pods', `demo_probed_${api.pod('demo', 'probed')?.metadata?.uid ?? ''}`);
  writeFileSync(join(podDir, 'ready'), '');
  await eventually('probed Ready', () => condition(api, 'probed', 'Ready') === 'True', 5_000);
  assert.equal(containerOf(api, 'probed')?.ready, true);

  await eventually('liveness restart', () => (containerOf(api, 'probed')?.restartCount ?? 0) >= 1, 10_000);
  const last = containerOf(api, 'probed')?.lastState?.terminated;
  assert.equal(last?.exitCode, 143, 'killed by SIGTERM');
  assert.equal(last?.signal, 15);
  unlinkSync(join(podDir, 'ready'));
  await eventually('probed not Ready', () => condition(api, 'probed', 'Ready') === 'False', 5_000);
});

test('a startup probe holds off liveness and readiness until it succeeds; a TCP readiness probe', async () => {
  const { api, kubelet, rootDir } = setup();
  await kubelet.start();
  const server = `require('net').createServer((s) => s.end()).listen(18081, process.env.POD_IP);`;
  api.addPod(
    podOf('slow', [
      script('main', 'slow', server, {
        startupProbe: { exec: { command: [NODE, '-e', `process.exit(require('fs').existsSync('started') ? 0 : 1)`] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: [NODE, '-e', 'process.exit(1)'] }, periodSeconds: 1, failureThreshold: 1 },
        readinessProbe: { tcpSocket: { port: 18081 }, periodSeconds: 1 },
      }),
    ]),
  );
  await eventually('slow running', () => containerOf(api, 'slow')?.state?.running);
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(containerOf(api, 'slow')?.started, false);
  assert.equal(containerOf(api, 'slow')?.restartCount, 0, 'the failing liveness probe does not run before startup');
  assert.equal(condition(api, 'slow', 'Ready'), 'False');
  writeFileSync(join(rootDir, 'pods', `demo_slow_${api.pod('demo', 'slow')?.metadata?.uid ?? ''}`, 'started'), '');
  await eventually('slow started and Ready', () => containerOf(api, 'slow')?.started === true && condition(api, 'slow', 'Ready') === 'True', 5_000);
  await eventually('then liveness restarts it', () => (containerOf(api, 'slow')?.restartCount ?? 0) >= 1, 5_000);
  assert.equal(containerOf(api, 'slow')?.started, false, 'the new instance starts over with its startup probe');
});

test('graceful deletion: SIGTERM, SIGKILL when the grace period ends, then the final delete with the uid', async () => {
  const { api, kubelet, rootDir } = setup();
  await kubelet.start();
  const stubborn = `process.on('SIGTERM', () => console.log('got SIGTERM')); setInterval(() => {}, 1000); console.log('ready');`;
  const polite = `process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000); console.log('ready');`;
  const a = api.addPod(podOf('stubborn', [script('main', 'stubborn', stubborn)]));
  const b = api.addPod(podOf('polite', [script('main', 'polite', polite)]));
  const logOf = (p: Pod): string => {
    const f = join(rootDir, 'pods', `demo_${p.metadata?.name ?? ''}_${p.metadata?.uid ?? ''}`, 'main.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  // Running is reported at spawn; the SIGTERM handlers exist once the scripts say so.
  await eventually('both handling SIGTERM', () => logOf(a).includes('ready') && logOf(b).includes('ready'));
  const pidA = kubelet.podPids('demo', 'stubborn')!['main']!;
  const pidB = kubelet.podPids('demo', 'polite')!['main']!;
  const dirA = join(rootDir, 'pods', `demo_stubborn_${a.metadata?.uid ?? ''}`);

  const t0 = Date.now();
  api.markDeleted('demo', 'stubborn', 1);
  api.markDeleted('demo', 'polite', 30);
  await eventually('stubborn got SIGTERM and ignored it', () => logOf(a).includes('got SIGTERM'), 900);
  const delB = await eventually('polite deleted', () => api.deletes.find((d) => d.name === 'polite'), 5_000);
  assert.ok(delB.at - t0 < 2_000, 'a process that exits on SIGTERM is not waited for');
  assert.deepEqual(delB.opts, { gracePeriodSeconds: 0, uid: b.metadata?.uid });
  assert.ok(!isAlive(pidB));
  assert.equal(api.statusWrites.filter((w) => w.name === 'polite').at(-1)?.status.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');

  const delA = await eventually('stubborn deleted', () => api.deletes.find((d) => d.name === 'stubborn'), 5_000);
  assert.ok(delA.at - t0 >= 1_000, `killed after the 1 s grace period (${delA.at - t0} ms)`);
  assert.deepEqual(delA.opts, { gracePeriodSeconds: 0, uid: a.metadata?.uid });
  assert.ok(!isAlive(pidA));
  const lastA = api.statusWrites.filter((w) => w.name === 'stubborn').at(-1)?.status.containerStatuses?.[0]?.state?.terminated;
  assert.equal(lastA?.exitCode, 137, 'the last status shows the SIGKILL');
  assert.equal(lastA?.signal, 9);
  await eventually('stubborn directory removed', () => !existsSync(dirA), 2_000);

  // The freed IPs are not handed out again at once.
  api.addPod(podOf('next', [script('main', 'next', 'setInterval(() => {}, 1000)')]));
  await eventually('next has an IP', () => statusOf(api, 'next')?.podIP);
  assert.equal(statusOf(api, 'next')?.podIP, '127.77.3.4');
});

test('agent restart: the new kubelet adopts live processes, restarts dead ones, kills those of pods gone meanwhile', async () => {
  const api = new FakeApi();
  const first = setup({}, api);
  await first.kubelet.start();
  const sleeper = 'setInterval(() => {}, 1000);';
  api.addPod(podOf('keep', [script('main', 'keep', sleeper)]));
  api.addPod(podOf('dies', [script('main', 'dies', sleeper)]));
  api.addPod(podOf('gone', [script('main', 'gone', sleeper)]));
  for (const n of ['keep', 'dies', 'gone']) await eventually(`${n} running`, () => containerOf(api, n)?.state?.running);
  const ipKeep = statusOf(api, 'keep')?.podIP;
  const pids = Object.fromEntries(['keep', 'dies', 'gone'].map((n) => [n, first.kubelet.podPids('demo', n)!['main']!]));
  await first.kubelet.stop({ stopPods: false });
  kubelets.splice(kubelets.indexOf(first.kubelet), 1);
  for (const n of ['keep', 'dies', 'gone']) assert.ok(isAlive(pids[n]!), `${n} survives the agent`);

  process.kill(-pids['dies']!, 'SIGKILL');
  api.removeSilently('demo', 'gone');
  await eventually('dies is dead', () => !isAlive(pids['dies']!));

  const second = setup({}, api, first.rootDir);
  await second.kubelet.start();
  assert.equal(second.kubelet.podPids('demo', 'keep')?.['main'], pids['keep'], 'adopted, not started again');
  assert.deepEqual(processesWith(`${MARKER}\0keep`), [pids['keep']], 'exactly one process for keep');
  await eventually('gone killed', () => !isAlive(pids['gone']!), 3_000);
  assert.equal(second.kubelet.podPids('demo', 'gone'), undefined);

  await eventually('dies restarted', () => containerOf(api, 'dies')?.restartCount === 1 && containerOf(api, 'dies')?.state?.running);
  assert.equal(containerOf(api, 'dies')?.lastState?.terminated?.reason, 'ContainerStatusUnknown');
  assert.notEqual(second.kubelet.podPids('demo', 'dies')?.['main'], pids['dies']);
  assert.equal(statusOf(api, 'keep')?.podIP, ipKeep, 'the pod keeps its IP');
  assert.equal(containerOf(api, 'keep')?.restartCount, 0);
  assert.equal(condition(api, 'keep', 'Ready'), 'True');

  // An adopted process that exits is noticed (it is not our child: polled) and restarted.
  process.kill(pids['keep']!, 'SIGKILL');
  await eventually('keep restarted', () => containerOf(api, 'keep')?.restartCount === 1 && containerOf(api, 'keep')?.state?.running, 5_000);
  assert.equal(processesWith(`${MARKER}\0keep`).length, 1);

  await second.kubelet.stop({ stopPods: true });
  kubelets.splice(kubelets.indexOf(second.kubelet), 1);
  assert.deepEqual(processesWith(MARKER), [], 'stop({ stopPods: true }) leaves no process behind');
});

test('node status: Ready=Unknown from the node lifecycle controller is set back to True; the lease is renewed through conflicts', async () => {
  const { api, kubelet } = setup({ nodeStatusUpdateFrequencyMs: 50, leaseRenewIntervalMs: 50 });
  await kubelet.start();
  api.mutate('nodes', '', 'node-1', (n) => {
    for (const c of n.status?.conditions ?? []) if (c.type === 'Ready') Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown' });
  });
  const node = await eventually('node Ready=True', () => {
    const n = api.objects.get('nodes//node-1') as { status?: core.NodeStatus } | undefined;
    const ready = n?.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' && ready.reason === 'KubeletReady' ? n : undefined;
  });
  assert.ok(node);
  const before = api.leaseWrites.length;
  api.mutate('leases', 'kube-node-lease', 'node-1', (l) => Object.assign(l.spec ?? {}, { holderIdentity: 'someone-else' }));
  await eventually('lease renewed after a conflict', () => api.leaseWrites.length >= before + 2);
  const lease = await api.get('leases', 'kube-node-lease', 'node-1');
  assert.equal(lease.spec?.holderIdentity, 'node-1');
});
