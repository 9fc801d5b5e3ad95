import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdctl, hasEtcdctl, kemuSync, killIfAlive, processAlive, type RecordedProcess } from '../harness/index.js';

const PREFIX = '127.23.0';
const endpoints = [1, 2, 3].map((i) => `${PREFIX}.${i}:2379`);

test('kemu up starts three etcd members, down stops them, up again resumes the same data', { skip: !hasEtcdctl() && 'etcdctl not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-cli-'));
  const state = ['--state-dir', dir];
  const common = [...state, '--etcd-ip-prefix', PREFIX];
  let procs: RecordedProcess[] = [];
  try {
    const first = kemuSync(['up', '--components', 'etcd', ...common]);
    assert.equal(first.status, 0, first.out);
    assert.match(first.out, /etcd-2: ready/);
    const records = JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Array<RecordedProcess & { name: string }>;
    procs = records;
    assert.deepEqual(records.map((r) => r.name).sort(), ['etcd-0', 'etcd-1', 'etcd-2']);
    assert.ok(procs.every(processAlive));
    for (const name of ['etcd-0', 'etcd-1', 'etcd-2']) assert.ok(existsSync(join(dir, 'logs', `${name}.log`)));

    assert.equal(etcdctl(endpoints, ['put', 'kept', 'across-restarts']).status, 0);

    const status = kemuSync(['etcd', 'status', ...state]);
    assert.equal(status.status, 0, status.out);
    const rows = status.out.trim().split('\n').slice(1);
    assert.equal(rows.length, 3, status.out);
    assert.equal(rows.filter((r) => / yes /.test(r)).length, 1, `exactly one leader:\n${status.out}`);

    const down = kemuSync(['down', ...state]);
    assert.equal(down.status, 0, down.out);
    assert.ok(procs.every((p) => !processAlive(p)), 'down leaves no member running');

    const again = kemuSync(['up', '--components', 'etcd', ...common]);
    assert.equal(again.status, 0, again.out);
    procs = JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as RecordedProcess[];
    const get = etcdctl(endpoints, ['get', 'kept', '--print-value-only']);
    assert.equal(get.stdout.trim(), 'across-restarts');
  } finally {
    kemuSync(['down', ...state]);
    for (const p of procs) killIfAlive(p);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kemu up rejects an unknown component with a clear error', () => {
  const r = kemuSync(['up', '--components', 'etcd,nope', '--state-dir', join(tmpdir(), 'kemu-never-created')]);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /unknown component "nope"/);
});
