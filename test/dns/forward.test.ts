import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import dns2 from 'dns2';
import { dig, eventually, rdata, TestProcess } from '../harness/index.js';

// Names outside the cluster zone go to the forward plugin's upstream (here a dns2 server on
// loopback standing in for the network's resolver): answered, cached with their TTL
// counting down, logged in CoreDNS's format, and SERVFAIL within the timeout once the
// upstream is gone. The dns process is configured by a Corefile.
const BLOCK = '127.42.3';
const DNS = `${BLOCK}.53`;
const UPSTREAM = `${BLOCK}.99`;
const PORT = 1053;
const DNS_MAIN = new URL('./main.js', import.meta.resolve('@kemu/dns')).pathname;

describe('forward, cache and log plugins from a Corefile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-dns-forward-'));
  let upstream: ReturnType<typeof dns2.createServer> | undefined;
  let asked = 0;
  let proc: TestProcess;

  before(async () => {
    const { Packet } = dns2;
    upstream = dns2.createServer({
      udp: true,
      tcp: true,
      handle: (request, send) => {
        asked++;
        const response = Packet.createResponseFromRequest(request);
        const name = request.questions[0]?.name ?? '';
        if (name.startsWith('nx.')) response.header.rcode = 3;
        else {
          const count = name.startsWith('big.') ? 60 : 1;
          // dns2's typings want a Resource instance; its encoder takes plain records.
          for (let i = 1; i <= count; i++) response.answers.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address: `192.0.2.${i}` } as unknown as (typeof response.answers)[number]);
        }
        void send(response);
      },
    });
    await upstream.listen({ udp: { port: PORT, address: UPSTREAM }, tcp: { port: PORT, address: UPSTREAM } });
    const corefile = join(dir, 'Corefile');
    writeFileSync(
      corefile,
      `.:${PORT} {
    bind ${DNS}
    log
    health ${DNS}:9153
    prometheus ${DNS}:9153
    kubernetes cluster.local {
        endpoint ${BLOCK}.1:1
    }
    forward . ${UPSTREAM}:${PORT} {
        timeout 2s
    }
    cache 30
}
`,
    );
    proc = new TestProcess('dns', DNS_MAIN, ['--conf', corefile, '--register-service=false'], join(dir, 'dns.log'), `http://${DNS}:9153/healthz`).start();
    await proc.waitReady();
  });
  after(async () => {
    await proc?.signal('SIGTERM');
    await upstream?.close();
  });

  test('forwarded answers, NXDOMAIN passed through, large answers truncated on UDP and whole over TCP', async () => {
    const r = await dig(DNS, PORT, 'www.example.test');
    assert.equal(r.status, 'NOERROR');
    assert.deepEqual(rdata(r.answer, 'A'), ['192.0.2.1']);
    assert.ok(!r.flags.includes('aa'), `not authoritative for other zones: flags ${r.flags.join(' ')}`);
    assert.equal((await dig(DNS, PORT, 'nx.example.test')).status, 'NXDOMAIN');
    const udp = await dig(DNS, PORT, 'big.example.test', 'A', ['+noedns', '+ignore']);
    assert.ok(udp.flags.includes('tc'));
    // The TCP query carries EDNS, so it is a different cache key: it goes upstream again.
    const tcp = await dig(DNS, PORT, 'big.example.test', 'A', ['+tcp']);
    assert.equal(tcp.status, 'NOERROR', 'the upstream answered within the 2 s timeout');
    assert.equal(tcp.answer.length, 60);
  });

  test('a cached answer is served without asking again, its TTL counting down', async () => {
    const first = await dig(DNS, PORT, 'cached.example.test');
    const before = asked;
    await new Promise((r) => setTimeout(r, 2100));
    const second = await dig(DNS, PORT, 'cached.example.test');
    assert.equal(asked, before, 'not asked upstream again');
    const ttl = (x: typeof first): number => Number(x.answer[0]?.[1]);
    assert.equal(ttl(first), 60);
    assert.ok(ttl(second) <= 58 && ttl(second) >= 55, `ttl ${ttl(second)}`);
  });

  test('each query is logged in CoreDNS format', async () => {
    await dig(DNS, PORT, 'logged.example.test');
    await eventually(() => assert.match(readFileSync(join(dir, 'dns.log'), 'utf8'), /\[INFO\] 127\.0\.0\.1:\d+ - \d+ "A IN logged\.example\.test\. udp \d+ false 1232" NOERROR qr,rd(,ra)? \d+ \d+\.\d{6}s/), 3000);
  });

  test('with the upstream gone: SERVFAIL within the timeout, never a hang', async () => {
    await upstream?.close();
    upstream = undefined;
    const t0 = performance.now();
    const r = await dig(DNS, PORT, 'after.example.test', 'A', ['+time=9']);
    assert.equal(r.status, 'SERVFAIL');
    // The 2 s forward timeout, with room for a starved machine, well inside dig's 9 s.
    assert.ok(performance.now() - t0 < 6000, `took ${performance.now() - t0} ms`);
  });
});
