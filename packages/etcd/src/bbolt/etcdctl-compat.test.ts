// Compatibility with the real etcd 3.4 tools (Debian's etcd-client / etcd-server):
// `etcdctl snapshot status` and `snapshot restore` must accept kemu's files, a member
// restored from one must serve its keys, and real etcd snapshots must read back.
// Skipped when the tools are not installed.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { checkBoltDb } from './check.js';
import { fnv1a64 } from './fnv1a64.js';
import { decodeKeyValue, encodeKeyValue } from './kv-codec.js';
import { readBoltDb } from './reader.js';
import { decodeRevisionKey, encodeRevisionKey } from './revision-key.js';
import { appendSha256Trailer } from './sha256-trailer.js';
import { snapshotStatus } from './snapshot-status.js';
import type { BoltBucketInput } from './types.js';
import { writeBoltDb } from './writer.js';

const run = promisify(execFile);
const installed = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const hasEtcdctl = installed('etcdctl');
const hasEtcd = installed('etcd');
const env = { ...process.env, ETCDCTL_API: '3' };

async function etcdctl(...args: string[]): Promise<string> {
  const { stdout } = await run('etcdctl', args, { env, maxBuffer: 64 << 20 });
  return stdout;
}

interface StatusJson {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

async function etcdctlStatus(file: string): Promise<StatusJson> {
  return JSON.parse(await etcdctl('snapshot', 'status', file, '-w', 'json')) as StatusJson;
}

const u64be = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

/**
 * An etcd 3.4 backend holding `count` puts (revisions 2..count+1, one key each, every
 * 50th value larger than a page), as a member that applied raft index `consistentIndex`.
 */
function etcdBuckets(count: number, consistentIndex: number): BoltBucketInput[] {
  const kvs: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < count; i++) {
    const rev = i + 2;
    const value = i % 50 === 49 ? Buffer.alloc(6000, 0x61 + (i % 26)) : Buffer.from(`value-${i}`);
    kvs.push([encodeRevisionKey(rev, 0), encodeKeyValue({ key: Buffer.from(`/kemu/key-${i}`), createRevision: rev, modRevision: rev, version: 1, value, lease: 0n })]);
  }
  const empty = (name: string): BoltBucketInput => ({ name: Buffer.from(name), entries: [] });
  return [
    { name: Buffer.from('key'), entries: kvs },
    {
      name: Buffer.from('meta'),
      entries: [
        [Buffer.from('consistent_index'), u64be(consistentIndex)],
        [Buffer.from('finishedCompactRev'), encodeRevisionKey(1, 0)],
        [Buffer.from('scheduledCompactRev'), encodeRevisionKey(1, 0)],
      ],
    },
    { name: Buffer.from('cluster'), entries: [[Buffer.from('clusterVersion'), Buffer.from('3.4.0')]] },
    empty('lease'),
    empty('members'),
    empty('members_removed'),
    empty('alarm'),
    empty('auth'),
    empty('authUsers'),
    empty('authRoles'),
  ];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

/** A single etcd member on loopback, started by this test and stopped by its pid. */
class EtcdProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {}

  static async start(dataDir: string, name: string, peerUrl: string): Promise<EtcdProcess> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const endpoint = `http://127.0.0.1:${clientPort}`;
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `${name}=${peerUrl}`,
    ];
    const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const member = new EtcdProcess(child, endpoint);
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`etcd did not become ready:\n${log}`)), 30_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/serving insecure client requests|ready to serve client requests/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`etcd exited with ${code}:\n${log}`));
      });
    }).catch(async (err: unknown) => {
      await member.stop();
      throw err;
    });
    return member;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}

