// The cluster lifecycle as a user drives it: kemu up, status, logs, dns query, proxy rules,
// exec, etcd snapshot save/restore, down; one cluster on 127.62 for the whole file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isApiError, KubeClient, Reason } from '@kemu/api';
import { eventually, kemu, KEMU_CLI, killIfAlive, processAlive, type RecordedProcess } from '../harness/index.js';
import { fetchText } from '@kemu/common/fetch';

const BLOCK = '127.62';

let dir = '';
let state: string[] = [];
let client: KubeClient | undefined;

const recorded = (): RecordedProcess[] => (existsSync(join(dir, 'processes.json')) ? (JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as RecordedProcess[]) : []);

/** The pod processes the node agents recorded as running. */
function podProcesses(): RecordedProcess[] {
  const out: RecordedProcess[] = [];
  const nodes = join(dir, 'nodes');
  if (!existsSync(nodes)) return out;
  for (const node of readdirSync(nodes)) {
    const pods = join(nodes, node, 'pods');
    if (!existsSync(pods)) continue;
    for (const pod of readdirSync(pods)) {
      const f = join(pods, pod, 'state.json');
      if (!existsSync(f)) continue;
      const rec = JSON.parse(readFileSync(f, 'utf8')) as { containers: Record<string, { running?: RecordedProcess }> };
      for (const c of Object.values(rec.containers)) if (c.running) out.push({ pid: c.running.pid, startTicks: c.running.startTicks });
    }
  }
  return out;
}

/** The status table as rows of cells (whitespace-separated columns; ROLE keeps its spaces). */
function statusRows(text: string): Map<string, { pid: string; health: string; role: string }> {
  const rows = new Map<string, { pid: string; health: string; role: string }>();
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) break;
    const m = /^(\S+)\s+(\S+)\s+(ready|not ready(?: \([^)]*\))?|no answer|exited|stopped)\s+(.*)$/.exec(line);
    if (m) rows.set(m[1]!, { pid: m[2]!, health: m[3]!, role: m[4]! });
  }
  return rows;
}

async function getEcho(host: string, port: number): Promise<string> {
  return (await fetchText(`http://${host}:${port}/`, 3000)).text;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kemu-lifecycle-'));
  state = ['--state-dir', dir];
});

after(async () => {
  client?.close();
  const pods = podProcesses();
  await kemu(['down', ...state]);
  for (const p of [...recorded(), ...pods]) killIfAlive(p);
  rmSync(dir, { recursive: true, force: true });
});

