import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '@kemu/api';
import { diffRoutes, NodeRoutes, nodePodCIDRs, parseRouteShow, planRoutes, routeBatchScript } from './node-routes.js';
import { AddressFormatError } from './ipv4.js';
import { testLogger } from './test-log.js';

const log = testLogger('node-routes-test');

function node(name: string, podCIDRs: string[] | string | undefined, addresses: [string, string][]): Node {
  return {
    metadata: { name },
    spec: Array.isArray(podCIDRs) ? { podCIDRs, podCIDR: podCIDRs[0] ?? '' } : { podCIDR: podCIDRs ?? '' },
    status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
  };
}

test('planRoutes routes every other node pod CIDR via its InternalIP, sorted numerically', () => {
  const nodes = [
    node('node-10', '10.244.10.0/24', [['InternalIP', '172.20.0.10']]),
    node('node-1', '10.244.1.0/24', [['InternalIP', '172.20.0.1']]),
    node('node-2', '10.244.2.0/24', [['Hostname', 'node-2'], ['InternalIP', '172.20.0.2']]),
  ];
  assert.deepEqual(planRoutes('node-1', nodes), [
    { cidr: '10.244.2.0/24', via: '172.20.0.2', node: 'node-2' },
    { cidr: '10.244.10.0/24', via: '172.20.0.10', node: 'node-10' },
  ]);
});

test('planRoutes skips nodes without an IPv4 pod CIDR or InternalIP and ignores other address types', () => {
  const nodes = [
    node('self', '10.244.1.0/24', [['InternalIP', '172.20.0.1']]),
    node('no-cidr', undefined, [['InternalIP', '172.20.0.3']]),
    node('v6-only', ['fd00:10:244:4::/64'], [['InternalIP', '172.20.0.4']]),
    node('external-only', '10.244.5.0/24', [['ExternalIP', '203.0.113.5']]),
    node('v6-ip', '10.244.6.0/24', [['InternalIP', 'fd00::6']]),
    node('dual', ['fd00:10:244:7::/64', '10.244.7.0/24'], [['InternalIP', 'fd00::7'], ['InternalIP', '172.20.0.7']]),
    { spec: { podCIDR: '10.244.8.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '172.20.0.8' }] } },
  ];
  assert.deepEqual(planRoutes('self', nodes), [{ cidr: '10.244.7.0/24', via: '172.20.0.7', node: 'dual' }]);
});

test('planRoutes never routes away this node pod CIDR and resolves duplicate claims by node name', () => {
  const nodes = [
    node('self', '10.244.1.0/24', [['InternalIP', '172.20.0.1']]),
    node('overlapping', '10.244.0.0/16', [['InternalIP', '172.20.0.9']]),
    node('b', '10.244.3.0/24', [['InternalIP', '172.20.0.3']]),
    node('a', '10.244.3.0/24', [['InternalIP', '172.20.0.33']]),
  ];
  assert.deepEqual(planRoutes('self', nodes), [{ cidr: '10.244.3.0/24', via: '172.20.0.33', node: 'a' }]);
});

test('nodePodCIDRs prefers spec.podCIDRs, canonicalises, drops IPv6', () => {
  assert.deepEqual(nodePodCIDRs(node('n', ['10.244.3.9/24', 'fd00::/64'], [])), ['10.244.3.0/24']);
  assert.deepEqual(nodePodCIDRs({ spec: { podCIDR: '10.244.4.0/24', podCIDRs: [] } }), ['10.244.4.0/24']);
  assert.deepEqual(nodePodCIDRs({}), []);
});

test('diffRoutes deletes dropped routes and replaces new or moved ones; routeBatchScript prints them', () => {
  const current = new Map([
    ['10.244.2.0/24', '172.20.0.2'],
    ['10.244.3.0/24', '172.20.0.3'],
    ['10.244.4.0/24', '172.20.0.4'],
  ]);
  const desired = new Map([
    ['10.244.2.0/24', '172.20.0.2'],
    ['10.244.4.0/24', '172.20.0.44'],
    ['10.244.10.0/24', '172.20.0.10'],
  ]);
  const ops = diffRoutes(current, desired);
  assert.deepEqual(routeBatchScript(ops), ['route del 10.244.3.0/24 via 172.20.0.3', 'route replace 10.244.4.0/24 via 172.20.0.44', 'route replace 10.244.10.0/24 via 172.20.0.10']);
  assert.deepEqual(diffRoutes(desired, desired), []);
});

test('parseRouteShow reads destinations, gateways, devices and route types', () => {
  const text = [
    'default via 172.20.0.254 dev eth0 ',
    '10.244.1.0/24 via 10.250.3.1 dev kva ',
    '10.244.9.9 via 10.250.3.1 dev kva proto static ',
    '10.250.3.0/24 dev kva proto kernel scope link src 10.250.3.2 ',
    'blackhole 10.244.2.0/24 proto bird ',
    '10.244.5.0/24 proto static ',
    '\tnexthop via 10.250.3.1 dev kva weight 1 ',
    '',
  ].join('\n');
  assert.deepEqual(parseRouteShow(text), [
    { cidr: '0.0.0.0/0', type: 'unicast', via: '172.20.0.254', dev: 'eth0' },
    { cidr: '10.244.1.0/24', type: 'unicast', via: '10.250.3.1', dev: 'kva' },
    { cidr: '10.244.9.9/32', type: 'unicast', via: '10.250.3.1', dev: 'kva' },
    { cidr: '10.250.3.0/24', type: 'unicast', dev: 'kva' },
    { cidr: '10.244.2.0/24', type: 'blackhole' },
    { cidr: '10.244.5.0/24', type: 'unicast' },
  ]);
});

test('NodeRoutes.apply skips routes outside the owned network or over this node, without running ip', async () => {
  const routes = new NodeRoutes({ ipCommand: ['/nonexistent/kemu-ip'], owned: ['10.244.0.0/16'], ownPodCIDRs: ['10.244.1.0/24'], log });
  await routes.apply([
    { cidr: '0.0.0.0/0', via: '172.20.0.2', node: 'evil' },
    { cidr: '10.245.0.0/24', via: '172.20.0.2', node: 'outside' },
    { cidr: '10.244.1.0/24', via: '172.20.0.2', node: 'mine' },
  ]);
  assert.equal(routes.batches, 0);
  await assert.rejects(routes.apply([{ cidr: '10.244.2.0/24', via: 'node-2', node: 'node-2' }]), (err: unknown) => err instanceof AddressFormatError && err.field === 'routes[0].via');
  await assert.rejects(routes.apply([{ cidr: '10.244.2.0', via: '172.20.0.2', node: 'node-2' }]), /routes\[0\]\.cidr/);
});

test('NodeRoutes.apply reports an ip that cannot run as NodeRouteError naming the route', async () => {
  const routes = new NodeRoutes({ ipCommand: ['/nonexistent/kemu-ip'], owned: ['10.244.0.0/16'], log });
  await assert.rejects(routes.apply([{ cidr: '10.244.2.0/24', via: '172.20.0.2', node: 'node-2' }]), (err: unknown) => err instanceof Error && err.name === 'NodeRouteError' && /node routes: 10\.244\.2\.0\/24 via 172\.20\.0\.2: .*ENOENT/.test(err.message));
  assert.equal(routes.batches, 1);
  assert.deepEqual(routes.list(), []);
});
