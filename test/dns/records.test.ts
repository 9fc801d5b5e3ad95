import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EndpointSlice, KubeClient, Service } from '@kemu/api';
import { encodeQuery } from '@kemu/dns';
import { ControlPlane, dig, eventually, rdata, TestDns, TOKENS } from '../harness/index.js';

// kemu's dns process against a real apiserver, asked by real dig: the records of the
// Kubernetes DNS specification for Services created, changed and deleted.
const BLOCK = '127.42.0';
const DNS = `${BLOCK}.53`;
const PORT = 1053;
const NS = 'dns-test';
const Z = 'cluster.local';

function slice(name: string, svc: string, endpoints: Array<{ ip: string; hostname?: string; ready?: boolean }>, ports: Array<{ name: string; port: number; protocol?: string }>): EndpointSlice {
  return {
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], ...(e.hostname ? { hostname: e.hostname } : {}), conditions: { ready: e.ready ?? true } })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Sends raw bytes over UDP; resolves with the reply, or undefined after `ms`. */
function rawQuery(bytes: Buffer, ms = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, ms);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(bytes, PORT, DNS);
  });
}

/** A query for `name` type A, as bytes, with lying section counts when asked. */
function queryBytes(name: string, o: { id?: number; qd?: number; an?: number; flags?: number } = {}): Buffer {
  const q = encodeQuery(name, { id: o.id ?? 0x4242, flags: o.flags });
  if (o.qd !== undefined) q.writeUInt16BE(o.qd, 4);
  if (o.an !== undefined) q.writeUInt16BE(o.an, 6);
  return q;
}

