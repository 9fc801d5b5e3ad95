import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSlice, Service } from '@kemu/api';
import { Rcode, Type } from '../../wire/constants.js';
import { ClusterRecords, reverseName, type Lookup } from './records.js';

const svc = (name: string, spec: NonNullable<Service['spec']>, ns = 'ns'): Service => ({ metadata: { name, namespace: ns }, spec });
const slice = (name: string, service: string, endpoints: NonNullable<EndpointSlice['endpoints']>, ports: NonNullable<EndpointSlice['ports']>): EndpointSlice => ({
  metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});
const data = (l: Lookup | undefined): string[] =>
  (l?.answer.answer ?? []).map((r) => {
    const d = r.data as Record<string, unknown>;
    return `${r.name} ${Object.entries(d).filter(([k]) => k !== 'type').map(([, v]) => String(v)).join(' ')}`;
  });

function records(): ClusterRecords {
  return new ClusterRecords({ zone: 'cluster.local', ttl: 5, pods: 'insecure' });
}

test('a ClusterIP Service: A with or without endpoints, AAAA NODATA, SRV for named ports, PTR', () => {
  const r = records();
  r.setService(svc('web', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81, protocol: 'UDP' }] }));
  assert.deepEqual(data(r.lookup('web.ns.svc.cluster.local.', Type.A)), ['web.ns.svc.cluster.local. 10.96.0.5']);
  const aaaa = r.lookup('web.ns.svc.cluster.local.', Type.AAAA)!;
  assert.equal(aaaa.answer.rcode, Rcode.NOERROR);
  assert.equal(aaaa.answer.answer.length, 0);
  assert.equal(aaaa.answer.authority[0]?.data.type, Type.SOA);
  assert.deepEqual(data(r.lookup('_http._tcp.web.ns.svc.cluster.local.', Type.SRV)), ['_http._tcp.web.ns.svc.cluster.local. 0 100 80 web.ns.svc.cluster.local.']);
  assert.equal(r.lookup('_http._udp.web.ns.svc.cluster.local.', Type.SRV)?.answer.rcode, Rcode.NXDOMAIN);
  assert.equal(r.lookup('_http._tcp.web.ns.svc.cluster.local.', Type.A)?.answer.rcode, Rcode.NOERROR, 'the SRV name exists');
  assert.deepEqual(data(r.lookup(reverseName('10.96.0.5'), Type.PTR)), ['5.0.96.10.in-addr.arpa. web.ns.svc.cluster.local.']);
  assert.equal(r.lookup(reverseName('10.96.0.6'), Type.PTR), undefined, 'unknown addresses fall through');
});

test('negative answers: NXDOMAIN for what does not exist, NODATA for what does', () => {
  const r = records();
  r.setService(svc('web', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] }));
  const rc = (n: string, t: number = Type.A): number | undefined => r.lookup(n, t)?.answer.rcode;
  assert.equal(rc('nope.ns.svc.cluster.local.'), Rcode.NXDOMAIN);
  assert.equal(rc('ns.svc.cluster.local.'), Rcode.NOERROR);
  assert.equal(rc('other.svc.cluster.local.'), Rcode.NXDOMAIN);
  assert.equal(rc('svc.cluster.local.'), Rcode.NOERROR);
  assert.equal(rc('cluster.local.'), Rcode.NOERROR);
  assert.equal(rc('x.y.cluster.local.'), Rcode.NXDOMAIN);
  assert.equal(rc('a.web.ns.svc.cluster.local.'), Rcode.NXDOMAIN, 'no endpoint names under a ClusterIP Service');
  assert.equal(r.lookup('example.com.', Type.A), undefined, 'not this zone');
  assert.deepEqual(data(r.lookup('dns-version.cluster.local.', Type.TXT)), ['dns-version.cluster.local. 1.1.0']);
  assert.deepEqual(data(r.lookup('10-1-2-3.ns.pod.cluster.local.', Type.A)), ['10-1-2-3.ns.pod.cluster.local. 10.1.2.3']);
  assert.equal(rc('10-1-2-300.ns.pod.cluster.local.'), Rcode.NXDOMAIN);
});

