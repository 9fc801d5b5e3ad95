import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import type { KubeClient, Service } from '@kemu/api';
import { ControlPlane, eventually, FakeNodeAgent, readyPodIPs, sliceAddresses, TOKENS } from '../harness/index.js';
import { findKubectls, Kubectl, rowOf, tableRows, writeKubeconfig } from './kubectl.js';

const PREFIX = '127.70.1';
const kubectls = findKubectls();

// kubectl's read side against kemu's Kubernetes HTTP API: get with its usual columns in
// every output format, get -w, describe, and the small writes that go with reading
// (label, annotate, cordon). One kubectl: the first one found (see findKubectls).
describe('kubectl get, describe, label, cordon', { skip: kubectls.length === 0 ? 'no kubectl on this machine' : false }, () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;
  let k: Kubectl;
  const nodes: FakeNodeAgent[] = [];
  const watchers: ChildProcess[] = [];

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: PREFIX, apiservers: 1, controllerManagers: 1, controllerManagerArgs: ['--node-monitor-grace-period', '20s'] });
    client = cp.client();
    for (let i = 1; i <= 2; i++) {
      const node = new FakeNodeAgent(cp.client(TOKENS.node), { name: `node-${i}`, zone: `zone-${i}`, nodeIP: `${PREFIX}.${100 + i}`, podPrefix: `127.70.${10 + i}`, renewMs: 300 });
      await node.start();
      nodes.push(node);
    }
    dir = mkdtempSync(join(tmpdir(), 'kemu-kubectl-get-'));
    k = new Kubectl(kubectls[0]!, writeKubeconfig(dir, cp.restUrl(0), cp.restCertFile(0), TOKENS.admin), dir);
    await k.ok(['create', 'deployment', 'web', '--image=kemu/echo', '--replicas=2', '--port=8080']);
    await k.ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
    await eventually(async () => {
      assert.equal((await readyPodIPs(client, 'default', 'app=web')).length, 2);
      assert.equal((await sliceAddresses(client, 'default', 'web')).ready.length, 2);
    }, 60_000);
  });
  after(async () => {
    for (const w of watchers) w.kill('SIGKILL');
    for (const n of nodes) n.stop();
    client?.close();
    await cp?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('get nodes -o wide: status, roles, internal IP', async () => {
    const out = await k.ok(['get', 'nodes', '-o', 'wide']);
    assert.deepEqual(tableRows(out)[0], ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    const n1 = rowOf(out, 'node-1');
    assert.equal(n1?.['STATUS'], 'Ready');
    assert.equal(n1?.['ROLES'], '<none>');
    assert.equal(n1?.['INTERNAL-IP'], `${PREFIX}.101`);
  });

  test('get pods, replica sets and deployments, plain and wide', async () => {
    const pods = await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'wide']);
    const [header, ...rows] = tableRows(pods);
    assert.deepEqual(header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.equal(rows.length, 2);
    const ips = await readyPodIPs(client, 'default', 'app=web');
    for (const r of rows) {
      assert.equal(r[2], 'Running');
      assert.ok(ips.includes(r[5]!), `pod IP ${r[5]} is a ready pod's`);
      assert.match(r[6]!, /^node-[12]$/);
    }
    const deploy = rowOf(await k.ok(['get', 'deploy']), 'web');
    assert.deepEqual([deploy?.['READY'], deploy?.['UP-TO-DATE'], deploy?.['AVAILABLE']], ['2/2', '2', '2']);
    const rsWide = await k.ok(['get', 'rs', '-o', 'wide']);
    assert.deepEqual(tableRows(rsWide)[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const rs = tableRows(rsWide)[1]!;
    assert.match(rs[0]!, /^web-[a-z0-9]+$/);
    assert.deepEqual(rs.slice(1, 4), ['2', '2', '2']);
    assert.equal(rs[6], 'kemu/echo');
    assert.match(rs[7]!, /^app=web,pod-template-hash=/);
  });

  test('get svc, endpoints and endpointslices', async () => {
    const svc = await client.get('services', 'default', 'web');
    const svcRow = rowOf(await k.ok(['get', 'svc', '-o', 'wide']), 'web');
    assert.deepEqual(svcRow, { NAME: 'web', TYPE: 'ClusterIP', 'CLUSTER-IP': svc.spec?.clusterIP ?? '', 'EXTERNAL-IP': '<none>', 'PORT(S)': '80/TCP', AGE: svcRow?.['AGE'] ?? '', SELECTOR: 'app=web' });
    const ips = (await readyPodIPs(client, 'default', 'app=web')).sort();
    const ep = rowOf(await k.ok(['get', 'endpoints', 'web']), 'web');
    assert.deepEqual(ep?.['ENDPOINTS']?.split(',').sort(), ips.map((ip) => `${ip}:8080`).sort());
    const slices = tableRows(await k.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']));
    assert.deepEqual(slices[0], ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    assert.equal(slices[1]?.[1], 'IPv4');
    assert.equal(slices[1]?.[2], '8080');
    assert.deepEqual(slices[1]?.[3]?.split(',').sort(), ips);
  });

  test('-o json and -o yaml carry the stored objects', async () => {
    const list = JSON.parse(await k.ok(['get', 'deploy,svc', '-o', 'json'])) as { kind: string; items: { kind: string; metadata: { name: string; uid: string } }[] };
    assert.equal(list.kind, 'List');
    const stored = await client.get('deployments', 'default', 'web');
    const deploy = list.items.find((i) => i.kind === 'Deployment' && i.metadata.name === 'web');
    assert.equal(deploy?.metadata.uid, stored.metadata?.uid);
    assert.ok(list.items.some((i) => i.kind === 'Service' && i.metadata.name === 'kubernetes'));
    const yaml = parseYaml(await k.ok(['get', 'svc', 'web', '-o', 'yaml'])) as Service;
    assert.equal(yaml.kind, 'Service');
    assert.deepEqual(yaml.spec?.selector, { app: 'web' });
    assert.equal(yaml.metadata?.resourceVersion, (await client.get('services', 'default', 'web')).metadata?.resourceVersion);
    const names = await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name']);
    assert.equal(names.trim().split('\n').filter((l) => l.startsWith('pod/web-')).length, 2);
    const nodeList = JSON.parse(await k.ok(['get', 'nodes', '-o', 'json'])) as { items: unknown[] };
    assert.equal(nodeList.items.length, 2);
  });

  test('get -w prints rows as Services come and change', async () => {
    const w = k.start(['get', 'svc', '-w']);
    watchers.push(w.child);
    await eventually(() => assert.match(w.output(), /^kubernetes\s/m), 30_000);
    await client.create('services', { metadata: { name: 'watched', namespace: 'default' }, spec: { selector: { app: 'x' }, ports: [{ port: 81 }] } });
    await eventually(() => assert.match(w.output(), /^watched\s+ClusterIP\s+127\.96\.\d+\.\d+\s+<none>\s+81\/TCP/m), 30_000);
    await client.patch('services', 'default', 'watched', { spec: { type: 'NodePort' } });
    await eventually(() => assert.match(w.output(), /^watched\s+NodePort\s+\S+\s+<none>\s+81:3\d{4}\/TCP/m), 30_000);
    w.child.kill('SIGKILL');
  });

  test('describe svc, pod, node and deploy', async () => {
    const svc = await k.ok(['describe', 'svc', 'web']);
    assert.match(svc, /^Name:\s+web$/m);
    assert.match(svc, /^Selector:\s+app=web$/m);
    assert.match(svc, /^TargetPort:\s+8080\/TCP$/m);
    const ips = await readyPodIPs(client, 'default', 'app=web');
    for (const ip of ips) assert.ok(svc.includes(`${ip}:8080`), `describe svc lists endpoint ${ip}:8080`);
    const pod = (await client.list('pods', { namespace: 'default', labelSelector: 'app=web' })).items[0]!;
    const podText = await k.ok(['describe', 'pod', pod.metadata?.name ?? '']);
    assert.match(podText, new RegExp(`^Node:\\s+${pod.spec?.nodeName}/${PREFIX.replace(/\./g, '\\.')}\\.10[12]$`, 'm'));
    assert.match(podText, /^Controlled By:\s+ReplicaSet\/web-/m);
    assert.match(podText, /^\s+Image:\s+kemu\/echo$/m);
    const node = await k.ok(['describe', 'node', 'node-1']);
    assert.match(node, /^Name:\s+node-1$/m);
    assert.match(node, /topology\.kubernetes\.io\/zone=zone-1/);
    assert.match(node, /^\s+InternalIP:\s+127\.70\.1\.101$/m);
    assert.match(node, /^\s+HolderIdentity:\s+node-1$/m, 'the node Lease from kube-node-lease');
    const deploy = await k.ok(['describe', 'deploy', 'web']);
    assert.match(deploy, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);
    assert.match(deploy, /^NewReplicaSet:\s+web-\S+ \(2\/2 replicas created\)$/m);
  });

  test('explain reads the OpenAPI document', async () => {
    const out = await k.ok(['explain', 'deployment.spec.strategy']);
    assert.match(out, /^KIND:\s+Deployment$/m);
    assert.match(out, /^\s+rollingUpdate\s+<(Object|RollingUpdateDeployment)>$/m);
    assert.match(out, /^\s+type\s+<string>$/m);
  });

  test('label and annotate', async () => {
    assert.match(await k.ok(['label', 'svc', 'web', 'tier=front']), /^service\/web labeled$/m);
    assert.match(await k.ok(['annotate', 'svc', 'web', 'kemu.io/note=hello world']), /^service\/web annotated$/m);
    let svc = await client.get('services', 'default', 'web');
    assert.equal(svc.metadata?.labels?.['tier'], 'front');
    assert.equal(svc.metadata?.annotations?.['kemu.io/note'], 'hello world');
    await k.ok(['label', 'svc', 'web', 'tier-']);
    svc = await client.get('services', 'default', 'web');
    assert.equal(svc.metadata?.labels?.['tier'], undefined);
    assert.equal(svc.metadata?.labels?.['app'], 'web');
    assert.match(await k.ok(['get', 'svc', 'web', '--show-labels']), /\bapp=web\s*$/m);
  });

  test('cordon and uncordon', async () => {
    assert.match(await k.ok(['cordon', 'node-2']), /^node\/node-2 cordoned$/m);
    assert.equal((await client.get('nodes', '', 'node-2')).spec?.unschedulable, true);
    assert.equal(rowOf(await k.ok(['get', 'nodes']), 'node-2')?.['STATUS'], 'Ready,SchedulingDisabled');
    assert.match(await k.ok(['uncordon', 'node-2']), /^node\/node-2 uncordoned$/m);
    assert.notEqual((await client.get('nodes', '', 'node-2')).spec?.unschedulable, true);
  });
});