describe('etcdctl 3.4 compatibility', { skip: hasEtcdctl ? false : 'etcdctl is not installed (apt-get install etcd-client)' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kemu-bbolt-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('snapshot status reports our revision, key count, size and hash, with and without trailer', async () => {
    const db = writeBoltDb(etcdBuckets(5, 10));
    const plain = join(dir, 'small.db');
    const trailed = join(dir, 'small-trailer.db');
    await writeFile(plain, db);
    await writeFile(trailed, appendSha256Trailer(db));
    const ours = snapshotStatus(db);
    assert.deepEqual(ours, { hash: ours.hash, revision: 6, totalKey: 5 + 3 + 1, totalSize: db.length });
    assert.deepEqual(await etcdctlStatus(plain), ours);
    assert.deepEqual(await etcdctlStatus(trailed), ours);
  });

  test('snapshot status on a multi-level tree with overflow pages', async () => {
    const db = writeBoltDb(etcdBuckets(20_000, 20_000), { txid: 77 });
    const file = join(dir, 'big.db');
    await writeFile(file, appendSha256Trailer(db));
    const status = await etcdctlStatus(file);
    assert.equal(status.revision, 20_001);
    assert.equal(status.totalKey, 20_000 + 3 + 1);
    assert.equal(status.totalSize, db.length);
    assert.equal(status.hash, snapshotStatus(db).hash);
  });

  test('snapshot status rejects a file that fails tx.Check', async () => {
    const db = writeBoltDb(etcdBuckets(5, 10));
    // Raise the high-water mark in both metas (and fix their checksums): the extra page
    // nobody references must be reported as unreachable.
    const grown = Buffer.concat([db, Buffer.alloc(4096)]);
    for (const page of [0, 1]) {
      const m = grown.subarray(page * 4096 + 16, page * 4096 + 80);
      m.writeBigUInt64LE(m.readBigUInt64LE(40) + 1n, 40);
      m.writeBigUInt64LE(fnv1a64(m.subarray(0, 56)), 56);
    }
    assert.deepEqual(checkBoltDb(grown), [`page ${db.length / 4096}: unreachable unfreed`]);
    const file = join(dir, 'corrupt.db');
    await writeFile(file, grown);
    await assert.rejects(etcdctlStatus(file), /unreachable unfreed/);
  });

  test('snapshot restore accepts our file; the restored member serves the keys', async () => {
    const db = writeBoltDb(etcdBuckets(120, 200));
    const file = join(dir, 'restore.db');
    await writeFile(file, appendSha256Trailer(db));
    const peerUrl = 'http://127.0.0.1:2380';
    const restoreArgs = (dataDir: string): string[] => [
      'snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'm1',
      '--initial-cluster', `m1=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl,
    ];
    const dataDir = join(dir, 'restored');
    await etcdctl(...restoreArgs(dataDir));
    const restored = await readFile(join(dataDir, 'member', 'snap', 'db'));
    assert.deepEqual(checkBoltDb(restored), []);
    const keyBucket = readBoltDb(restored).find((x) => x.name.toString() === 'key');
    assert.deepEqual(keyBucket, readBoltDb(db).find((x) => x.name.toString() === 'key'));

    // Without the trailer, restore insists on --skip-hash-check.
    await writeFile(file, db);
    await assert.rejects(etcdctl(...restoreArgs(join(dir, 'no-hash'))), /missing hash/);
    await etcdctl(...restoreArgs(join(dir, 'skip-hash')), '--skip-hash-check');

    if (!hasEtcd) return;
    const member = await EtcdProcess.start(dataDir, 'm1', peerUrl);
    try {
      const got = JSON.parse(await etcdctl('--endpoints', member.endpoint, 'get', '/kemu/key-119', '-w', 'json')) as {
        header: { revision: number };
        kvs: Array<{ key: string; value: string; create_revision: number }>;
      };
      assert.equal(got.header.revision, 121);
      assert.equal(got.kvs.length, 1);
      assert.equal(Buffer.from(got.kvs[0]!.value, 'base64').toString(), 'value-119');
      assert.equal(got.kvs[0]!.create_revision, 121);
    } finally {
      await member.stop();
    }
  });

  test('a snapshot saved by real etcd reads back and rewrites to the same content', { skip: hasEtcd ? false : 'etcd is not installed' }, async () => {
    const peerPort = await freePort();
    const member = await EtcdProcess.start(join(dir, 'live'), 'live', `http://127.0.0.1:${peerPort}`);
    const saved = join(dir, 'saved.db');
    try {
      for (let i = 0; i < 30; i++) await etcdctl('--endpoints', member.endpoint, 'put', `/live/k${i % 10}`, `v${i}`);
      await etcdctl('--endpoints', member.endpoint, 'del', '/live/k3');
      await etcdctl('--endpoints', member.endpoint, 'snapshot', 'save', saved);
    } finally {
      await member.stop();
    }
    const file = await readFile(saved);
    const expected = await etcdctlStatus(saved);
    assert.deepEqual(checkBoltDb(file), []);
    assert.deepEqual(snapshotStatus(file), expected);
    assert.equal(expected.revision, 32);

    const buckets = readBoltDb(file);
    const keys = buckets.find((x) => x.name.toString() === 'key');
    assert.ok(keys !== undefined);
    assert.equal(keys.entries.length, 31);
    const last = keys.entries[keys.entries.length - 1]!;
    assert.deepEqual(decodeRevisionKey(last[0]), { main: 32, sub: 0, tombstone: true });
    assert.equal(decodeKeyValue(last[1]).key.toString(), '/live/k3');
    const put = decodeKeyValue(keys.entries[29]![1]);
    assert.deepEqual([put.key.toString(), put.value.toString(), put.version], ['/live/k9', 'v29', 3]);

    const rewritten = join(dir, 'rewritten.db');
    await writeFile(rewritten, writeBoltDb(buckets));
    const again = await etcdctlStatus(rewritten);
    assert.deepEqual({ ...again, totalSize: 0 }, { ...expected, totalSize: 0 });
  });
});