test('a headless Service: ready endpoints only, hostnames, SRV per endpoint and port, NXDOMAIN without endpoints', () => {
  const r = records();
  r.setService(svc('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  assert.equal(r.lookup('db.ns.svc.cluster.local.', Type.A)?.answer.rcode, Rcode.NXDOMAIN);
  r.setSlice(
    slice('db-1', 'db', [
      { addresses: ['10.1.0.1'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.1.0.2'] },
      { addresses: ['10.1.0.3'], conditions: { ready: false } },
    ], [{ name: 'pg', port: 15432, protocol: 'TCP' }]),
  );
  assert.deepEqual(data(r.lookup('db.ns.svc.cluster.local.', Type.A)).sort(), ['db.ns.svc.cluster.local. 10.1.0.1', 'db.ns.svc.cluster.local. 10.1.0.2']);
  assert.deepEqual(data(r.lookup('db-0.db.ns.svc.cluster.local.', Type.A)), ['db-0.db.ns.svc.cluster.local. 10.1.0.1']);
  assert.deepEqual(data(r.lookup('_pg._tcp.db.ns.svc.cluster.local.', Type.SRV)).sort(), [
    '_pg._tcp.db.ns.svc.cluster.local. 0 50 15432 10-1-0-2.db.ns.svc.cluster.local.',
    '_pg._tcp.db.ns.svc.cluster.local. 0 50 15432 db-0.db.ns.svc.cluster.local.',
  ]);
  assert.deepEqual(data(r.lookup(reverseName('10.1.0.1'), Type.PTR)), ['1.0.1.10.in-addr.arpa. db-0.db.ns.svc.cluster.local.']);
  assert.equal(r.lookup(reverseName('10.1.0.3'), Type.PTR), undefined, 'not ready: no PTR');

  r.setService(svc('db', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] }));
  assert.equal(data(r.lookup('db.ns.svc.cluster.local.', Type.A)).length, 3, 'publishNotReadyAddresses counts every endpoint');
});

test('versions: an answer depends on its Service; negative answers on existence', () => {
  const r = records();
  r.setService(svc('web', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] }));
  const pos = r.lookup('web.ns.svc.cluster.local.', Type.A)!;
  const before = pos.deps.map((d) => d.value);
  const neg = r.lookup('api.ns.svc.cluster.local.', Type.A)!;
  const negBefore = neg.deps.map((d) => d.value);
  r.setService(svc('other', { clusterIP: '10.96.0.9', ports: [{ port: 80 }] }, 'elsewhere'));
  assert.deepEqual(pos.deps.map((d) => d.value), before, 'another Service does not touch this answer');
  assert.notDeepEqual(neg.deps.map((d) => d.value), negBefore, 'a new Service may make a missing name exist');
  r.setService(svc('web', { clusterIP: '10.96.0.5', ports: [{ port: 8080 }] }));
  assert.notDeepEqual(pos.deps.map((d) => d.value), before);
  r.deleteService('ns', 'web');
  assert.equal(r.lookup('web.ns.svc.cluster.local.', Type.A)?.answer.rcode, Rcode.NXDOMAIN);
  assert.equal(r.lookup(reverseName('10.96.0.5'), Type.PTR), undefined);
});

test('ExternalName: a CNAME to chase', () => {
  const r = records();
  r.setService(svc('ext', { type: 'ExternalName', externalName: 'WWW.Example.com.' }));
  const l = r.lookup('ext.ns.svc.cluster.local.', Type.A)!;
  assert.deepEqual(data(l), ['ext.ns.svc.cluster.local. www.example.com.']);
  assert.equal(l.chase, 'www.example.com.');
  assert.equal(r.lookup('ext.ns.svc.cluster.local.', Type.CNAME)?.chase, undefined);
});

test('IPv6 ClusterIPs answer AAAA and have nibble PTRs', () => {
  const r = records();
  r.setService(svc('v6', { clusterIP: 'fd00::a', clusterIPs: ['fd00::a', '10.96.0.7'], ports: [{ port: 80 }] }));
  assert.deepEqual(data(r.lookup('v6.ns.svc.cluster.local.', Type.AAAA)), ['v6.ns.svc.cluster.local. fd00::a']);
  assert.deepEqual(data(r.lookup('v6.ns.svc.cluster.local.', Type.A)), ['v6.ns.svc.cluster.local. 10.96.0.7']);
  const ptr = reverseName('fd00::a');
  assert.ok(ptr.startsWith('a.0.0.0.') && ptr.endsWith('.0.0.d.f.ip6.arpa.'), ptr);
  assert.deepEqual(data(r.lookup(ptr, Type.PTR)), [`${ptr} v6.ns.svc.cluster.local.`]);
});
