import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdctl, hasEtcdctl } from '../harness/index.js';

const KEMU = new URL('./main.js', import.meta.resolve('@kemu/cli')).pathname;
const PREFIX = '127.23.0';
const endpoints = [1, 2, 3].map((i) => `${PREFIX}.${i}:2379`);

function kemu(args: string[]): { status: number; out: string } {
  const r = spawnSync(process.execPath, [KEMU, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('kemu up starts three etcd members, down stops them, up again resumes the same data', { skip: !hasEtcdctl() && 'etcdctl not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-cli-'));
  const state = ['--state-dir', dir];
  const common = [...state, '--etcd-ip-prefix', PREFIX];
  let pids: number[] = [];
  try {
    const first = kemu(['up', '--components', 'etcd', ...common]);
    assert.equal(first.status, 0, first.out);
    assert.match(first.out, /etcd-2: ready/);
    const records = JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Array<{ name: string; pid: number }>;
    pids = records.map((r) => r.pid);
    assert.deepEqual(records.map((r) => r.name).sort(), ['etcd-0', 'etcd-1', 'etcd-2']);
    assert.ok(pids.every(alive));
    for (const name of ['etcd-0', 'etcd-1', 'etcd-2']) assert.ok(existsSync(join(dir, 'logs', `${name}.log`)));

    assert.equal(etcdctl(endpoints, ['put', 'kept', 'across-restarts']).status, 0);

    const status = kemu(['etcd', 'status', ...state]);
    assert.equal(status.status, 0, status.out);
    const rows = status.out.trim().split('\n').slice(1);
    assert.equal(rows.length, 3, status.out);
    assert.equal(rows.filter((r) => / yes /.test(r)).length, 1, `exactly one leader:\n${status.out}`);

    const down = kemu(['down', ...state]);
    assert.equal(down.status, 0, down.out);
    assert.ok(pids.every((p) => !alive(p)), 'down leaves no member running');

    const again = kemu(['up', '--components', 'etcd', ...common]);
    assert.equal(again.status, 0, again.out);
    pids = (JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as Array<{ pid: number }>).map((r) => r.pid);
    const get = etcdctl(endpoints, ['get', 'kept', '--print-value-only']);
    assert.equal(get.stdout.trim(), 'across-restarts');
  } finally {
    kemu(['down', ...state]);
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kemu up rejects an unknown component with a clear error', () => {
  const r = kemu(['up', '--components', 'etcd,nope', '--state-dir', join(tmpdir(), 'kemu-never-created')]);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /unknown component "nope"/);
});
