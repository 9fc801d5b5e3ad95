// End to end: the kubectl-style object commands (apply, get, describe, scale, expose, rollout
// status, delete) against one real cluster started with `kemu up`, driven as a user would,
// by spawning `kemu` and checking what it prints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, kemu, KEMU_CLI, kemuSync, type KemuRun } from '../harness/index.js';

const BLOCK = '127.61';
const NODE_1_IP = `${BLOCK}.10.1`;

let dir = '';
let upOk = false;

/** Runs `kemu ARGS --state-dir DIR` to completion (bounded), with optional stdin. */
const kemuHere = (args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<KemuRun> => kemu([...args, '--state-dir', dir], { timeoutMs: 60_000, ...o });

const show = (r: KemuRun): string => `exit ${r.status}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kemuHere(args, { input });
  assert.equal(r.status, 0, `kemu ${args.join(' ')}\n${show(r)}`);
  return r.stdout;
}

/** The rows of a table, split on runs of spaces (the header first). */
const rows = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/ {2,}/));

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

interface PodList {
  kind: string;
  items: Array<{ metadata: { name: string; deletionTimestamp?: string }; status?: { phase?: string } }>;
}

const livePods = async (): Promise<string[]> =>
  (JSON.parse(await ok(['get', 'pods', '-l', 'app=hello', '-o', 'json'])) as PodList).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);

const APP = `# the demo app: 3 echo pods and a NodePort Service
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels:
    app: hello
spec:
  replicas: 3
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
      - name: echo
        image: kemu/echo
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /readyz
            port: http
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  type: NodePort
  selector:
    app: hello
  ports:
  - name: http
    port: 80
    targetPort: http
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kemu-objects-'));
  const up = await kemuHere(['up', '--address-block', BLOCK], { timeoutMs: 120_000 });
  assert.equal(up.status, 0, show(up));
  upOk = true;
  writeFileSync(join(dir, 'app.yaml'), APP);
});

after(() => {
  if (dir) kemuSync(['down', '--state-dir', dir], 60_000);
  if (dir && !process.env['KEMU_KEEP_TEST_DATA']) rmSync(dir, { recursive: true, force: true });
});

test('apply creates a Deployment and a NodePort Service from one multi-document file; again, they are unchanged', async () => {
  assert.ok(upOk);
  const app = join(dir, 'app.yaml');
  assert.equal(await ok(['apply', '-f', app]), 'deployment.apps/hello created\nservice/hello created\n');
  assert.equal(await ok(['apply', '-f', app]), 'deployment.apps/hello unchanged\nservice/hello unchanged\n');
});

test('rollout status waits until the rollout is complete', async () => {
  const out = await ok(['rollout', 'status', 'deployment/hello', '--timeout', '90s']);
  assert.match(out, /deployment "hello" successfully rolled out\n$/);
  for (const line of out.trim().split('\n').slice(0, -1)) assert.match(line, /^Waiting for deployment/);
});

