import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Informer, Node } from '@kemu/api';
import { ContainerNetwork } from '../container-network.js';
import { LoopbackAddresses, LoopbackAddressError } from './loopback-addresses.js';
import { NodeRoutes, planRoutes, parseRouteShow, NodeRouteError } from './node-routes.js';
import { parseAddrShow } from './loopback-addresses.js';
import { testLogger } from './test-log.js';

// Two network namespaces joined by a veth pair stand in for two node containers on a
// compose network. Everything happens inside them; the host namespace is never touched.

const log = testLogger('container-network-test');
const nsA = `kemu-t-a-${process.pid}`;
const nsB = `kemu-t-b-${process.pid}`;
const x = (process.pid % 199) + 1; // 10.250.x.0/24, x in 1..199 (10.250.240/24 is a test target)
const ipA = `10.250.${x}.1`;
const ipB = `10.250.${x}.2`;

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` is not available';
  }
  return false;
}
const skip = skipReason();

function ip(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout)));
  });
}

async function loAddresses(ns: string): Promise<string[]> {
  return parseAddrShow(await ip('-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'lo')).map((e) => `${e.address}/${e.prefix}`);
}

async function routes(ns: string): Promise<string[]> {
  return parseRouteShow(await ip('-n', ns, '-4', 'route', 'show'))
    .filter((r) => r.type === 'unicast')
    .map((r) => (r.via ? `${r.cidr} via ${r.via}` : r.cidr));
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A synced informer over fixed objects: ContainerNetwork's view of the apiserver. */
function fixedInformer<T>(items: T[]): Informer<never> {
  return { on: () => undefined, waitForSync: () => Promise.resolve(), list: () => items, get: () => undefined } as unknown as Informer<never>;
}

const SERVER = `
const net = require('node:net');
const [host, port, text] = process.argv.slice(1);
const server = net.createServer((s) => s.end(text));
server.listen(Number(port), host, () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
`;

const CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
let data = '';
const s = net.connect({ host, port: Number(port), timeout: 3000 });
s.setEncoding('utf8');
s.on('data', (d) => (data += d));
s.on('end', () => { console.log('ok:' + data); process.exit(0); });
s.on('timeout', () => { console.log('err:ETIMEDOUT'); process.exit(1); });
s.on('error', (e) => { console.log('err:' + (e.code || e.message)); process.exit(1); });
`;

/** Connects from inside `ns`; resolves with `ok:<what the server wrote>` or `err:<code>`. */
function connectFrom(ns: string, host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, host, String(port)], { encoding: 'utf8', timeout: 10_000 }, (_err, stdout) => resolve(stdout.trim()));
  });
}

function podA(): Node {
  return { metadata: { name: 'node-a' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: ipA }] } };
}
function podB(): Node {
  return { metadata: { name: 'node-b' }, spec: { podCIDR: '10.244.2.0/24' }, status: { addresses: [{ type: 'InternalIP', address: ipB }] } };
}

