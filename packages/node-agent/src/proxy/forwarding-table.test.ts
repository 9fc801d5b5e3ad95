import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EndpointSlice, Service } from '@kemu/api';
import { ForwardingTable, type Pick } from './forwarding-table.js';
import { seededRandom } from '@kemu/common';
import { servicePorts } from './service-info.js';
import { ep, slice, svc, type EpOptions } from './test-fixtures.js';
import type { Algorithm } from './types.js';

const NODE_IP = '127.77.2.1';
const NODE2_IP = '127.77.2.2';
const CIP = 'TCP/127.96.0.10:80';
const SP = 'default/web:http/TCP';

function newTable(algorithm: Algorithm = 'random', seed = 7): ForwardingTable {
  return new ForwardingTable({
    nodeName: 'node-1',
    nodeIPs: [NODE_IP, NODE2_IP],
    algorithm,
    random: seededRandom(seed),
    nodeOfIP: (ip) => (ip.startsWith('127.244.') ? `node-${ip.split('.')[2] ?? ''}` : undefined),
  });
}

function program(t: ForwardingTable, s: Service, slices: EndpointSlice[], now = 0) {
  const key = `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
  return t.setService(key, servicePorts(s), slices, now);
}

function webSlice(endpoints: [string, EpOptions?][], name = 'web-1'): EndpointSlice {
  return slice(
    'default',
    'web',
    name,
    endpoints.map(([ip, o]) => ep(ip, o)),
  );
}

function picked(p: Pick): string {
  if (p.kind !== 'endpoint') return p.kind;
  return p.endpoint.ip;
}

/** Opens (and optionally keeps open) `n` connections from `client`, returning the endpoint IPs chosen. */
function connect(t: ForwardingTable, frontend: string, n: number, client = '127.0.0.1', now = 0, keepOpen = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = t.pick(frontend, { clientIP: client, now });
    if (p.kind === 'endpoint') {
      t.connectionOpened(p.servicePort.key, p.endpoint.key, client, now);
      if (!keepOpen) t.connectionClosed(p.servicePort.key, p.endpoint.key);
    }
    out.push(picked(p));
  }
  return out;
}

function histogram(xs: string[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const x of xs) h[x] = (h[x] ?? 0) + 1;
  return h;
}

const three: [string, EpOptions?][] = [['127.244.1.2', { node: 'node-1' }], ['127.244.1.3', { node: 'node-1' }], ['127.244.2.2', { node: 'node-2' }]];

describe('ForwardingTable algorithms', () => {
  test('random spreads uniformly (seeded)', () => {
    const t = newTable('random');
    program(t, svc('default', 'web'), [webSlice(three)]);
    const h = histogram(connect(t, CIP, 30_000));
    assert.deepEqual(Object.keys(h).sort(), ['127.244.1.2', '127.244.1.3', '127.244.2.2']);
    for (const [ip, n] of Object.entries(h)) assert.ok(Math.abs(n - 10_000) < 500, `${ip}: ${n}`);
  });

  test('round-robin cycles through the endpoints in key order', () => {
    const t = newTable('round-robin');
    program(t, svc('default', 'web'), [webSlice(three)]);
    assert.deepEqual(connect(t, CIP, 6), ['127.244.1.2', '127.244.1.3', '127.244.2.2', '127.244.1.2', '127.244.1.3', '127.244.2.2']);
  });

  test('round-robin cursor is per service port, shared by its frontends', () => {
    const t = newTable('round-robin');
    program(t, svc('default', 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), [webSlice(three)]);
    const a = connect(t, CIP, 1);
    const b = connect(t, `TCP/${NODE_IP}:30080`, 1);
    const c = connect(t, `TCP/${NODE2_IP}:30080`, 1);
    assert.deepEqual([...a, ...b, ...c], ['127.244.1.2', '127.244.1.3', '127.244.2.2']);
  });

  test('least-connections sends to the endpoint with the fewest active connections, ties in turn', () => {
    const t = newTable('least-connections');
    program(t, svc('default', 'web'), [webSlice(three)]);
    assert.deepEqual(connect(t, CIP, 6, '127.0.0.1', 0, true), ['127.244.1.2', '127.244.1.3', '127.244.2.2', '127.244.1.2', '127.244.1.3', '127.244.2.2']);
    // Close both connections to .1.3: it gets the next two.
    t.connectionClosed(SP, '127.244.1.3:8080');
    t.connectionClosed(SP, '127.244.1.3:8080');
    assert.deepEqual(connect(t, CIP, 2, '127.0.0.1', 0, true), ['127.244.1.3', '127.244.1.3']);
    // All equal again (2 each): turns resume.
    assert.deepEqual(connect(t, CIP, 3, '127.0.0.1', 0, true).sort(), ['127.244.1.2', '127.244.1.3', '127.244.2.2']);
  });
});

describe('ForwardingTable session affinity', () => {
  const affinitySvc = svc('default', 'web', { affinitySeconds: 60 });

  test('a client keeps its endpoint while the affinity is fresh; others spread', () => {
    const t = newTable('round-robin');
    program(t, affinitySvc, [webSlice(three)]);
    const first = connect(t, CIP, 1, '127.0.0.5', 0);
    assert.deepEqual(connect(t, CIP, 5, '127.0.0.5', 30_000), Array(5).fill(first[0]));
    const others = ['127.0.0.6', '127.0.0.7'].map((c) => connect(t, CIP, 1, c, 30_000)[0]);
    assert.equal(new Set([first[0], ...others]).size, 3);
    assert.equal(t.stats(SP)[0]?.affinityClients, 3);
  });

  test('the timeout counts from the last connection', () => {
    const t = newTable('round-robin');
    program(t, affinitySvc, [webSlice(three)]);
    connect(t, CIP, 1, '127.0.0.5', 0);
    connect(t, CIP, 1, '127.0.0.5', 59_999);
    t.expireAffinity(119_998);
    assert.equal(t.stats(SP)[0]?.affinityClients, 1, 'refreshed at 59999: still pinned');
    t.expireAffinity(59_999 + 60_001);
    assert.equal(t.stats(SP)[0]?.affinityClients, 0, 'expired 60 s after the last connection');
  });

  test('a new client gets the endpoint its address hashes to: agents sharing a loopback agree', () => {
    const a = newTable('random', 1);
    const b = newTable('round-robin', 2);
    program(a, affinitySvc, [webSlice(three)]);
    program(b, affinitySvc, [webSlice(three)]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const client = `127.1.${i >> 8}.${i & 255}`;
      const [x] = connect(a, CIP, 1, client);
      const [y] = connect(b, CIP, 1, client);
      assert.equal(x, y, `both agents send ${client} to one endpoint`);
      counts.set(x ?? '', (counts.get(x ?? '') ?? 0) + 1);
    }
    assert.equal(counts.size, 3);
    for (const [ep, n] of counts) assert.ok(n >= 60, `${ep} got ${n} of 300 clients`);
  });

  test('an excluded (failed) or no longer usable endpoint is not reused', () => {
    const t = newTable('round-robin');
    program(t, affinitySvc, [webSlice(three)]);
    const first = t.pick(CIP, { clientIP: '127.0.0.5', now: 0 });
    assert.equal(first.kind, 'endpoint');
    if (first.kind !== 'endpoint') return;
    t.connectionOpened(SP, first.endpoint.key, '127.0.0.5', 0);
    const retry = t.pick(CIP, { clientIP: '127.0.0.5', now: 1, exclude: new Set([first.endpoint.key]) });
    assert.equal(retry.kind, 'endpoint');
    if (retry.kind === 'endpoint') assert.notEqual(retry.endpoint.key, first.endpoint.key);

    // The pinned endpoint turns not ready: the client moves.
    const notReady = three.map(([ip, o]): [string, EpOptions] => [ip, ip === first.endpoint.ip ? { ...o, ready: false } : { ...o }]);
    program(t, affinitySvc, [webSlice(notReady)], 2);
    assert.notEqual(connect(t, CIP, 1, '127.0.0.5', 3)[0], first.endpoint.ip);
  });

  test('expireAffinity keeps memory bounded by live clients', () => {
    const t = newTable('random');
    program(t, affinitySvc, [webSlice(three)]);
    for (let i = 0; i < 1000; i++) connect(t, CIP, 1, `127.0.${Math.floor(i / 250)}.${i % 250}`, i);
    assert.equal(t.stats(SP)[0]?.affinityClients, 1000);
    t.expireAffinity(60_000 + 499);
    assert.equal(t.stats(SP)[0]?.affinityClients, 500, 'clients last seen at 0..499 expired');
    t.expireAffinity(200_000);
    assert.equal(t.stats(SP)[0]?.affinityClients, 0);
  });

  test('removing an endpoint drops the affinity entries pointing at it', () => {
    const t = newTable('round-robin');
    program(t, affinitySvc, [webSlice(three)]);
    const eps = Array.from({ length: 12 }, (_, i) => connect(t, CIP, 1, `127.0.0.${i}`)[0]);
    const onRemoved = eps.filter((ep) => ep === three[0]?.[0]).length;
    assert.ok(onRemoved >= 1 && onRemoved < 12, `${onRemoved} of 12 clients on the endpoint to remove`);
    program(t, affinitySvc, [webSlice(three.slice(1))]);
    assert.equal(t.stats(SP)[0]?.affinityClients, 12 - onRemoved);
  });

  test('turning affinity off forgets every client', () => {
    const t = newTable('random');
    program(t, affinitySvc, [webSlice(three)]);
    connect(t, CIP, 3, '127.0.0.5');
    program(t, svc('default', 'web'), [webSlice(three)]);
    assert.equal(t.stats(SP)[0]?.affinityClients, 0);
  });
});

describe('ForwardingTable usable endpoints and traffic policies', () => {
  test('ready endpoints only; when none is ready, the serving terminating ones', () => {
    const t = newTable('round-robin');
    program(t, svc('default', 'web'), [
      webSlice([
        ['127.244.1.2', { ready: true }],
        ['127.244.1.3', { ready: false, serving: true, terminating: true }],
        ['127.244.1.4', { ready: false }],
      ]),
    ]);
    assert.deepEqual(t.usableEndpoints(CIP).map((e) => e.ip), ['127.244.1.2']);
    program(t, svc('default', 'web'), [
      webSlice([
        ['127.244.1.2', { ready: false, serving: false, terminating: true }],
        ['127.244.1.3', { ready: false, serving: true, terminating: true }],
        ['127.244.1.4', { ready: false }],
      ]),
    ]);
    assert.deepEqual(t.usableEndpoints(CIP).map((e) => e.ip), ['127.244.1.3']);
    assert.deepEqual(connect(t, CIP, 2), ['127.244.1.3', '127.244.1.3']);
  });

  test('no endpoints at all: no-endpoints (reject)', () => {
    const t = newTable();
    program(t, svc('default', 'web'), []);
    const p = t.pick(CIP, { clientIP: '127.0.0.1', now: 0 });
    assert.equal(p.kind, 'no-endpoints');
    assert.match(p.kind === 'no-endpoints' ? p.reason : '', /default\/web:http\/TCP has no endpoints/);
  });

  test('externalTrafficPolicy Local: external frontends use this node\'s endpoints only, cluster IP uses all', () => {
    const t = newTable('round-robin');
    const s = svc('default', 'web', {
      type: 'LoadBalancer',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      lbIPs: ['127.77.2.100'],
      externalIPs: ['127.77.2.50'],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
    });
    program(t, s, [webSlice(three)]);
    for (const f of [`TCP/${NODE_IP}:30080`, 'TCP/127.77.2.100:80', 'TCP/127.77.2.50:80']) {
      assert.deepEqual(t.usableEndpoints(f).map((e) => e.ip), ['127.244.1.2', '127.244.1.3'], f);
      assert.deepEqual(histogram(connect(t, f, 4)), { '127.244.1.2': 2, '127.244.1.3': 2 }, f);
    }
    assert.equal(t.usableEndpoints(CIP).length, 3);

    // Only node-2 endpoints left: external traffic is dropped here, cluster IP still works.
    program(t, s, [webSlice([['127.244.2.2', { node: 'node-2' }]])]);
    const p = t.pick(`TCP/${NODE_IP}:30080`, { clientIP: '127.0.0.1', now: 0 });
    assert.equal(p.kind, 'drop');
    assert.match(p.kind === 'drop' ? p.reason : '', /no local endpoints on node node-1 \(externalTrafficPolicy Local\)/);
    assert.equal(picked(t.pick(CIP, { clientIP: '127.0.0.1', now: 0 })), '127.244.2.2');

    // Nothing anywhere: reject, not drop.
    program(t, s, []);
    assert.equal(t.pick(`TCP/${NODE_IP}:30080`, { clientIP: '127.0.0.1', now: 0 }).kind, 'no-endpoints');
  });

  test('externalTrafficPolicy Local falls back to local serving terminating endpoints', () => {
    const t = newTable();
    const s = svc('default', 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Local' });
    program(t, s, [
      webSlice([
        ['127.244.1.2', { node: 'node-1', ready: false, serving: true, terminating: true }],
        ['127.244.2.2', { node: 'node-2' }],
      ]),
    ]);
    assert.deepEqual(t.usableEndpoints(`TCP/${NODE_IP}:30080`).map((e) => e.ip), ['127.244.1.2']);
    assert.deepEqual(t.usableEndpoints(CIP).map((e) => e.ip), ['127.244.2.2']);
  });

  test('internalTrafficPolicy Local: the client\'s node decides (local mode shares one loopback)', () => {
    const t = newTable('round-robin');
    const s = svc('default', 'web', { internalTrafficPolicy: 'Local' });
    program(t, s, [webSlice(three)]);
    assert.deepEqual(histogram(connect(t, CIP, 4, '127.244.2.9')), { '127.244.2.2': 4 }, 'pod on node-2');
    assert.deepEqual(histogram(connect(t, CIP, 4, '127.244.1.9')), { '127.244.1.2': 2, '127.244.1.3': 2 }, 'pod on node-1');
    assert.deepEqual(histogram(connect(t, CIP, 2, '127.0.0.1')), { '127.244.1.2': 1, '127.244.1.3': 1 }, 'unknown client: this node');
    assert.deepEqual(t.usableEndpoints(CIP, 'node-2').map((e) => e.ip), ['127.244.2.2']);
    const p = t.pick(CIP, { clientIP: '127.244.3.9', now: 0 });
    assert.equal(p.kind, 'drop', 'no endpoints on the client node');
    // Node lists follow endpoint changes.
    program(t, s, [webSlice([...three, ['127.244.2.3', { node: 'node-2' }]])]);
    assert.deepEqual(t.usableEndpoints(CIP, 'node-2').map((e) => e.ip), ['127.244.2.2', '127.244.2.3']);
  });

  test('retries skip failed endpoints; all failed is no-endpoints', () => {
    const t = newTable('random');
    program(t, svc('default', 'web'), [webSlice(three)]);
    const exclude = new Set<string>();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = t.pick(CIP, { clientIP: '127.0.0.1', now: 0, exclude });
      assert.equal(p.kind, 'endpoint');
      if (p.kind !== 'endpoint') return;
      t.connectFailed(SP, p.endpoint.key);
      exclude.add(p.endpoint.key);
      seen.push(p.endpoint.ip);
    }
    assert.deepEqual(seen.sort(), ['127.244.1.2', '127.244.1.3', '127.244.2.2']);
    const last = t.pick(CIP, { clientIP: '127.0.0.1', now: 0, exclude });
    assert.equal(last.kind, 'no-endpoints');
    assert.equal(t.stats(SP)[0]?.connectFailures, 3);
    assert.equal(t.frontendConnections(CIP), 1, 'retries are not new connections');
  });

  test('an endpoint whose connect timed out is avoided by new connections for the hold-off, while another is usable', () => {
    const t = newTable('random');
    program(t, svc('default', 'web'), [webSlice(three)]);
    const dead = '127.244.1.3:8080';
    t.connectFailed(SP, dead, 1_000);
    const during = connect(t, CIP, 300, '127.0.0.1', 3_999);
    assert.ok(!during.includes('127.244.1.3'), 'held off for 3 s');
    assert.deepEqual(Object.keys(histogram(during)).sort(), ['127.244.1.2', '127.244.2.2']);
    assert.ok(connect(t, CIP, 300, '127.0.0.1', 4_000).includes('127.244.1.3'), 'back in rotation after it');
    // A refusal is cheap to find out again: it holds nothing off.
    t.connectFailed(SP, dead);
    assert.ok(connect(t, CIP, 300, '127.0.0.1', 4_001).includes('127.244.1.3'));
    // A connection that gets through ends the hold-off at once.
    t.connectFailed(SP, dead, 5_000);
    t.connectionOpened(SP, dead, '127.0.0.2', 5_001);
    assert.ok(connect(t, CIP, 300, '127.0.0.1', 5_002).includes('127.244.1.3'));
  });

  test('when every endpoint is held off they are all tried, and a retry still reaches a held one', () => {
    const t = newTable('random');
    program(t, svc('default', 'web'), [webSlice(three)]);
    for (const ip of ['127.244.1.2', '127.244.1.3', '127.244.2.2']) t.connectFailed(SP, `${ip}:8080`, 0);
    const picks = Array.from({ length: 300 }, () => picked(t.pick(CIP, { clientIP: '127.0.0.1', now: 10 })));
    assert.equal(Object.keys(histogram(picks)).length, 3);
    // The first that connects is back in rotation; the other two stay held off.
    t.connectionOpened(SP, '127.244.1.2:8080', '127.0.0.1', 11);
    assert.deepEqual(Object.keys(histogram(connect(t, CIP, 100, '127.0.0.1', 12))), ['127.244.1.2']);
    // One held and the two others refused this connection: the held one is its last chance.
    const t2 = newTable('random');
    program(t2, svc('default', 'web'), [webSlice(three)]);
    t2.connectFailed(SP, '127.244.2.2:8080', 0);
    const p = t2.pick(CIP, { clientIP: '127.0.0.1', now: 10, exclude: new Set(['127.244.1.2:8080', '127.244.1.3:8080']) });
    assert.equal(picked(p), '127.244.2.2');
  });

  test('unknown and health-check frontends', () => {
    const t = newTable();
    assert.deepEqual(t.pick('TCP/127.1.1.1:1', { clientIP: '127.0.0.1', now: 0 }), { kind: 'unknown-frontend' });
    program(
      t,
      svc('default', 'web', {
        type: 'LoadBalancer',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
      }),
      [webSlice(three)],
    );
    assert.equal(t.pick(`TCP/${NODE_IP}:32000`, { clientIP: '127.0.0.1', now: 0 }).kind, 'drop');
  });
});

describe('ForwardingTable diffs', () => {
  test('frontends for cluster IP, node ports on every node IP, load-balancer and external IPs, health check', () => {
    const t = newTable();
    const diff = program(
      t,
      svc('default', 'web', {
        type: 'LoadBalancer',
        ports: [
          { name: 'http', port: 80, nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
        ],
        lbIPs: ['127.77.2.100'],
        externalIPs: ['127.77.2.50'],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
      }),
      [],
    );
    assert.deepEqual(
      diff.frontendsAdded.map((f) => `${f.kind} ${f.key} ${f.servicePort}`),
      [
        `node-port TCP/127.77.2.1:30080 ${SP}`,
        `health-check TCP/127.77.2.1:32000 default/web`,
        `node-port TCP/127.77.2.2:30080 ${SP}`,
        `health-check TCP/127.77.2.2:32000 default/web`,
        `external-ip TCP/127.77.2.50:80 ${SP}`,
        `load-balancer TCP/127.77.2.100:80 ${SP}`,
        `cluster-ip TCP/127.96.0.10:80 ${SP}`,
        'node-port UDP/127.77.2.1:30053 default/web:dns/UDP',
        'node-port UDP/127.77.2.2:30053 default/web:dns/UDP',
        'external-ip UDP/127.77.2.50:53 default/web:dns/UDP',
        'load-balancer UDP/127.77.2.100:53 default/web:dns/UDP',
        'cluster-ip UDP/127.96.0.10:53 default/web:dns/UDP',
      ],
    );
    assert.deepEqual(diff.frontendsRemoved, []);
    assert.deepEqual(diff.servicePortsChanged, ['default/web:dns/UDP', SP]);
    assert.deepEqual(t.frontends(), diff.frontendsAdded);
  });

  test('an unchanged Service yields an empty diff; an endpoint change touches no frontend', () => {
    const t = newTable();
    program(t, svc('default', 'web'), [webSlice(three)]);
    assert.deepEqual(program(t, svc('default', 'web'), [webSlice(three)]), {
      frontendsAdded: [],
      frontendsRemoved: [],
      endpointsRemoved: [],
      servicePortsChanged: [],
    });
    const d = program(t, svc('default', 'web'), [webSlice(three.slice(1))]);
    assert.deepEqual(d.frontendsAdded, []);
    assert.deepEqual(d.frontendsRemoved, []);
    assert.deepEqual(d.servicePortsChanged, [SP]);
    assert.deepEqual(
      d.endpointsRemoved.map((r) => [r.servicePort, r.endpoints.map((e) => e.key)]),
      [[SP, ['127.244.1.2:8080']]],
    );
  });

  test('an endpoint turning not ready counts as removed; a new one is not reported', () => {
    const t = newTable();
    program(t, svc('default', 'web'), [webSlice(three)]);
    const d = program(t, svc('default', 'web'), [webSlice([['127.244.1.2', { ready: false }], ...three.slice(1), ['127.244.1.9']])]);
    assert.deepEqual(d.endpointsRemoved.flatMap((r) => r.endpoints.map((e) => e.key)), ['127.244.1.2:8080']);
  });

  test('one Service change touches only that Service\'s frontends', () => {
    const t = newTable();
    for (let i = 0; i < 50; i++) {
      program(t, svc('default', `s${i}`, { clusterIP: `127.96.1.${i}`, ports: [{ name: 'http', port: 80 }] }), []);
    }
    const d = program(t, svc('default', 's7', { clusterIP: '127.96.1.7', ports: [{ name: 'http', port: 8080 }] }), []);
    assert.deepEqual(d.frontendsRemoved.map((f) => f.key), ['TCP/127.96.1.7:80']);
    assert.deepEqual(d.frontendsAdded.map((f) => f.key), ['TCP/127.96.1.7:8080']);
    assert.equal(t.frontends().length, 50);
  });

  test('a frontend whose kind or port stays the same is in neither list when other ports change', () => {
    const t = newTable();
    program(t, svc('default', 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), []);
    const d = program(t, svc('default', 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30081 }] }), []);
    assert.deepEqual(d.frontendsRemoved.map((f) => f.key), [`TCP/${NODE_IP}:30080`, `TCP/${NODE2_IP}:30080`]);
    assert.deepEqual(d.frontendsAdded.map((f) => f.key), [`TCP/${NODE_IP}:30081`, `TCP/${NODE2_IP}:30081`]);
  });

  test('deleting a Service removes its frontends and reports its endpoints removed', () => {
    const t = newTable();
    program(t, svc('default', 'web'), [webSlice(three)]);
    const d = t.setService('default/web', [], [], 0);
    assert.deepEqual(d.frontendsRemoved.map((f) => f.key), [CIP]);
    assert.deepEqual(d.endpointsRemoved.map((r) => [r.servicePort, r.endpoints.length]), [[SP, 3]]);
    assert.deepEqual(d.servicePortsChanged, [SP]);
    assert.equal(t.servicePort(SP), undefined);
    assert.equal(t.size, 0);
    assert.deepEqual(t.frontends(), []);
  });

  test('two Services claiming one address: the first keeps it, the second takes over when it goes', () => {
    const t = newTable();
    program(t, svc('default', 'a', { clusterIP: '127.96.0.1', externalIPs: ['127.77.2.50'] }), []);
    const d = program(t, svc('default', 'b', { clusterIP: '127.96.0.2', externalIPs: ['127.77.2.50'] }), []);
    assert.deepEqual(d.frontendsAdded.map((f) => f.key), ['TCP/127.96.0.2:80']);
    assert.equal(t.frontend('TCP/127.77.2.50:80')?.servicePort, 'default/a:http/TCP');
    const gone = t.setService('default/a', [], [], 0);
    assert.deepEqual(gone.frontendsRemoved.map((f) => `${f.key} ${f.servicePort}`), ['TCP/127.77.2.50:80 default/a:http/TCP', 'TCP/127.96.0.1:80 default/a:http/TCP']);
    assert.deepEqual(gone.frontendsAdded.map((f) => `${f.key} ${f.servicePort}`), ['TCP/127.77.2.50:80 default/b:http/TCP']);
    assert.equal(t.frontend('TCP/127.77.2.50:80')?.servicePort, 'default/b:http/TCP');
  });

  test('a waiting claim is withdrawn when its Service lets go first', () => {
    const t = newTable();
    program(t, svc('default', 'a', { clusterIP: '127.96.0.1', externalIPs: ['127.77.2.50'] }), []);
    program(t, svc('default', 'b', { clusterIP: '127.96.0.2', externalIPs: ['127.77.2.50'] }), []);
    program(t, svc('default', 'b', { clusterIP: '127.96.0.2' }), []);
    const gone = t.setService('default/a', [], [], 0);
    assert.deepEqual(gone.frontendsAdded, []);
    assert.equal(t.frontend('TCP/127.77.2.50:80'), undefined);
  });

  test('ports of another Service are refused', () => {
    const t = newTable();
    assert.throws(() => t.setService('default/other', servicePorts(svc('default', 'web')), [], 0), RangeError);
  });

  test('10,000 Services: updating one reports only its own changes', () => {
    const t = newTable();
    for (let i = 0; i < 10_000; i++) {
      const s = svc('load', `s${i}`, { clusterIP: `127.96.${Math.floor(i / 200)}.${i % 200}` });
      program(t, s, [slice('load', `s${i}`, `s${i}-a`, [ep(`127.244.1.${i % 250}`)])]);
    }
    assert.equal(t.size, 10_000);
    const d = program(t, svc('load', 's5000', { clusterIP: '127.96.25.0' }), [slice('load', 's5000', 's5000-a', [ep('127.244.1.251')])]);
    assert.deepEqual(d.servicePortsChanged, ['load/s5000:http/TCP']);
    assert.deepEqual(d.frontendsAdded, []);
    assert.deepEqual(d.endpointsRemoved.map((r) => r.endpoints.map((e) => e.key)), [['127.244.1.0:8080']]);
  });
});

describe('ForwardingTable health check and stats', () => {
  const lb = (policy: string) =>
    svc('default', 'web', {
      type: 'LoadBalancer',
      ports: [
        { name: 'http', port: 80, nodePort: 30080 },
        { name: 'https', port: 443, nodePort: 30443 },
      ],
      externalTrafficPolicy: policy,
      healthCheckNodePort: 32000,
    });
  const twoPorts = (endpoints: [string, EpOptions?][]) =>
    slice(
      'default',
      'web',
      'web-1',
      endpoints.map(([ip, o]) => ep(ip, o)),
      [
        { name: 'http', port: 8080 },
        { name: 'https', port: 8443 },
      ],
    );

  test('answers like kube-proxy: local ready endpoints counted by IP', () => {
    const t = newTable();
    program(t, lb('Local'), [twoPorts([...three, ['127.244.1.4', { node: 'node-1', ready: false, serving: true, terminating: true }]])]);
    const ok = t.healthCheck(32000);
    assert.equal(ok?.code, 200);
    assert.deepEqual(JSON.parse(ok?.body ?? ''), { service: { namespace: 'default', name: 'web' }, localEndpoints: 2, serviceProxyHealthy: true });
    assert.equal(t.healthCheck(32000, false)?.code, 503);
    program(t, lb('Local'), [twoPorts([['127.244.2.2', { node: 'node-2' }]])]);
    assert.equal(t.healthCheck(32000)?.code, 503);
    assert.equal((JSON.parse(t.healthCheck(32000)?.body ?? '{}') as { localEndpoints: number }).localEndpoints, 0);
    assert.equal(t.healthCheck(32001), undefined);
  });

  test('the health check goes away with policy Cluster or with the Service', () => {
    const t = newTable();
    program(t, lb('Local'), []);
    const d = program(t, lb('Cluster'), []);
    assert.deepEqual(d.frontendsRemoved.map((f) => f.kind), ['health-check', 'health-check']);
    assert.equal(t.healthCheck(32000), undefined);
    program(t, lb('Local'), []);
    t.setService('default/web', [], [], 0);
    assert.equal(t.healthCheck(32000), undefined);
  });

  test('counters per service port and endpoint; a removed endpoint\'s counters live until its last connection closes', () => {
    const t = newTable('round-robin');
    program(t, svc('default', 'web'), [webSlice(three)]);
    connect(t, CIP, 3, '127.0.0.1', 0, true);
    t.bytes(SP, 100, 2000, '127.244.1.2:8080');
    t.bytes(SP, 1, 1);
    t.connectFailed(SP, '127.244.1.3:8080');
    t.connectFailed(SP, '127.244.9.9:8080');
    program(t, svc('default', 'web'), [webSlice(three.slice(1))]);
    let [s] = t.stats();
    assert.deepEqual(s, {
      servicePort: SP,
      connectionsActive: 3,
      connectionsTotal: 3,
      connectFailures: 2,
      bytesIn: 101,
      bytesOut: 2001,
      affinityClients: 0,
      endpoints: [
        { key: '127.244.1.2:8080', active: 1, total: 1, connectFailures: 0, bytesIn: 100, bytesOut: 2000 },
        { key: '127.244.1.3:8080', active: 1, total: 1, connectFailures: 1, bytesIn: 0, bytesOut: 0 },
        { key: '127.244.2.2:8080', active: 1, total: 1, connectFailures: 0, bytesIn: 0, bytesOut: 0 },
      ],
    });
    t.connectionClosed(SP, '127.244.1.2:8080');
    t.connectionClosed(SP, '127.244.1.3:8080');
    [s] = t.stats();
    assert.equal(s?.connectionsActive, 1);
    assert.deepEqual(s?.endpoints.map((e) => [e.key, e.active]), [
      ['127.244.1.3:8080', 0],
      ['127.244.2.2:8080', 1],
    ]);
  });

  test('counters survive Service updates and reset when the Service is deleted', () => {
    const t = newTable();
    program(t, svc('default', 'web'), [webSlice(three)]);
    connect(t, CIP, 5);
    program(t, svc('default', 'web', { affinity: true }), [webSlice(three)]);
    assert.equal(t.stats(SP)[0]?.connectionsTotal, 5);
    t.setService('default/web', [], [], 0);
    program(t, svc('default', 'web'), [webSlice(three)]);
    assert.equal(t.stats(SP)[0]?.connectionsTotal, 0);
    t.connectionClosed(SP, '127.244.1.2:8080');
    assert.equal(t.stats(SP)[0]?.connectionsActive, 0, 'a late close of an old connection never goes negative');
  });
});