describe('cluster DNS answers real dig from Services and EndpointSlices', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let dns: TestDns;
  let webIP = '';

  const q = (name: string, type = 'A', extra: string[] = []) => dig(DNS, PORT, name, type, extra);

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: BLOCK, controllerManagers: 0, apiserverArgs: ['--service-cluster-ip-range', '127.145.0.0/24'] });
    client = cp.client();
    await client.create('namespaces', { metadata: { name: NS } });
    dns = new TestDns({ name: 'dns-0', apiservers: cp.apiserverEndpoints(), token: TOKENS.admin, host: DNS, port: PORT, opsPort: 9153, dir: mkdtempSync(join(tmpdir(), 'kemu-dns-')) }).start();
    await dns.process.waitReady();
  });
  after(async () => {
    await dns?.process.signal('SIGTERM');
    client?.close();
    await cp?.destroy();
  });

  test('dns-version, the zone apex SOA, and the kubernetes Service', async () => {
    const v = await q(`dns-version.${Z}`, 'TXT');
    assert.deepEqual(rdata(v.answer, 'TXT'), ['"1.1.0"']);
    assert.ok(v.flags.includes('aa'), 'authoritative');
    const soa = await q(`${Z}`, 'SOA');
    assert.match(rdata(soa.answer, 'SOA')[0] ?? '', /^ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/);
    const k = await q(`kubernetes.default.svc.${Z}`);
    assert.deepEqual(rdata(k.answer, 'A'), ['127.145.0.1']);
    assert.equal(k.answer[0]?.[1], '5', 'TTL 5 s');
  });

  test('a ClusterIP Service: A, case-insensitive, NODATA for AAAA, SRV per named port, PTR', async () => {
    const svc = await client.create('services', {
      metadata: { name: 'web', namespace: NS },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] },
    } satisfies Service);
    webIP = svc.spec?.clusterIP ?? '';
    const a = await eventually(async () => {
      const r = await q(`web.${NS}.svc.${Z}`);
      assert.equal(r.status, 'NOERROR');
      return r;
    }, 5000, 20);
    assert.deepEqual(rdata(a.answer, 'A'), [webIP]);
    assert.deepEqual(rdata((await q(`WeB.${NS.toUpperCase()}.sVc.${Z.toUpperCase()}`)).answer, 'A'), [webIP]);
    const aaaa = await q(`web.${NS}.svc.${Z}`, 'AAAA');
    assert.equal(aaaa.status, 'NOERROR');
    assert.equal(aaaa.answer.length, 0);
    assert.equal(aaaa.authority[0]?.[3], 'SOA', 'NODATA carries the SOA');
    const srv = await q(`_http._tcp.web.${NS}.svc.${Z}`, 'SRV');
    assert.deepEqual(rdata(srv.answer, 'SRV'), [`0 100 80 web.${NS}.svc.${Z}.`]);
    assert.deepEqual(rdata(srv.additional, 'A'), [webIP]);
    assert.deepEqual(rdata((await q(`_dns._udp.web.${NS}.svc.${Z}`, 'SRV')).answer, 'SRV'), [`0 100 53 web.${NS}.svc.${Z}.`]);
    assert.equal((await q(`_http._udp.web.${NS}.svc.${Z}`, 'SRV')).status, 'NXDOMAIN');
    const ptr = await q(webIP.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR');
    assert.deepEqual(rdata(ptr.answer, 'PTR'), [`web.${NS}.svc.${Z}.`]);
    const nx = await q(`nope.${NS}.svc.${Z}`);
    assert.equal(nx.status, 'NXDOMAIN');
    assert.equal(nx.authority[0]?.[3], 'SOA');
    assert.equal((await q(`${NS}.svc.${Z}`)).status, 'NOERROR', 'a namespace with Services exists');
    assert.equal((await q(`no-such-ns.svc.${Z}`)).status, 'NXDOMAIN');
  });

  test('a port renamed: the old SRV name is gone, the new one answers', async () => {
    const cur = await client.get('services', NS, 'web');
    await client.update('services', { ...cur, spec: { ...cur.spec, ports: [{ name: 'web', port: 80, protocol: 'TCP' }] } });
    await eventually(async () => assert.equal((await q(`_http._tcp.web.${NS}.svc.${Z}`, 'SRV')).status, 'NXDOMAIN'), 5000, 20);
    assert.deepEqual(rdata((await q(`_web._tcp.web.${NS}.svc.${Z}`, 'SRV')).answer, 'SRV'), [`0 100 80 web.${NS}.svc.${Z}.`]);
  });

  test('a headless Service: A per ready endpoint, hostname records, SRV per endpoint, PTR per endpoint; changes show', async () => {
    await client.create('services', { metadata: { name: 'db', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } } satisfies Service);
    await eventually(async () => assert.equal((await q(`db.${NS}.svc.${Z}`)).status, 'NXDOMAIN', 'no ready endpoints: NXDOMAIN'), 5000, 20);
    await client.create('endpointslices', slice('db-1', 'db', [{ ip: '10.1.0.1', hostname: 'db-0' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3', ready: false }], [{ name: 'pg', port: 5432 }]));
    const a = await eventually(async () => {
      const r = await q(`db.${NS}.svc.${Z}`);
      assert.equal(r.answer.length, 2);
      return r;
    }, 5000, 20);
    assert.deepEqual(rdata(a.answer, 'A').sort(), ['10.1.0.1', '10.1.0.2']);
    assert.deepEqual(rdata((await q(`db-0.db.${NS}.svc.${Z}`)).answer, 'A'), ['10.1.0.1']);
    assert.deepEqual(rdata((await q(`10-1-0-2.db.${NS}.svc.${Z}`)).answer, 'A'), ['10.1.0.2'], 'no hostname: the dashed address');
    assert.equal((await q(`10-1-0-3.db.${NS}.svc.${Z}`)).status, 'NXDOMAIN', 'not ready: no record');
    const srv = await q(`_pg._tcp.db.${NS}.svc.${Z}`, 'SRV');
    assert.deepEqual(rdata(srv.answer, 'SRV').sort(), [`0 50 5432 10-1-0-2.db.${NS}.svc.${Z}.`, `0 50 5432 db-0.db.${NS}.svc.${Z}.`]);
    assert.deepEqual(rdata(srv.additional, 'A').sort(), ['10.1.0.1', '10.1.0.2']);
    assert.deepEqual(rdata((await q('1.0.1.10.in-addr.arpa', 'PTR')).answer, 'PTR'), [`db-0.db.${NS}.svc.${Z}.`]);

    // An endpoint added, one made unready, then the slice removed.
    const cur = await client.get('endpointslices', NS, 'db-1');
    await client.update('endpointslices', { ...slice('db-1', 'db', [{ ip: '10.1.0.1', hostname: 'db-0', ready: false }, { ip: '10.1.0.2' }, { ip: '10.1.0.4' }], [{ name: 'pg', port: 5432 }]), metadata: cur.metadata });
    await eventually(async () => assert.deepEqual(rdata((await q(`db.${NS}.svc.${Z}`)).answer, 'A').sort(), ['10.1.0.2', '10.1.0.4']), 5000, 20);
    assert.equal((await q(`db-0.db.${NS}.svc.${Z}`)).status, 'NXDOMAIN');
    await client.delete('endpointslices', NS, 'db-1');
    await eventually(async () => assert.equal((await q(`db.${NS}.svc.${Z}`)).status, 'NXDOMAIN'), 5000, 20);
  });

  test('IPv6 endpoints of a headless Service: AAAA records and ip6.arpa PTRs', async () => {
    await client.create('services', { metadata: { name: 'v6', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'p', port: 80 }] } } satisfies Service);
    await client.create('endpointslices', { ...slice('v6-1', 'v6', [{ ip: 'fd00::1', hostname: 'web-0' }], [{ name: 'p', port: 80 }]), addressType: 'IPv6' });
    await eventually(async () => assert.deepEqual(rdata((await q(`v6.${NS}.svc.${Z}`, 'AAAA')).answer, 'AAAA'), ['fd00::1']), 5000, 20);
    assert.equal((await q(`v6.${NS}.svc.${Z}`, 'A')).answer.length, 0, 'no A for IPv6 endpoints');
    const rev = `${[...'fd000000000000000000000000000001'].reverse().join('.')}.ip6.arpa`;
    assert.deepEqual(rdata((await q(rev, 'PTR')).answer, 'PTR'), [`web-0.v6.${NS}.svc.${Z}.`]);
  });

  test('ExternalName: a CNAME, followed inside the cluster zone', async () => {
    await client.create('services', { metadata: { name: 'alias', namespace: NS }, spec: { type: 'ExternalName', externalName: `web.${NS}.svc.${Z}` } } satisfies Service);
    await client.create('services', { metadata: { name: 'outside', namespace: NS }, spec: { type: 'ExternalName', externalName: 'www.example.com' } } satisfies Service);
    const r = await eventually(async () => {
      const x = await q(`alias.${NS}.svc.${Z}`);
      assert.equal(x.answer.length, 2);
      return x;
    }, 5000, 20);
    assert.deepEqual(rdata(r.answer, 'CNAME'), [`web.${NS}.svc.${Z}.`]);
    assert.deepEqual(rdata(r.answer, 'A'), [webIP]);
    assert.deepEqual(rdata((await q(`outside.${NS}.svc.${Z}`)).answer, 'CNAME'), ['www.example.com.']);
  });

  test('a deleted Service: its names and its PTR are gone', async () => {
    await client.create('services', { metadata: { name: 'gone', namespace: NS }, spec: { ports: [{ name: 'http', port: 80 }] } } satisfies Service);
    const ip = (await client.get('services', NS, 'gone')).spec?.clusterIP ?? '';
    const rev = `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
    await eventually(async () => assert.deepEqual(rdata((await q(`gone.${NS}.svc.${Z}`)).answer, 'A'), [ip]), 5000, 20);
    assert.deepEqual(rdata((await q(rev, 'PTR')).answer, 'PTR'), [`gone.${NS}.svc.${Z}.`]);
    await client.delete('services', NS, 'gone');
    await eventually(async () => assert.equal((await q(`gone.${NS}.svc.${Z}`)).status, 'NXDOMAIN'), 5000, 20);
    assert.equal((await q(`_http._tcp.gone.${NS}.svc.${Z}`, 'SRV')).status, 'NXDOMAIN');
    assert.equal((await q(rev, 'PTR')).answer.length, 0);
  });

  test('names outside the cluster get a prompt REFUSED (no upstream configured)', async () => {
    const t0 = performance.now();
    assert.equal((await q('example.com')).status, 'REFUSED');
    assert.ok(performance.now() - t0 < 2000);
  });

  test('an answer over 512 octets sets TC on UDP; the same query over TCP has it all', async () => {
    await client.create('services', { metadata: { name: 'big', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] } } satisfies Service);
    const eps = Array.from({ length: 40 }, (_, i) => ({ ip: `10.2.0.${i + 1}` }));
    await client.create('endpointslices', slice('big-1', 'big', eps, [{ name: 'p', port: 1 }]));
    await eventually(async () => assert.equal((await q(`big.${NS}.svc.${Z}`, 'A', ['+tcp'])).answer.length, 40), 5000, 20);
    const udp = await q(`big.${NS}.svc.${Z}`, 'A', ['+noedns', '+ignore']);
    assert.ok(udp.flags.includes('tc'), `flags: ${udp.flags.join(' ')}`);
    assert.equal(udp.answer.length, 0);
    const tcp = await q(`big.${NS}.svc.${Z}`, 'A', ['+tcp']);
    assert.equal(tcp.answer.length, 40);
    assert.ok(!tcp.flags.includes('tc'));
  });

  test('malformed packets: dropped or FORMERR, and the server keeps answering', async () => {
    assert.equal(await rawQuery(Buffer.from([1, 2, 3]), 300), undefined, 'shorter than a header: no reply');
    const twoQuestions = await rawQuery(queryBytes(`web.${NS}.svc.${Z}`, { qd: 2, id: 7 }));
    assert.equal(twoQuestions?.readUInt16BE(0), 7);
    assert.equal((twoQuestions?.[3] ?? 0) & 0xf, 1, 'QDCOUNT 2: FORMERR');
    const counted = await rawQuery(queryBytes(`web.${NS}.svc.${Z}`, { an: 1 }));
    assert.equal((counted?.[3] ?? 0) & 0xf, 1, 'an answer counted but missing: FORMERR');
    const loop = Buffer.concat([queryBytes('x').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    assert.equal(((await rawQuery(loop))?.[3] ?? 0) & 0xf, 1, 'a pointer to itself: FORMERR');
    const response = queryBytes('x', { flags: 0x8100 });
    assert.equal(await rawQuery(response, 300), undefined, 'a response is never answered');
    assert.deepEqual(rdata((await q(`web.${NS}.svc.${Z}`)).answer, 'A'), [webIP]);
  });

  test('the kube-dns Service: the tenth address, port 53 UDP and TCP, this server as its endpoint', async () => {
    const svc = await eventually(() => client.get('services', 'kube-system', 'kube-dns'), 10_000);
    assert.equal(svc.spec?.clusterIP, '127.145.0.10');
    assert.deepEqual(svc.spec?.ports?.map((p) => `${p.name}/${p.port}/${p.protocol}`), ['dns/53/UDP', 'dns-tcp/53/TCP']);
    await eventually(async () => {
      const slices = await client.list('endpointslices', { namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' });
      assert.deepEqual(slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)), [DNS]);
      assert.equal(slices.items[0]?.ports?.[0]?.port, PORT);
    }, 10_000);
    assert.deepEqual(rdata((await q(`kube-dns.kube-system.svc.${Z}`)).answer, 'A'), ['127.145.0.10']);
  });

  test('/metrics counts queries by type and rcode, and cache hits', async () => {
    await q(`web.${NS}.svc.${Z}`);
    await q(`web.${NS}.svc.${Z}`);
    const text = await (await fetch(dns.metricsUrl())).text();
    assert.match(text, /coredns_dns_requests_total\{[^}]*type="SRV"[^}]*\} [1-9]/);
    assert.match(text, /coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN"[^}]*\} [1-9]/);
    assert.match(text, /coredns_cache_hits_total\{[^}]*type="success"[^}]*\} [1-9]/);
    assert.match(text, /coredns_dns_request_duration_seconds_bucket/);
    assert.match(text, /kemu_dns_malformed_total\{[^}]*\} [1-9]/);
  });
});