describe('container-mode networking between two network namespaces', { skip }, () => {
  const started: ChildProcess[] = [];
  const addrsA = new LoopbackAddresses({ ipCommand: ['ip', '-n', nsA], owned: ['10.244.0.0/16', '10.96.0.0/16'], log });
  const routesB = new NodeRoutes({ ipCommand: ['ip', '-n', nsB], owned: ['10.244.0.0/16'], ownPodCIDRs: ['10.244.2.0/24'], log });

  before(async () => {
    await ip('netns', 'add', nsA);
    await ip('netns', 'add', nsB);
    await ip('-n', nsA, 'link', 'set', 'lo', 'up');
    await ip('-n', nsB, 'link', 'set', 'lo', 'up');
    await ip('-n', nsA, 'link', 'add', 'kva', 'type', 'veth', 'peer', 'name', 'kvb', 'netns', nsB);
    await ip('-n', nsA, 'addr', 'add', `${ipA}/24`, 'dev', 'kva');
    await ip('-n', nsB, 'addr', 'add', `${ipB}/24`, 'dev', 'kvb');
    await ip('-n', nsA, 'link', 'set', 'kva', 'up');
    await ip('-n', nsB, 'link', 'set', 'kvb', 'up');
  });

  after(async () => {
    for (const child of started) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of [nsA, nsB]) await ip('netns', 'del', ns).catch(() => undefined);
  });

  test('a pod IP on node A lo is reached from node B through a host-gw route', async () => {
    const batches = addrsA.batches;
    await Promise.all([addrsA.ensure(['10.244.1.5']), addrsA.ensure(['10.96.0.10'])]);
    assert.equal(addrsA.batches, batches + 1, 'two calls in one tick share one ip process');
    const onLo = await loAddresses(nsA);
    assert.ok(onLo.includes('10.244.1.5/32') && onLo.includes('10.96.0.10/32') && onLo.includes('127.0.0.1/8'), onLo.join(' '));
    await addrsA.ensure(['10.244.1.5']);
    assert.equal(addrsA.batches, batches + 1, 'ensuring a present address runs nothing');

    const server = spawn('ip', ['netns', 'exec', nsA, process.execPath, '-e', SERVER, '10.244.1.5', '8080', 'pod-a'], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout?.setEncoding('utf8');
      server.stdout?.on('data', (d: string) => d.includes('listening') && resolve());
      server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });

    assert.equal(await connectFrom(nsB, '10.244.1.5', 8080), 'err:ENETUNREACH', 'no route yet');
    const plan = planRoutes('node-b', [podA(), podB()]);
    assert.deepEqual(plan, [{ cidr: '10.244.1.0/24', via: ipA, node: 'node-a' }]);
    await routesB.apply(plan);
    assert.ok((await routes(nsB)).includes(`10.244.1.0/24 via ${ipA}`));
    assert.equal(await connectFrom(nsB, '10.244.1.5', 8080), 'ok:pod-a');
  });

  test('removing the route and releasing the address cut the connection', async () => {
    await routesB.apply([]);
    assert.ok(!(await routes(nsB)).some((r) => r.startsWith('10.244.1.0/24')));
    assert.equal(await connectFrom(nsB, '10.244.1.5', 8080), 'err:ENETUNREACH');

    await routesB.apply(planRoutes('node-b', [podA(), podB()]));
    await addrsA.release(['10.244.1.5']);
    const onLo = await loAddresses(nsA);
    assert.ok(!onLo.includes('10.244.1.5/32') && onLo.includes('10.96.0.10/32'), onLo.join(' '));
    assert.deepEqual(addrsA.list(), ['10.96.0.10']);
    // Routed to A, but A no longer owns the address (and does not forward): nothing answers.
    assert.match(await connectFrom(nsB, '10.244.1.5', 8080), /^err:/);
    await addrsA.release(['10.244.1.5']);
  });

  test('500 addresses ensured at once go in one batch and all appear; releasing them is one more', async () => {
    const ips = Array.from({ length: 500 }, (_, i) => `10.96.${10 + Math.floor(i / 250)}.${(i % 250) + 1}`);
    const batches = addrsA.batches;
    await Promise.all(ips.map((a) => addrsA.ensure([a])));
    assert.equal(addrsA.batches, batches + 1);
    const onLo = new Set(await loAddresses(nsA));
    assert.deepEqual(ips.filter((a) => !onLo.has(`${a}/32`)), []);
    await addrsA.release(ips);
    assert.equal(addrsA.batches, batches + 2);
    const after = new Set(await loAddresses(nsA));
    assert.deepEqual(ips.filter((a) => after.has(`${a}/32`)), []);
  });

  test('after a restart, reconcile removes stale owned addresses and restores missing ones, nothing else', async () => {
    await ip('-n', nsA, 'addr', 'add', '10.96.0.99/32', 'dev', 'lo');
    await ip('-n', nsA, 'addr', 'add', `10.250.${x}.9/32`, 'dev', 'lo');
    const restarted = new LoopbackAddresses({ ipCommand: ['ip', '-n', nsA], owned: ['10.244.0.0/16', '10.96.0.0/16'], log });
    await restarted.ensure(['10.96.0.10', '10.244.1.7']);
    await restarted.reconcile();
    let onLo = await loAddresses(nsA);
    assert.deepEqual(onLo.sort(), [`10.244.1.7/32`, '10.250.' + x + '.9/32', '10.96.0.10/32', '127.0.0.1/8'].sort());

    await ip('-n', nsA, 'addr', 'del', '10.244.1.7/32', 'dev', 'lo');
    await restarted.reconcile();
    onLo = await loAddresses(nsA);
    assert.ok(onLo.includes('10.244.1.7/32'), 'reconcile re-adds what went missing');
  });

  test('route reconcile removes stale routes inside the owned CIDR only, never the node own pod CIDR', async () => {
    await ip('-n', nsB, 'route', 'add', '10.244.7.0/24', 'via', ipA);
    await ip('-n', nsB, 'route', 'add', '10.244.2.0/24', 'via', ipA);
    await ip('-n', nsB, 'route', 'add', '10.250.240.0/24', 'via', ipA);
    const restarted = new NodeRoutes({ ipCommand: ['ip', '-n', nsB], owned: ['10.244.0.0/16'], log });
    restarted.setOwnPodCIDRs(['10.244.2.0/24']);
    await restarted.apply(planRoutes('node-b', [podA(), podB()]));
    await restarted.reconcile();
    assert.deepEqual((await routes(nsB)).sort(), [`10.244.1.0/24 via ${ipA}`, `10.244.2.0/24 via ${ipA}`, `10.250.240.0/24 via ${ipA}`, `10.250.${x}.0/24`].sort());
  });

  test('ip refusing one route fails apply with its message while the others apply', async () => {
    const nodes = [podA(), podB(), { metadata: { name: 'node-far' }, spec: { podCIDR: '10.244.9.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '10.250.241.1' }] } }];
    await assert.rejects(routesB.apply(planRoutes('node-b', nodes)), (err: unknown) => err instanceof NodeRouteError && err.cidr === '10.244.9.0/24' && /Nexthop has invalid gateway|Network is unreachable/i.test(err.message));
    assert.ok((await routes(nsB)).includes(`10.244.1.0/24 via ${ipA}`));
    assert.ok(!(await routes(nsB)).some((r) => r.startsWith('10.244.9.0/24')));
  });

  // Late: it leaves node B's table with its fence and monitor-made routes.
  test('container network: a pod CIDR without a route fails fast, and routes the kernel dropped with a link come back', async () => {
    const net = new ContainerNetwork({
      nodeName: 'node-b',
      podCIDR: '10.244.2.0/24',
      clusterCIDR: '10.244.0.0/16',
      clusterDomain: 'cluster.local',
      resolvConf: '',
      nodes: fixedInformer([podA(), podB()]) as unknown as Informer<'nodes'>,
      services: fixedInformer([]) as unknown as Informer<'services'>,
      ipCommand: ['ip', '-n', nsB],
      log,
    });
    await addrsA.ensure(['10.244.1.5']);
    try {
      await net.start();
      const fenced = async (): Promise<boolean> => parseRouteShow(await ip('-n', nsB, '-4', 'route', 'show')).some((r) => r.type === 'unreachable' && r.cidr === '10.244.0.0/16');
      assert.ok(await eventually(async () => (await fenced()) && (await routes(nsB)).includes(`10.244.1.0/24 via ${ipA}`), 10_000), (await ip('-n', nsB, 'route', 'show')).trim());
      assert.equal(await connectFrom(nsB, '10.244.1.5', 8080), 'ok:pod-a');
      // A pod CIDR no node has: the fence answers at once, where the default route would take it.
      assert.equal(await connectFrom(nsB, '10.244.77.9', 8080), 'err:EHOSTUNREACH');

      // The link goes down (a container disconnected from its network): the kernel drops the route.
      await ip('-n', nsB, 'link', 'set', 'kvb', 'down');
      assert.ok(await eventually(async () => !(await routes(nsB)).some((r) => r.startsWith('10.244.1.0/24')), 5_000));
      assert.equal(await connectFrom(nsB, '10.244.1.5', 8080), 'err:EHOSTUNREACH', 'the fence, not a leak');
      // It comes back: the monitor sees it and the route is made again, with no Node change.
      await ip('-n', nsB, 'link', 'set', 'kvb', 'up');
      assert.ok(await eventually(async () => (await routes(nsB)).includes(`10.244.1.0/24 via ${ipA}`), 10_000), (await ip('-n', nsB, 'route', 'show')).trim());
      assert.ok(await fenced());
      assert.ok(await eventually(async () => (await connectFrom(nsB, '10.244.1.5', 8080)) === 'ok:pod-a', 5_000));
      assert.deepEqual(net.listRoutes(), [{ cidr: '10.244.1.0/24', via: ipA }]);
    } finally {
      net.stop();
    }
  });

  test('a missing device is a LoopbackAddressError naming the address and ip message', async () => {
    const bad = new LoopbackAddresses({ ipCommand: ['ip', '-n', nsA], device: 'kemu-nosuch', owned: ['10.96.0.0/16'], log });
    await assert.rejects(bad.ensure(['10.96.0.50']), (err: unknown) => err instanceof LoopbackAddressError && err.address === '10.96.0.50' && /kemu-nosuch/.test(err.message));
  });
});