test('get prints kubectl tables, -o wide, -l, -o name, -o json and -o yaml', async () => {
  // Independent commands run side by side: each is a separate `kemu` process.
  const [deployOut, podsOut, svcOut, nodesOut, namesOut, listOut, oneOut, yamlOut, empty, missing] = await Promise.all([
    ok(['get', 'deploy']),
    ok(['get', 'pods', '-l', 'app=hello', '-o', 'wide']),
    ok(['get', 'svc']),
    ok(['get', 'nodes', '-o', 'wide']),
    ok(['get', 'pods', '-l', 'app=hello', '-o', 'name']),
    ok(['get', 'po', '-l', 'app=hello', '-o', 'json']),
    ok(['get', 'service/hello', '-o', 'json']),
    ok(['get', 'deployments.apps', 'hello', '-o', 'yaml']),
    kemuHere(['get', 'pods', '-l', 'app=nothing']),
    kemuHere(['get', 'pod', 'nope']),
  ]);
  const deploy = rows(deployOut);
  assert.deepEqual(deploy[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(deploy[1]?.slice(0, 4), ['hello', '3/3', '3', '3']);

  const pods = rows(podsOut);
  assert.deepEqual(pods[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
  assert.equal(pods.length, 4, pods.join('\n'));
  for (const p of pods.slice(1)) {
    assert.match(p[0]!, /^hello-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.deepEqual(p.slice(1, 3), ['1/1', 'Running']);
    assert.match(p[5]!, /^127\.61\.(129|130|131)\.\d+$/);
    assert.match(p[6]!, /^node-[123]$/);
  }

  const svc = rows(svcOut);
  assert.deepEqual(svc[0], ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  const hello = svc.find((r) => r[0] === 'hello');
  assert.ok(hello, svc.join('\n'));
  assert.equal(hello[1], 'NodePort');
  assert.match(hello[2]!, /^127\.61\.\d+\.\d+$/);
  assert.match(hello[4]!, /^80:3\d{4}\/TCP$/);
  assert.deepEqual(svc.find((r) => r[0] === 'kubernetes')?.slice(1, 2), ['ClusterIP']);

  const nodes = rows(nodesOut);
  assert.deepEqual(nodes[0]?.slice(0, 6), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP']);
  assert.deepEqual(nodes.slice(1).map((n) => [n[0], n[5]]), [1, 2, 3].map((i) => [`node-${i}`, `127.61.10.${i}`]));

  assert.deepEqual(namesOut.trim().split('\n').sort(), pods.slice(1).map((p) => `pod/${p[0]!}`).sort());

  const list = JSON.parse(listOut) as PodList;
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 3);
  const one = JSON.parse(oneOut) as { apiVersion: string; kind: string; spec: { ports: Array<{ nodePort: number }> } };
  assert.deepEqual([one.apiVersion, one.kind], ['v1', 'Service']);
  assert.ok(one.spec.ports[0]!.nodePort >= 30000 && one.spec.ports[0]!.nodePort <= 32767);
  assert.match(yamlOut, /^apiVersion: apps\/v1\nkind: Deployment\nmetadata:\n/);

  assert.equal(empty.status, 0, show(empty));
  assert.equal(empty.stderr, 'No resources found in default namespace.\n');
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): pods "nope" not found\n');
});

test('scale to 5 then to 2: the pods follow', async () => {
  assert.equal(await ok(['scale', 'deployment/hello', '--replicas=5']), 'deployment.apps/hello scaled\n');
  await ok(['rollout', 'status', 'deploy/hello', '--timeout', '90s']);
  assert.equal((await livePods()).length, 5);
  assert.equal(await ok(['scale', 'deploy', 'hello', '--replicas', '2']), 'deployment.apps/hello scaled\n');
  await eventually(async () => assert.equal((await livePods()).length, 2), 60_000, 500);
  assert.deepEqual(rows(await ok(['get', 'deploy', 'hello']))[1]?.slice(0, 2), ['hello', '2/2']);
  // The manifest says 3 replicas: applying it again puts them back, and says so.
  assert.equal(await ok(['apply', '-f', join(dir, 'app.yaml')]), 'deployment.apps/hello configured\nservice/hello unchanged\n');
  await ok(['rollout', 'status', 'deploy/hello', '--timeout', '90s']);
});

test('apply of a changed manifest configures the Service and keeps its allocated nodePort', async () => {
  const before = JSON.parse(await ok(['get', 'svc', 'hello', '-o', 'json'])) as { spec: { clusterIP: string; ports: Array<{ nodePort: number }> } };
  const changed = APP.replace('  name: hello\nspec:\n  type: NodePort', '  name: hello\n  labels:\n    tier: front\nspec:\n  type: NodePort');
  assert.notEqual(changed, APP);
  assert.equal(await ok(['apply', '-f', '-'], changed), 'deployment.apps/hello unchanged\nservice/hello configured\n');
  const afterApply = JSON.parse(await ok(['get', 'svc', 'hello', '-o', 'json'])) as typeof before & { metadata: { labels: Record<string, string> } };
  assert.equal(afterApply.metadata.labels['tier'], 'front');
  assert.equal(afterApply.spec.clusterIP, before.spec.clusterIP);
  assert.equal(afterApply.spec.ports[0]!.nodePort, before.spec.ports[0]!.nodePort);
});

test('expose --type=NodePort makes a Service that answers on a node IP', async () => {
  assert.equal(await ok(['expose', 'deployment', 'hello', '--port', '8081', '--target-port', '8080', '--type=NodePort', '--name', 'hello-np']), 'service/hello-np exposed\n');
  const svc = JSON.parse(await ok(['get', 'svc', 'hello-np', '-o', 'json'])) as { spec: { selector: Record<string, string>; type: string; ports: Array<{ port: number; targetPort: number; nodePort: number }> } };
  assert.deepEqual(svc.spec.selector, { app: 'hello' });
  assert.equal(svc.spec.type, 'NodePort');
  const port = svc.spec.ports[0]!;
  assert.deepEqual([port.port, port.targetPort], [8081, 8080]);
  const answer = await eventually(async () => JSON.parse(await httpGet(NODE_1_IP, port.nodePort)) as { pod: string; node: string }, 30_000, 250);
  assert.match(answer.pod, /^hello-/);
  assert.ok((await livePods()).includes(answer.pod), `${answer.pod} is one of the Deployment's pods`);
});

test('describe shows a Service with its endpoints, a Deployment with its ReplicaSet, a node with its pods', async () => {
  const pods = await eventually(async () => {
    const p = await livePods();
    assert.equal(p.length, 3);
    return p;
  }, 60_000, 500);
  const svc = await eventually(async () => {
    const text = await ok(['describe', 'svc', 'hello']);
    const endpoints = /^Endpoints:\s+(\S+)$/m.exec(text)?.[1] ?? '';
    assert.equal(endpoints.split(',').length, 3, text);
    return text;
  }, 30_000, 500);
  assert.match(svc, /^Name:\s+hello$/m);
  assert.match(svc, /^Type:\s+NodePort$/m);
  assert.match(svc, /^Endpoints:\s+(127\.61\.\d+\.\d+:8080,?){3}$/m);
  const [dep, pod, node] = await Promise.all([ok(['describe', 'deployment', 'hello']), ok(['describe', 'pod', pods[0]!]), ok(['describe', 'node', 'node-1'])]);
  assert.match(dep, /^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
  assert.match(dep, /^NewReplicaSet:\s+hello-[a-z0-9]+ \(3\/3 replicas created\)$/m);
  assert.match(pod, /^Controlled By:\s+ReplicaSet\/hello-/m);
  assert.match(pod, /^ {4}Readiness:\s+http-get http:\/\/:http\/readyz/m);
  assert.match(node, /^ {2}InternalIP:\s+127\.61\.10\.1$/m);
  assert.match(node, /^Non-terminated Pods:\s+\(\d+ in total\)$/m);
});

test('get -w prints the table, then a row per change, until killed', async () => {
  const live = await livePods();
  const child = spawn(process.execPath, [KEMU_CLI, 'get', 'pods', '-l', 'app=hello', '-w', '--state-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const names = (): string[] => rows(out).slice(1).map((r) => r[0] ?? '');
  try {
    await eventually(() => assert.ok(live.every((p) => names().includes(p)), out), 20_000, 100);
    assert.deepEqual(rows(out)[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const listed = new Set(names());
    assert.equal(await ok(['scale', 'deploy/hello', '--replicas=4']), 'deployment.apps/hello scaled\n');
    // The new pod appears in rows of its own, in the table's columns, until it is ready.
    await eventually(() => {
      const fresh = rows(out).slice(1).filter((r) => !listed.has(r[0] ?? ''));
      assert.ok(fresh.some((r) => r[1] === '1/1' && r[2] === 'Running' && /^hello-/.test(r[0] ?? '')), out);
    }, 30_000, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  await ok(['scale', 'deploy/hello', '--replicas=3']);
});

test('delete by kind and name and by kind/name; a deleted pod is replaced', async () => {
  assert.equal(await ok(['delete', 'svc', 'hello-np']), 'service "hello-np" deleted\n');
  const gone = await kemuHere(['get', 'svc/hello-np']);
  assert.equal(gone.status, 1);
  assert.equal(gone.stderr, 'Error from server (NotFound): services "hello-np" not found\n');
  const notThere = await kemuHere(['delete', 'svc', 'hello-np']);
  assert.equal(notThere.status, 1);
  assert.match(notThere.stderr, /^Error from server \(NotFound\): services "hello-np" not found\n$/);

  const [victim] = await livePods();
  assert.equal(await ok(['delete', `pod/${victim!}`, '--grace-period=1']), `pod "${victim!}" deleted\n`);
  await eventually(async () => {
    const now = await livePods();
    assert.ok(!now.includes(victim!));
    assert.equal(now.length, 3);
  }, 60_000, 500);
});

test('a file with a YAML error is reported as file:line:col and nothing in it is applied', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: yaml-ok\nspec:\n  ports:\n  - port: 80\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: yaml-bad\n   labels: {}\n');
  const r = await kemuHere(['apply', '-f', bad]);
  assert.equal(r.status, 1, show(r));
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.startsWith(`error: error parsing ${bad}:12:9: `), r.stderr);
  const none = await kemuHere(['get', 'svc', 'yaml-ok']);
  assert.equal(none.status, 1, 'the valid document before the error was not applied either');
});

test('an unknown kind and the apiserver\'s field errors are reported; the other documents still apply', async () => {
  const file = join(dir, 'mixed.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: v1\nkind: Foo\nmetadata:\n  name: foo\n',
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-port\nspec:\n  ports:\n  - port: 0\n    targetPort: 8080\n',
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: good\nspec:\n  selector:\n    app: hello\n  ports:\n  - port: 80\n    targetPort: 8080\n',
    ].join('---\n'),
  );
  const r = await kemuHere(['apply', '-f', file]);
  assert.equal(r.status, 1, show(r));
  assert.equal(r.stdout, 'service/good created\n');
  const errs = r.stderr.trim().split('\n');
  assert.ok(errs[0]!.startsWith(`error: resource mapping not found for name: "foo" namespace: "" from "${file}" (document 1, line 1): no matches for kind "Foo" in version "v1"`), r.stderr);
  assert.equal(errs[1], 'The Service "bad-port" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
  // delete -f fails on the same unknown kind, and deletes the rest.
  const del = await kemuHere(['delete', '-f', file, '--ignore-not-found']);
  assert.equal(del.status, 1);
  assert.equal(del.stdout, 'service "good" deleted\n');
});

test('unknown kinds and flags are usage errors', async () => {
  const [kind, flag, scale] = await Promise.all([kemuHere(['get', 'foos']), kemuHere(['get', 'pods', '--bogus']), kemuHere(['scale', 'svc/hello', '--replicas=2'])]);
  assert.equal(kind.status, 1);
  assert.equal(kind.stderr, 'error: the server doesn\'t have a resource type "foos"\n');
  assert.notEqual(flag.status, 0);
  assert.match(flag.stderr, /error: unknown option '--bogus'/);
  assert.equal(scale.status, 1);
  assert.match(scale.stderr, /cannot scale services/);
});

test('an unreachable apiserver is named, and the command fails within seconds', async () => {
  const started = Date.now();
  const r = await kemuHere(['get', 'pods', '--server', `${BLOCK}.250.250:6443`], { timeoutMs: 30_000 });
  assert.equal(r.status, 1, show(r));
  assert.equal(r.stderr, `The connection to the server ${BLOCK}.250.250:6443 was refused - is the cluster up? (kemu up)\n`);
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
});

test('delete -f removes what a manifest made', async () => {
  assert.equal(await ok(['delete', '-f', join(dir, 'app.yaml')]), 'deployment.apps "hello" deleted\nservice "hello" deleted\n');
  await eventually(async () => assert.deepEqual(await livePods(), []), 60_000, 500);
});
