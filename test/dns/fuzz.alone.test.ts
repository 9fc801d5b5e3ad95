import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '@kemu/common';
import { encodeQuery } from '@kemu/dns';
import { eventually, TestDns } from '../harness/index.js';

// Malformed and random packets for a fixed time (KEMU_DNS_FUZZ_SECONDS, default 60): every
// reply must be a well-formed response to the packet's ID with a sane rcode, the server must
// keep answering a valid query throughout, and it must not crash.
const HOST = '127.42.1.53';
const PORT = 1053;
const SECONDS = Number(process.env['KEMU_DNS_FUZZ_SECONDS'] ?? 60);
const MAX_PACKETS = 2_000_000;
const SEED = Number(process.env['KEMU_DNS_FUZZ_SEED'] ?? Date.now() % 1_000_000);

const NAMES = ['kubernetes.default.svc.cluster.local', 'dns-version.cluster.local', '_https._tcp.kubernetes.default.svc.cluster.local', 'x.example.com', '1.0.96.127.in-addr.arpa'];

/** One fuzz packet: random bytes, or a valid query mutated in one of several ways. */
function packet(r: () => number, id: number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kind = Math.floor(r() * 8);
  if (kind === 0) return Buffer.from(Array.from({ length: Math.floor(r() * 600) }, () => Math.floor(r() * 256)));
  const q = encodeQuery(pick(NAMES), { id, type: pick([1, 28, 33, 12, 16, 255, 6, 2]), edns: r() < 0.5 });
  switch (kind) {
    case 1: // flipped bits
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) q[Math.floor(r() * q.length)]! ^= 1 << Math.floor(r() * 8);
      return q;
    case 2: // truncated
      return q.subarray(0, Math.floor(r() * q.length));
    case 3: // random section counts
      for (const off of [4, 6, 8, 10]) if (r() < 0.5) q.writeUInt16BE(Math.floor(r() * 65536), off);
      return q;
    case 4: {
      // a compression pointer somewhere in the name, possibly a loop
      const at = 12 + Math.floor(r() * Math.max(1, q.length - 16));
      q[at] = 0xc0 | Math.floor(r() * 4);
      q[at + 1] = Math.floor(r() * q.length);
      return q;
    }
    case 5: // trailing garbage
      return Buffer.concat([q, Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256)))]);
    case 6: // oversized
      return Buffer.concat([q, Buffer.alloc(1000 + Math.floor(r() * 8000), Math.floor(r() * 256))]);
    default: // random opcode and flags
      q.writeUInt16BE(Math.floor(r() * 65536) & 0x7fff, 2);
      return q;
  }
}

describe(`dns fuzzing for ${SECONDS} s (seed ${SEED})`, () => {
  let dns: TestDns;

  before(async () => {
    // No apiserver: the parser and server are what is under test; the zone is empty.
    dns = new TestDns({
      name: 'dns-fuzz',
      apiservers: ['127.42.1.1:1'],
      token: 'x',
      host: HOST,
      port: PORT,
      opsPort: 9153,
      dir: mkdtempSync(join(tmpdir(), 'kemu-dns-fuzz-')),
      args: ['--register-service=false'],
    }).start();
    // Never ready without an apiserver; live (serving) is what matters here.
    await eventually(async () => assert.equal((await fetch(`http://${HOST}:9153/healthz`)).status, 200), 30_000, 50);
  });
  after(async () => {
    await dns?.process.signal('SIGTERM');
  });

  test('UDP and TCP: every reply is a response to its ID with a sane rcode; valid queries keep being answered', async () => {
    const r = seededRandom(SEED); // a failing run replays with its seed
    const sock = createSocket('udp4');
    const sent = new Map<number, Buffer>();
    const problems: string[] = [];
    let replies = 0;
    let probeOk = 0;
    sock.on('message', (m) => {
      replies++;
      if (m.length < 12) return void problems.push(`reply of ${m.length} octets`);
      const id = m.readUInt16BE(0);
      if (!(m[2]! & 0x80)) problems.push(`reply without QR for id ${id}`);
      const rcode = m[3]! & 0xf;
      if (![0, 1, 3, 4, 5].includes(rcode)) problems.push(`rcode ${rcode} for ${sent.get(id)?.toString('hex') ?? `unknown id ${id}`}`);
    });
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    // The probe has its own socket, so that its reply does not queue behind the flood's; a
    // datagram may still be lost under the flood (UDP may), so it is asked up to 3 times.
    const probeSock = createSocket('udp4');
    await new Promise<void>((res) => probeSock.bind(0, '127.0.0.1', () => res()));
    const probeOnce = (): Promise<boolean> =>
      new Promise((res) => {
        const t = setTimeout(() => {
          probeSock.removeAllListeners('message');
          res(false);
        }, 1000);
        probeSock.once('message', (m) => {
          clearTimeout(t);
          res(m.readUInt16BE(0) === 0xffff && (m[3]! & 0xf) === 0);
        });
        probeSock.send(encodeQuery('dns-version.cluster.local', { id: 0xffff, type: 16 }), PORT, HOST);
      });
    const probe = async (): Promise<boolean> => (await probeOnce()) || (await probeOnce()) || probeOnce();

    const end = Date.now() + SECONDS * 1000;
    let count = 0;
    let tcpConns = 0;
    let nextProbe = Date.now();
    while (Date.now() < end && count < MAX_PACKETS) {
      for (let i = 0; i < 30; i++, count++) {
        const id = count % 0xfff0;
        const p = packet(r, id);
        if (sent.size > 5000) sent.clear();
        sent.set(id, p);
        sock.send(p, PORT, HOST);
      }
      if (count % 1500 === 0) {
        // Over TCP: random frames, some with lying length prefixes.
        tcpConns++;
        await new Promise<void>((res) => {
          const s = connect(PORT, HOST);
          s.on('error', () => res());
          s.on('close', () => res());
          s.setTimeout(300, () => s.destroy());
          s.on('connect', () => {
            for (let k = 0; k < 5; k++) {
              const p = packet(r, k);
              const len = Buffer.alloc(2);
              len.writeUInt16BE(r() < 0.8 ? p.length : Math.floor(r() * 65536), 0);
              s.write(Buffer.concat([len, p]));
            }
          });
          s.resume();
        });
      }
      if (Date.now() >= nextProbe) {
        nextProbe = Date.now() + 1000;
        assert.ok(await probe(), `the server stopped answering valid queries after ${count} packets (seed ${SEED})`);
        probeOk++;
      }
      // About 1,500 packets a second: enough to cover the space in a minute, little enough
      // that the tests running beside this one keep their CPU.
      await new Promise((res) => setTimeout(res, 20));
    }
    sock.close();
    probeSock.close();
    assert.ok(dns.process.running(), `the dns process died (seed ${SEED}):\n${dns.process.tail()}`);
    assert.deepEqual(problems.slice(0, 5), [], `seed ${SEED}`);
    assert.ok(probeOk >= Math.max(1, Math.floor(SECONDS / 4)), `probes answered: ${probeOk}`);
    assert.ok(replies > 0 && tcpConns > 0);
    const metrics = await (await fetch(dns.metricsUrl())).text();
    assert.match(metrics, /kemu_dns_malformed_total\{[^}]*\} [1-9]/);
    process.stdout.write(`# fuzz: ${count} UDP packets, ${tcpConns} TCP connections, ${replies} replies, seed ${SEED}\n`);
  });
});
