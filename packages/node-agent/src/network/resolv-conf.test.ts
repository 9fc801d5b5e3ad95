import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterResolvConf, clusterSearches, ResolvConfError, writeNodeResolvConf } from './resolv-conf.js';

test('a ClusterFirst pod gets its namespace searches, the cluster DNS and ndots:5', () => {
  assert.equal(
    clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'shop', clusterDomain: 'cluster.local' }),
    'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
  );
});

test('host searches follow the cluster ones, without duplicates or trailing dots', () => {
  assert.equal(
    clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'default', clusterDomain: 'cluster.local', searches: ['cluster.local.', 'corp.example', 'corp.example'], ndots: 2 }),
    'search default.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:2\n',
  );
});

test('without a cluster domain only the host searches remain; no search line when there are none', () => {
  assert.equal(clusterResolvConf({ nameserver: 'fd00::a', namespace: 'default', clusterDomain: '', searches: ['corp.example'] }), 'search corp.example\nnameserver fd00::a\noptions ndots:5\n');
  assert.equal(clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'default', clusterDomain: '' }), 'nameserver 10.96.0.10\noptions ndots:5\n');
});

test('the search list keeps the kubelet limits: 32 paths, 253 chars each, 2048 in all', () => {
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const paths = clusterSearches('ns', 'cluster.local', many);
  assert.equal(paths.length, 32);
  assert.equal(paths[3], 'd0.example');
  const long = 'a'.repeat(254);
  assert.deepEqual(clusterSearches('ns', 'cluster.local', [long, 'ok.example']), ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'ok.example']);
  const wide = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'b'.repeat(150)}`);
  const cut = clusterSearches('ns', 'cluster.local', wide);
  assert.ok(cut.join(' ').length <= 2048);
  assert.ok(cut.length < 23 && cut.length > 3);
  assert.equal(cut[cut.length - 1], wide[cut.length - 4], 'cut from the end');
});

test('bad input names the field', () => {
  assert.throws(() => clusterResolvConf({ nameserver: 'kube-dns', namespace: 'default', clusterDomain: 'cluster.local' }), (err: unknown) => err instanceof ResolvConfError && /nameserver: Invalid value: "kube-dns"/.test(err.message));
  assert.throws(() => clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'default', clusterDomain: 'cluster.local', ndots: 16 }), /ndots: Invalid value: 16/);
  assert.throws(() => clusterResolvConf({ nameserver: '10.96.0.10', namespace: '', clusterDomain: 'cluster.local' }), /namespace: Required value/);
  assert.throws(() => clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'default', clusterDomain: 'cluster.local', searches: ['a\nnameserver 1.1.1.1'] }), /searches\[0\]/);
});

test('writeNodeResolvConf replaces the file and leaves no temporary files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kemu-resolv-'));
  try {
    const path = join(dir, 'resolv.conf');
    await writeFile(path, 'nameserver 192.0.2.1\n');
    const content = clusterResolvConf({ nameserver: '10.96.0.10', namespace: 'default', clusterDomain: 'cluster.local' });
    await writeNodeResolvConf(path, content);
    assert.equal(await readFile(path, 'utf8'), content);
    await writeNodeResolvConf(join(dir, 'fresh.conf'), content);
    assert.deepEqual((await readdir(dir)).sort(), ['fresh.conf', 'resolv.conf']);
    await assert.rejects(writeNodeResolvConf(join(dir, 'missing', 'resolv.conf'), content), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