test('kemu up on an address that is taken fails at once, naming the process and the address, and starts nothing', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'kemu-busy-'));
  const squatter: Server = createServer();
  await new Promise<void>((r) => squatter.listen(6443, `${BLOCK}.2.1`, r));
  try {
    const r = await kemu(['up', '--state-dir', fresh, '--address-block', BLOCK], { timeoutMs: 60_000 });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.stderr, new RegExp(`apiserver: ${BLOCK.replace('.', '\\.')}\\.2\\.1:6443 is already in use`));
    assert.ok(!existsSync(join(fresh, 'processes.json')) || (JSON.parse(readFileSync(join(fresh, 'processes.json'), 'utf8')) as unknown[]).length === 0, 'nothing was started');
    assert.ok(!existsSync(join(fresh, 'logs')), 'no process wrote a log');
  } finally {
    await new Promise((r) => squatter.close(r));
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('kemu up starts the cluster with the profile timings and reports each process ready', async () => {
  const r = await kemu(['up', ...state, '--address-block', BLOCK, '--profile', 'fast-recovery'], { timeoutMs: 180_000 });
  assert.equal(r.status, 0, r.out);
  for (const name of ['etcd-0', 'etcd-1', 'etcd-2', 'apiserver', 'controller-manager-0', 'controller-manager-1', 'dns-0', 'node-1', 'node-2', 'node-3']) {
    assert.match(r.stdout, new RegExp(`^${name}: ready \\(\\d+\\.\\d s\\)$`, 'm'));
    assert.ok(existsSync(join(dir, 'logs', `${name}.log`)), `${name} has its log file`);
  }
  const records = JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Array<{ name: string; args: string[] }>;
  const cm = records.find((x) => x.name === 'controller-manager-0')!;
  assert.equal(cm.args[cm.args.indexOf('--node-monitor-grace-period') + 1], '8s');
  const node = records.find((x) => x.name === 'node-1')!;
  assert.equal(node.args[node.args.indexOf('--node-lease-renew-interval') + 1], '2s');
  const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8')) as { admin: string };
  client = new KubeClient({ endpoints: [`${BLOCK}.2.1:6443`], token: tokens.admin, timeoutMs: 10_000 });

  // Again on the same state dir: the saved plan wins and the difference is named.
  const again = await kemu(['up', ...state, '--nodes', '5'], { timeoutMs: 60_000 });
  assert.equal(again.status, 0, again.out);
  assert.match(again.stderr, /--nodes 5 ignored: the cluster has 3/);
  assert.match(again.stdout, /node-3: already running/);
});

test('kemu status: three etcd members with one leader, one active controller-manager, three Ready nodes in zones a, b, c', async () => {
  const rows = await eventually(async () => {
    const r = await kemu(['status', ...state], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.out);
    const rows = statusRows(r.stdout);
    const etcd = ['etcd-0', 'etcd-1', 'etcd-2'].map((n) => rows.get(n));
    assert.ok(etcd.every((e) => e?.health === 'ready' && /^(leader|follower), term \d+$/.test(e.role)), r.stdout);
    assert.equal(etcd.filter((e) => e?.role.startsWith('leader')).length, 1, r.stdout);
    const cms = ['controller-manager-0', 'controller-manager-1'].map((n) => rows.get(n)?.role);
    assert.deepEqual(cms.slice().sort(), ['active', 'standby'], r.stdout);
    assert.match(rows.get('node-1')?.role ?? '', /^Ready, zone-a, 127\.62\.10\.1$/, r.stdout);
    assert.match(rows.get('node-2')?.role ?? '', /^Ready, zone-b, /, r.stdout);
    assert.match(rows.get('node-3')?.role ?? '', /^Ready, zone-c, /, r.stdout);
    assert.equal(rows.get('apiserver')?.health, 'ready');
    assert.match(r.stdout, /Lease kube-system\/kube-controller-manager: held by \S+/);
    return rows;
  }, 60_000, 1000);
  const pids = recorded().map((r) => r.pid);
  for (const [, row] of rows) assert.ok(pids.includes(Number(row.pid)));
});

test('kemu logs prints the end of a process log, follows it, and names the known processes for an unknown one', async () => {
  const r = await kemu(['logs', 'apiserver', '--tail', '3', ...state]);
  assert.equal(r.status, 0, r.out);
  const lines = r.stdout.trimEnd().split('\n');
  const whole = readFileSync(join(dir, 'logs', 'apiserver.log'), 'utf8').trimEnd().split('\n');
  assert.ok(whole.length >= 1 && lines.length === Math.min(3, whole.length), r.stdout);
  assert.deepEqual(lines, whole.slice(-3));

  const bad = await kemu(['logs', 'etcd-9', ...state]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /no process "etcd-9".*known: etcd-0, etcd-1, etcd-2, apiserver, controller-manager-0/);

  // -f: what is written to the log after the command started shows up, and only that.
  const file = join(dir, 'logs', 'node-1.log');
  const firstLine = readFileSync(file, 'utf8').split('\n')[0]!;
  const follower = spawn(process.execPath, [KEMU_CLI, 'logs', 'node-1', '-f', '--tail', '0', ...state], { stdio: ['ignore', 'pipe', 'inherit'] });
  let followed = '';
  follower.stdout.setEncoding('utf8').on('data', (d: string) => (followed += d));
  try {
    // Until the command has started (a slow machine takes a while), earlier markers may be missed.
    await eventually(() => {
      appendFileSync(file, 'kemu-test-marker\n');
      assert.match(followed, /kemu-test-marker\n/);
    }, 60_000, 500);
    appendFileSync(file, 'kemu-test-final\n');
    await eventually(() => assert.match(followed, /kemu-test-marker\n(.*\n)*kemu-test-final\n/), 30_000, 100);
    assert.ok(!followed.includes(firstLine), 'the old lines were not printed (--tail 0)');
  } finally {
    follower.kill('SIGINT');
  }
  const code = await new Promise<number | null>((r) => follower.on('close', r));
  assert.notEqual(code, null);
});

test('kemu dns query resolves kubernetes.default through the pod search path', async () => {
  const r = await kemu(['dns', 'query', 'kubernetes.default', ...state]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /^;; search: kubernetes\.default\.default\.svc\.cluster\.local\. NXDOMAIN$/m);
  assert.match(r.stdout, /status: NOERROR/);
  assert.match(r.stdout, /^kubernetes\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+127\.62\.64\.1$/m);
  const nx = await kemu(['dns', 'query', 'nope.default.svc.cluster.local.', ...state]);
  assert.equal(nx.status, 1, nx.out);
  assert.match(nx.stdout, /status: NXDOMAIN/);
  assert.match(nx.stdout, /AUTHORITY SECTION:\n\S+\s+\d+\s+IN\s+SOA/);
});

let clusterIP = '';

test('a Deployment behind a Service: kemu proxy rules shows it, kemu exec curls it from a node', async () => {
  const c = client!;
  await c.create('deployments', {
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: { containers: [{ name: 'echo', image: 'kemu/echo', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 } }] },
      },
    },
  });
  const svc = await c.create('services', { metadata: { name: 'hello', namespace: 'default' }, spec: { selector: { app: 'hello' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  clusterIP = svc.spec?.clusterIP ?? '';
  assert.match(clusterIP, /^127\.62\./);
  await eventually(async () => assert.match(await getEcho(clusterIP, 80), /"pod":"hello-/), 90_000, 500);

  const rules = await kemu(['proxy', 'rules', '--node', 'node-1', ...state]);
  assert.equal(rules.status, 0, rules.out);
  assert.match(rules.stdout, /default\/hello/);
  assert.match(rules.stdout, new RegExp(clusterIP.replaceAll('.', '\\.')));
  const noNode = await kemu(['proxy', 'rules', '--node', 'node-9', ...state]);
  assert.notEqual(noNode.status, 0);
  assert.match(noNode.stderr, /nodes "node-9" not found/);

  const curl = await kemu(['exec', 'node-2', ...state, '--', 'curl', '-s', '--max-time', '5', `http://${clusterIP}/`]);
  assert.equal(curl.status, 0, curl.out);
  assert.match(curl.stdout, /"pod":"hello-[^"]+","namespace":"default"/);
  const env = await kemu(['exec', 'node-3', ...state, '--', 'sh', '-c', 'echo "$NODE_NAME $NODE_IP"; exit 7']);
  assert.equal(env.status, 7, env.out);
  assert.equal(env.stdout.trim(), `node-3 ${BLOCK}.10.3`);
  const missing = await kemu(['exec', 'node-1', ...state, '--', 'no-such-command-kemu']);
  assert.equal(missing.status, 127, missing.out);
});

test('kemu etcd snapshot save, then changes, then restore: the objects are back as at save time', async () => {
  const c = client!;
  const file = join(dir, 'backup.db');
  const saved = await kemu(['etcd', 'snapshot', 'save', file, ...state]);
  assert.equal(saved.status, 0, saved.out);
  assert.match(saved.stdout, /^Snapshot saved at .*backup\.db: \d+ bytes from 127\.62\.1\.\d:2379, revision \d+, \d+ keys/m);
  const st = await kemu(['etcd', 'snapshot', 'status', file]);
  assert.equal(st.status, 0, st.out);
  assert.match(st.stdout, /\bok$/m);
  const before = await c.get('services', 'default', 'hello');

  await c.delete('services', 'default', 'hello');
  await c.create('services', { metadata: { name: 'after-save', namespace: 'default' }, spec: { ports: [{ port: 82 }], selector: { app: 'x' } } });

  const restored = await kemu(['etcd', 'snapshot', 'restore', file, ...state], { timeoutMs: 240_000 });
  assert.equal(restored.status, 0, restored.out);
  assert.match(restored.stdout, /^Restored \d+ keys and \d+ leases from /m);
  assert.match(restored.stdout, /previous etcd data moved to .*restore-backups/);

  const back = await eventually(() => c.get('services', 'default', 'hello'), 60_000, 500);
  assert.equal(back.metadata?.uid, before.metadata?.uid);
  assert.equal(back.spec?.clusterIP, before.spec?.clusterIP);
  await assert.rejects(c.get('services', 'default', 'after-save'), (err) => isApiError(err, Reason.NotFound));
  // The restarted cluster serves the restored Service again.
  await eventually(async () => assert.match(await getEcho(clusterIP, 80), /"pod":"hello-/), 120_000, 500);

  const bad = await kemu(['etcd', 'snapshot', 'restore', join(dir, 'tokens.json'), ...state]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /is not a usable etcd snapshot/);
  const r = await kemu(['status', ...state]);
  assert.equal(statusRows(r.stdout).get('apiserver')?.health, 'ready', r.out);
});

test('kemu down stops every process and every pod', async () => {
  const procs = recorded();
  const pods = await eventually(() => {
    const p = podProcesses();
    assert.ok(p.length >= 3, `pods recorded: ${p.length}`);
    return p;
  }, 60_000, 500);
  assert.equal(procs.length, 10);
  const r = await kemu(['down', ...state]);
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(procs.filter(processAlive), [], 'no cluster process is left');
  assert.deepEqual(pods.filter(processAlive), [], 'no pod process is left');
  const st = await kemu(['status', ...state]);
  assert.ok([...statusRows(st.stdout).values()].every((row) => row.health === 'stopped'), st.stdout);
});
