import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isApiError, Reason, type KubeClient } from '@kemu/api';
import { ControlPlane, eventually, FakeNodeAgent, readyPodIPs, TOKENS } from '../harness/index.js';
import { findKubectls, Kubectl, rowOf, tableRows, writeKubeconfig } from './kubectl.js';

const PREFIX = '127.71.1';
const LB_POOL = '127.71.50.1-127.71.50.3';
const kubectls = findKubectls();

function manifest(name: string, replicas: number, image: string, containers: string[] = ['main']): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
${containers.map((c) => `      - name: ${c}\n        image: ${image}\n        ports:\n        - containerPort: 8080`).join('\n')}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
  - port: 80
    targetPort: 8080
`;
}

// kubectl's write side against kemu: apply (create, then update through a strategic
// merge patch), create deployment, expose, scale, rollout status, edit and delete, with
// the first kubectl found; then a round of the same verbs with every other kubectl
// version on the machine (kubectl 1.32+ sends typed creates as protobuf).
describe('kubectl apply, create, expose, scale, rollout, edit, delete', { skip: kubectls.length === 0 ? 'no kubectl on this machine' : false }, () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;
  let k: Kubectl;
  let kubeconfig: string;
  const nodes: FakeNodeAgent[] = [];

  before(async () => {
    cp = await ControlPlane.start({
      ipPrefix: PREFIX,
      apiservers: 1,
      controllerManagers: 1,
      controllerManagerArgs: ['--node-monitor-grace-period', '20s', '--load-balancer-pool', LB_POOL],
    });
    client = cp.client();
    for (let i = 1; i <= 2; i++) {
      const node = new FakeNodeAgent(cp.client(TOKENS.node), { name: `node-${i}`, zone: `zone-${i}`, nodeIP: `${PREFIX}.${100 + i}`, podPrefix: `127.71.${10 + i}`, renewMs: 300 });
      await node.start();
      nodes.push(node);
    }
    dir = mkdtempSync(join(tmpdir(), 'kemu-kubectl-write-'));
    kubeconfig = writeKubeconfig(dir, cp.restUrl(0), cp.restCertFile(0), TOKENS.admin);
    k = new Kubectl(kubectls[0]!, kubeconfig, dir);
  });
  after(async () => {
    for (const n of nodes) n.stop();
    client?.close();
    await cp?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('apply creates, then updates what changed (a container removed, replicas), then is a no-op', async () => {
    const file = join(dir, 'api.yaml');
    writeFileSync(file, manifest('api', 2, 'kemu/echo', ['main', 'side']));
    const created = await k.ok(['apply', '-f', file]);
    assert.match(created, /^deployment\.apps\/api created$/m);
    assert.match(created, /^service\/api created$/m);
    await eventually(async () => assert.equal((await readyPodIPs(client, 'default', 'app=api')).length, 2), 60_000);
    const before = await client.get('deployments', 'default', 'api');
    writeFileSync(file, manifest('api', 1, 'kemu/echo', ['main']));
    const updated = await k.ok(['apply', '-f', file]);
    assert.match(updated, /^deployment\.apps\/api configured$/m);
    assert.match(updated, /^service\/api unchanged$/m);
    const after = await client.get('deployments', 'default', 'api');
    assert.equal(after.metadata?.uid, before.metadata?.uid);
    assert.equal(after.spec?.replicas, 1);
    assert.deepEqual(after.spec?.template?.spec?.containers?.map((c) => c.name), ['main'], 'the removed container is gone (merge by name, driven by last-applied)');
    assert.ok(after.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    assert.match(await k.ok(['apply', '-f', file]), /^deployment\.apps\/api unchanged$/m);
  });

  test('create deployment, expose it as NodePort and LoadBalancer', async () => {
    assert.match(await k.ok(['create', 'deployment', 'shop', '--image=kemu/echo', '--replicas=2', '--port=8080']), /^deployment\.apps\/shop created$/m);
    assert.match(await k.ok(['expose', 'deployment', 'shop', '--name=shop-np', '--port=80', '--target-port=8080', '--type=NodePort']), /^service\/shop-np exposed$/m);
    assert.match(await k.ok(['expose', 'deployment', 'shop', '--name=shop-lb', '--port=80', '--target-port=8080', '--type=LoadBalancer']), /^service\/shop-lb exposed$/m);
    const np = await client.get('services', 'default', 'shop-np');
    const nodePort = np.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    assert.deepEqual(np.spec?.selector, { app: 'shop' });
    assert.equal(rowOf(await k.ok(['get', 'svc', 'shop-np']), 'shop-np')?.['PORT(S)'], `80:${nodePort}/TCP`);
    const lb = await eventually(async () => {
      const row = rowOf(await k.ok(['get', 'svc', 'shop-lb']), 'shop-lb');
      assert.match(row?.['EXTERNAL-IP'] ?? '', /^127\.71\.50\.[1-3]$/);
      return row;
    }, 30_000);
    assert.equal(lb?.['TYPE'], 'LoadBalancer');
    assert.match(lb?.['PORT(S)'] ?? '', /^80:3\d{4}\/TCP$/);
  });

  test('scale, then rollout status waits for the new template', async () => {
    assert.match(await k.ok(['scale', 'deployment', 'shop', '--replicas=3']), /^deployment\.apps\/shop scaled$/m);
    assert.equal((await client.get('deployments', 'default', 'shop')).spec?.replicas, 3);
    const status = await k.ok(['rollout', 'status', 'deployment/shop', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.match(status, /deployment "shop" successfully rolled out/);
    assert.equal((await readyPodIPs(client, 'default', 'app=shop')).length, 3);
    await k.ok(['set', 'image', 'deployment/shop', 'echo=kemu/tcp-echo']);
    const rolled = await k.ok(['rollout', 'status', 'deployment/shop', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.match(rolled, /deployment "shop" successfully rolled out/);
    const pods = (await client.list('pods', { namespace: 'default', labelSelector: 'app=shop' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    assert.ok(pods.length >= 3);
    assert.ok(pods.every((p) => p.spec?.containers?.[0]?.image === 'kemu/tcp-echo'));
    assert.match(await k.ok(['scale', 'deployment', 'shop', '--replicas=0']), /scaled/);
    await eventually(async () => assert.equal(tableRows(await k.ok(['get', 'deploy', 'shop']))[1]?.[1], '0/0'), 60_000, 500);
  });

  test('edit with a scripted EDITOR', async () => {
    const editor = join(dir, 'editor.mjs');
    writeFileSync(
      editor,
      `#!${process.execPath}\nimport { readFileSync, writeFileSync } from 'node:fs';\nconst f = process.argv[2];\nwriteFileSync(f, readFileSync(f, 'utf8').replace('sessionAffinity: None', 'sessionAffinity: ClientIP'));\n`,
    );
    chmodSync(editor, 0o755);
    assert.match(await k.ok(['edit', 'svc', 'api'], { env: { EDITOR: editor, KUBE_EDITOR: editor } }), /^service\/api edited$/m);
    const svc = await client.get('services', 'default', 'api');
    assert.equal(svc.spec?.sessionAffinity, 'ClientIP');
    assert.equal(svc.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds, 10800, 'defaulted by the apiserver');
  });

  test('delete: objects go, dependents are garbage-collected; --cascade=orphan keeps them', async () => {
    assert.match(await k.ok(['delete', 'deployment', 'api']), /^deployment\.apps "api" deleted$/m);
    await assert.rejects(client.get('deployments', 'default', 'api'), (e) => isApiError(e, Reason.NotFound));
    await eventually(async () => assert.equal((await client.list('replicasets', { namespace: 'default', labelSelector: 'app=api' })).items.length, 0), 60_000);
    const rs = (await client.list('replicasets', { namespace: 'default', labelSelector: 'app=shop' })).items;
    assert.ok(rs.length > 0);
    await k.ok(['delete', 'deployment', 'shop', '--cascade=orphan']);
    await assert.rejects(client.get('deployments', 'default', 'shop'), (e) => isApiError(e, Reason.NotFound));
    // The deployment controller may have pruned old revisions meanwhile; what is left is orphaned.
    const kept = (await client.list('replicasets', { namespace: 'default', labelSelector: 'app=shop' })).items;
    assert.ok(kept.some((r) => rs.some((x) => x.metadata?.uid === r.metadata?.uid)));
    for (const r of kept) assert.equal(r.metadata?.ownerReferences, undefined, 'orphaned: no owner reference left');
    assert.match(await k.ok(['delete', 'svc', 'api', 'shop-np', 'shop-lb']), /^service "shop-lb" deleted$/m);
    assert.equal(rowOf(await k.ok(['get', 'svc']), 'api'), undefined);
  });

  for (const bin of kubectls.slice(1)) {
    test(`kubectl ${bin.version}: apply, create, scale, label, get, delete`, async () => {
      const kv = new Kubectl(bin, kubeconfig, dir);
      const name = `v${bin.version.replace('.', '-')}`;
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, manifest(name, 1, 'kemu/echo'));
      assert.match(await kv.ok(['apply', '-f', file]), new RegExp(`^deployment\\.apps/${name} created$`, 'm'));
      writeFileSync(file, manifest(name, 2, 'kemu/echo'));
      assert.match(await kv.ok(['apply', '-f', file]), new RegExp(`^deployment\\.apps/${name} configured$`, 'm'));
      assert.equal((await client.get('deployments', 'default', name)).spec?.replicas, 2);
      assert.match(await kv.ok(['create', 'deployment', `${name}-c`, '--image=kemu/echo']), /created/);
      assert.match(await kv.ok(['scale', 'deployment', `${name}-c`, '--replicas=2']), /scaled/);
      assert.equal((await client.get('deployments', 'default', `${name}-c`)).spec?.replicas, 2);
      await kv.ok(['label', 'deployment', `${name}-c`, 'checked=yes']);
      assert.equal(rowOf(await kv.ok(['get', 'deploy', '-l', 'checked=yes']), `${name}-c`)?.['NAME'], `${name}-c`);
      assert.equal(rowOf(await kv.ok(['get', 'nodes', '-o', 'wide']), 'node-1')?.['INTERNAL-IP'], `${PREFIX}.101`);
      await kv.ok(['delete', '-f', file]);
      await kv.ok(['delete', 'deployment', `${name}-c`]);
      await assert.rejects(client.get('deployments', 'default', name), (e) => isApiError(e, Reason.NotFound));
    });
  }
});
