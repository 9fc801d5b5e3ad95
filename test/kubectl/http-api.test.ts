import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { isApiError, Reason, type KubeClient, type Status } from '@kemu/api';
import { ControlPlane, eventually, TOKENS } from '../harness/index.js';
import { kubeRequest, type HttpsRequest, type HttpsResponse } from './https-request.js';
import { findKubectls, Kubectl, writeKubeconfig } from './kubectl.js';

const PREFIX = '127.72.1';
const kubectls = findKubectls();

const service = (name: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...extra } });

// The Kubernetes HTTP API at the wire: authentication, Status errors with the right codes
// for bad requests (and nothing written when a request fails), Table output, watch
// framing, the scale subresource. kubectl's view of the same errors where it has one.
describe('the Kubernetes HTTP API: errors, tables, watches', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let ca: string;
  let base: string;
  let dir: string;

  const call = (path: string, o: HttpsRequest = {}): Promise<HttpsResponse> => kubeRequest(`${base}${path}`, ca, { token: TOKENS.admin, ...o });
  const post = (path: string, body: string | Buffer, query = '', contentType = 'application/json'): Promise<HttpsResponse> =>
    call(`${path}${query}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  const status = (r: HttpsResponse): Status => {
    assert.equal(r.headers['content-type'], 'application/json');
    const s = r.json<Status>();
    assert.equal(s.kind, 'Status');
    assert.equal(s.apiVersion, 'v1');
    assert.equal(s.code, r.status);
    return s;
  };
  const absent = async (name: string): Promise<void> => {
    await assert.rejects(client.get('services', 'default', name), (e) => isApiError(e, Reason.NotFound), `${name} was not written`);
  };

  before(async () => {
    // Compaction every second: a continue token gets too old (410) within the test.
    cp = await ControlPlane.start({ ipPrefix: PREFIX, apiservers: 1, controllerManagers: 0, apiserverArgs: ['--compaction-interval', '1000'] });
    client = cp.client();
    ca = readFileSync(cp.restCertFile(0), 'utf8');
    base = cp.restUrl(0);
    dir = mkdtempSync(join(tmpdir(), 'kemu-http-api-'));
  });
  after(async () => {
    client?.close();
    await cp?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('401 without a valid bearer token; /version and /healthz are public', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const r = await kubeRequest(`${base}/api/v1/namespaces/default/services`, ca, token ? { token } : {});
      assert.equal(r.status, 401);
      assert.deepEqual(status(r), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    const v = await kubeRequest(`${base}/version`, ca);
    assert.equal(v.status, 200);
    assert.equal(v.json()['major'], '1');
    assert.equal((await kubeRequest(`${base}/healthz`, ca)).body, 'ok');
  });

  test('malformed JSON is 400 and writes nothing', async () => {
    const r = await post('/api/v1/namespaces/default/services', '{"apiVersion":"v1","kind":"Service","metadata":{"name":"broken"');
    assert.equal(r.status, 400);
    assert.equal(status(r).reason, 'BadRequest');
    assert.match(status(r).message ?? '', /json parse error/);
    await absent('broken');
  });

  test('a wrong apiVersion or kind for the URL is 400', async () => {
    const deploy = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'mixed' } });
    const a = await post('/api/v1/namespaces/default/services', deploy);
    assert.equal(a.status, 400);
    assert.equal(status(a).message, 'the API version in the data ("apps/v1") does not match the expected API version (v1)');
    const b = await post('/api/v1/namespaces/default/services', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mixed' } }));
    assert.equal(b.status, 400);
    assert.equal(status(b).message, 'the kind in the data ("Pod") does not match the expected kind (Service)');
    await absent('mixed');
  });

  test('unknown fields: Strict rejects them; the default drops them with a Warning header', async () => {
    const body = service('strictly', { bogus: true, sessionAffinityConfig: { clientIP: { timeoutSeconds: 60, extra: 'x' } } });
    const strict = await post('/api/v1/namespaces/default/services', body, '?fieldValidation=Strict');
    assert.equal(strict.status, 400);
    assert.equal(
      status(strict).message,
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.bogus", unknown field "spec.sessionAffinityConfig.clientIP.extra"',
    );
    await absent('strictly');
    const warned = await post('/api/v1/namespaces/default/services', body);
    assert.equal(warned.status, 201);
    assert.deepEqual(warned.headers['warning'], '299 - "unknown field \\"spec.bogus\\"", 299 - "unknown field \\"spec.sessionAffinityConfig.clientIP.extra\\""');
    const stored = await client.get('services', 'default', 'strictly');
    assert.equal((stored.spec as Record<string, unknown>)['bogus'], undefined);
  });

  test('an oversized body is 413 and writes nothing', async () => {
    const big = service('huge', {}).replace('"metadata":{', `"metadata":{"annotations":{"blob":"${'x'.repeat(4 * 1024 * 1024)}"},`);
    const r = await post('/api/v1/namespaces/default/services', big);
    assert.equal(r.status, 413);
    assert.deepEqual(status(r), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Request entity too large: limit is 3145728', reason: 'RequestEntityTooLarge', code: 413 });
    await absent('huge');
  });

  test('404 NotFound, 409 AlreadyExists and Conflict, 422 Invalid with field causes', async () => {
    const missing = await call('/api/v1/namespaces/default/services/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(status(missing).details, { name: 'nope', kind: 'services' });
    assert.equal(status(missing).message, 'services "nope" not found');
    const noResource = await call('/apis/batch/v1/namespaces/default/jobs');
    assert.equal(noResource.status, 404);
    assert.equal(status(noResource).message, 'the server could not find the requested resource');

    assert.equal((await post('/api/v1/namespaces/default/services', service('twice'))).status, 201);
    const again = await post('/api/v1/namespaces/default/services', service('twice'));
    assert.equal(again.status, 409);
    assert.equal(status(again).reason, 'AlreadyExists');
    const cur = (await call('/api/v1/namespaces/default/services/twice')).json<{ metadata: { resourceVersion: string } }>();
    const put = (rv: string): Promise<HttpsResponse> =>
      call('/api/v1/namespaces/default/services/twice', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...JSON.parse(service('twice')), metadata: { name: 'twice', resourceVersion: rv, labels: { v: rv } } }),
      });
    assert.equal((await put(cur.metadata.resourceVersion)).status, 200);
    const stale = await put(cur.metadata.resourceVersion);
    assert.equal(stale.status, 409);
    assert.equal(status(stale).reason, 'Conflict');

    const invalid = await post('/api/v1/namespaces/default/services', service('bad-port', { type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }));
    assert.equal(invalid.status, 422);
    const s = status(invalid);
    assert.equal(s.reason, 'Invalid');
    assert.equal(s.message, 'Service "bad-port" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767');
    assert.deepEqual(s.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767', field: 'spec.ports[0].nodePort' }]);
    await absent('bad-port');
  });

  test('patches: merge, JSON patch and strategic merge; a patch that does not apply is 422; apply-patch is 415', async () => {
    await post('/api/v1/namespaces/default/services', service('patched'));
    const patch = (type: string, body: unknown): Promise<HttpsResponse> =>
      call('/api/v1/namespaces/default/services/patched', { method: 'PATCH', headers: { 'content-type': type }, body: JSON.stringify(body) });
    assert.equal((await patch('application/merge-patch+json', { metadata: { labels: { a: '1' } } })).status, 200);
    assert.equal((await patch('application/json-patch+json', [{ op: 'add', path: '/metadata/labels/b', value: '2' }])).status, 200);
    const smp = await patch('application/strategic-merge-patch+json', { spec: { ports: [{ port: 81, name: 'alt' }, { port: 80, name: 'http' }] } });
    assert.equal(smp.status, 200);
    const svc = await client.get('services', 'default', 'patched');
    assert.deepEqual(svc.metadata?.labels, { a: '1', b: '2' });
    assert.deepEqual(svc.spec?.ports?.map((p) => [p.port, p.name]), [[80, 'http'], [81, 'alt']], 'service ports merge by port');
    const failed = await patch('application/json-patch+json', [{ op: 'replace', path: '/spec/nothing', value: 1 }]);
    assert.equal(failed.status, 422);
    assert.match(status(failed).details?.causes?.[0]?.message ?? '', /missing/);
    assert.equal((await patch('application/merge-patch+json', { spec: { type: 'LoadBalancer' } })).status, 200);
    const statusPatch = await call('/api/v1/namespaces/default/services/patched/status', {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '127.72.40.1', ipMode: 'VIP' }] } }, spec: { ports: null } }),
    });
    assert.equal(statusPatch.status, 200);
    const afterStatus = await client.get('services', 'default', 'patched');
    assert.equal(afterStatus.status?.loadBalancer?.ingress?.[0]?.ip, '127.72.40.1', 'the status subresource writes status');
    assert.equal(afterStatus.spec?.ports?.length, 2, '... and nothing else');
    await patch('application/merge-patch+json', { status: { loadBalancer: null } });
    assert.equal((await client.get('services', 'default', 'patched')).status?.loadBalancer?.ingress?.[0]?.ip, '127.72.40.1', 'the main resource does not write status');
    const apply = await patch('application/apply-patch+yaml', {});
    assert.equal(apply.status, 415);
    assert.equal(status(apply).reason, 'UnsupportedMediaType');
  });

  test('Table output with the usual columns, and limit/continue paging', async () => {
    const r = await call('/api/v1/namespaces/default/services?limit=2', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    assert.equal(r.status, 200);
    const t = r.json<{ kind: string; apiVersion: string; columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: { kind: string } }[]; metadata: { continue?: string } }>();
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    assert.equal(t.rows.length, 2);
    assert.equal(t.rows[0]?.object.kind, 'PartialObjectMetadata');
    assert.ok(t.metadata.continue);
    const names: string[] = [];
    let cont = '';
    do {
      const page = (await call(`/api/v1/namespaces/default/services?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).json<{ kind: string; items: { metadata: { name: string } }[]; metadata: { continue?: string } }>();
      assert.equal(page.kind, 'ServiceList');
      names.push(...page.items.map((i) => i.metadata.name));
      cont = page.metadata.continue ?? '';
    } while (cont);
    const all = (await client.list('services', { namespace: 'default' })).items.map((s) => s.metadata?.name);
    assert.deepEqual(names, all);
  });

  test('watch: one JSON event per line, and bookmarks', async () => {
    const list = (await call('/api/v1/namespaces/default/services')).json<{ metadata: { resourceVersion: string } }>();
    const watching = call(`/api/v1/namespaces/default/services?watch=1&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}`, { readMs: 4_000 });
    await new Promise((r) => setTimeout(r, 500));
    await post('/api/v1/namespaces/default/services', service('watched'));
    const lines = (await watching).body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { name?: string; resourceVersion: string } } });
    const added = lines.find((e) => e.type === 'ADDED');
    assert.equal(added?.object.kind, 'Service');
    assert.equal(added?.object.metadata.name, 'watched');
    const bookmark = lines.find((e) => e.type === 'BOOKMARK');
    assert.ok(bookmark, 'a bookmark within the bookmark interval');
    assert.deepEqual(Object.keys(bookmark.object.metadata), ['resourceVersion']);
  });

  test('410 Expired for a continue token older than the last compaction', async () => {
    for (const name of ['paged-a', 'paged-b']) await post('/api/v1/namespaces/default/services', service(name));
    const first = (await call('/api/v1/namespaces/default/services?limit=1')).json<{ metadata: { continue: string } }>();
    assert.ok(first.metadata.continue);
    // Writes move the revision on; two compaction rounds later the token's revision is gone.
    let i = 0;
    const r = await eventually(async () => {
      await post('/api/v1/namespaces/default/services', service(`later-${i++}`));
      const page = await call(`/api/v1/namespaces/default/services?limit=1&continue=${encodeURIComponent(first.metadata.continue)}`);
      assert.equal(page.status, 410);
      return page;
    }, 30_000, 500);
    assert.equal(status(r).reason, 'Expired');
    assert.match(status(r).message ?? '', /continue parameter is too old/);
  });

  test('@kubernetes/client-node lists and watches Services and EndpointSlices', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'kemu', server: base, caData: Buffer.from(ca).toString('base64'), skipTLSVerify: false }],
      users: [{ name: 'admin', token: TOKENS.admin }],
      contexts: [{ name: 'kemu', cluster: 'kemu', user: 'admin', namespace: 'default' }],
      currentContext: 'kemu',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    const services = await core.listNamespacedService({ namespace: 'default' });
    assert.ok(services.items.some((s) => s.metadata?.name === 'kubernetes'));
    assert.ok(services.metadata?.resourceVersion);
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: 'default' });
    const apiSlice = slices.items.find((s) => s.metadata?.name === 'kubernetes');
    assert.deepEqual(apiSlice?.endpoints.map((e) => e.addresses).flat(), [`${PREFIX}.11`], 'the kubernetes EndpointSlice names the apiserver');

    const seen: { what: string; type: string; name: string }[] = [];
    const watch = new k8s.Watch(kc);
    const done: unknown[] = [];
    const svcWatch = await watch.watch('/api/v1/namespaces/default/services', { resourceVersion: services.metadata?.resourceVersion ?? '' },
      (type, obj: k8s.V1Service) => seen.push({ what: 'svc', type, name: obj.metadata?.name ?? '' }), (err) => done.push(err));
    const sliceWatch = await watch.watch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { resourceVersion: slices.metadata?.resourceVersion ?? '' },
      (type, obj: k8s.V1EndpointSlice) => seen.push({ what: 'slice', type, name: obj.metadata?.name ?? '' }), (err) => done.push(err));
    try {
      await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'from-js' }, spec: { selector: { app: 'js' }, ports: [{ port: 8080 }] } } });
      await client.create('endpointslices', {
        metadata: { name: 'from-js-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'from-js' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.72.30.1'], conditions: { ready: true } }],
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      });
      await core.deleteNamespacedService({ name: 'from-js', namespace: 'default' });
      await eventually(() => {
        assert.deepEqual(seen.filter((e) => e.name.startsWith('from-js')), [
          { what: 'svc', type: 'ADDED', name: 'from-js' },
          { what: 'slice', type: 'ADDED', name: 'from-js-abc' },
          { what: 'svc', type: 'DELETED', name: 'from-js' },
        ]);
      }, 20_000);
      const got = await discovery.readNamespacedEndpointSlice({ name: 'from-js-abc', namespace: 'default' });
      assert.equal(got.endpoints[0]?.conditions?.ready, true);
    } finally {
      svcWatch.abort();
      sliceWatch.abort();
    }
  });

  test('kubectl: unknown fields, wrong credentials', { skip: kubectls.length === 0 ? 'no kubectl on this machine' : false }, async () => {
    const k = new Kubectl(kubectls[0]!, writeKubeconfig(dir, base, cp.restCertFile(0), TOKENS.admin), dir);
    const file = join(dir, 'bogus.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bogus\nspec:\n  bogus: 1\n  ports:\n  - port: 80\n');
    // kubectl validates on the server with fieldValidation=Strict (1.25+) or on the client
    // against /openapi/v2 (older): either way it names the field and creates nothing.
    assert.match(await k.fails(['create', '-f', file]), /unknown field "(spec\.)?bogus"/);
    await absent('bogus');
    const wrong = new Kubectl(kubectls[0]!, writeKubeconfig(mkdtempSync(join(dir, 'wrong-')), base, cp.restCertFile(0), 'not-a-token'), dir);
    assert.match(await wrong.fails(['get', 'svc']), /Unauthorized/);
  });
});
