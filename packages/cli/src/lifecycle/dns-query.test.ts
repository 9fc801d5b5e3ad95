import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { decodeMessage, type DnsMessage } from '@kemu/dns';
import { exchange, formatExchange, keepSearching, reverseName, searchCandidates, searchOutcome, type Exchange } from './dns-query.js';

test('search candidates follow ndots:5 and the default namespace search path', () => {
  assert.deepEqual(searchCandidates('kubernetes.default'), [
    'kubernetes.default.default.svc.cluster.local.',
    'kubernetes.default.svc.cluster.local.',
    'kubernetes.default.cluster.local.',
    'kubernetes.default.',
  ]);
  assert.deepEqual(searchCandidates('hello.default.svc.cluster.local.'), ['hello.default.svc.cluster.local.']);
  assert.deepEqual(searchCandidates('a.b.c.d.e.f'), ['a.b.c.d.e.f.', 'a.b.c.d.e.f.default.svc.cluster.local.', 'a.b.c.d.e.f.svc.cluster.local.', 'a.b.c.d.e.f.cluster.local.']);
});

const ex = (name: string, rcode: number, answers = 0): Exchange => ({
  name,
  transport: 'udp',
  ms: 1,
  reply: {
    id: 1,
    opcode: 0,
    rcode,
    flags: { qr: true, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false },
    questions: [{ name, type: 1, class: 1 }],
    answer: Array.from({ length: answers }, () => ({ name, type: 1, class: 1, ttl: 5, data: '127.62.64.1' })),
    authority: [],
    additional: [],
  },
});

test('the search ends at the first answer; no data beats no such name; REFUSED stops it', () => {
  const tried = [ex('a.', 3), ex('b.', 0), ex('c.', 0, 1)];
  assert.equal(searchOutcome(tried)?.name, 'c.');
  assert.equal(searchOutcome([ex('a.', 3), ex('b.', 0), ex('c.', 3)])?.name, 'b.');
  assert.equal(searchOutcome([ex('a.', 3), ex('b.', 3)])?.name, 'b.');
  assert.equal(searchOutcome([ex('a.', 3), ex('b.', 5)])?.name, 'b.');
  assert.ok(keepSearching(ex('a.', 3)) && keepSearching(ex('a.', 0)) && !keepSearching(ex('a.', 0, 1)) && !keepSearching(ex('a.', 2)));
  const text = formatExchange(ex('c.', 0, 1), '127.62.4.1#1053');
  assert.match(text, /status: NOERROR/);
  assert.match(text, /flags: qr aa rd; QUERY: 1, ANSWER: 1/);
  assert.match(text, /^c\.\t\t5\tIN\tA\t127\.62\.64\.1$/m);
  assert.match(text, /SERVER: 127\.62\.4\.1#1053\(UDP\)/);
});

test('a truncated UDP reply is asked again over TCP', async () => {
  const host = '127.62.250.2';
  const tcpSrv = createServer((sock) => {
    sock.once('data', (d: Buffer) => {
      const q = d.subarray(2);
      const r = answer(q, false, [127, 62, 64, 9]);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(r.length);
      sock.end(Buffer.concat([len, r]));
    });
  });
  await new Promise<void>((r) => tcpSrv.listen(0, host, r));
  const port = (tcpSrv.address() as AddressInfo).port;
  const udpSrv = createSocket('udp4');
  udpSrv.on('message', (q, rinfo) => udpSrv.send(answer(q, true), rinfo.port, rinfo.address));
  await new Promise<void>((r) => udpSrv.bind(port, host, r));
  try {
    const e = await exchange({ host, port }, 'big.cluster.local', 1);
    assert.equal(e.transport, 'tcp');
    assert.deepEqual(e.reply.answer.map((a) => a.data), ['127.62.64.9']);
  } finally {
    udpSrv.close();
    await new Promise((r) => tcpSrv.close(r));
  }
});

test('no server: a clear error after the tries', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.62.250.3', r));
  const port = sock.address().port;
  try {
    // Bound but never answering.
    await assert.rejects(exchange({ host: '127.62.250.3', port }, 'x.cluster.local', 1, 100), /no reply from 127\.62\.250\.3:\d+ over UDP: timed out/);
  } finally {
    sock.close();
  }
});

/** The question echoed back, with TC set (no answer) or one A record. */
function answer(query: Buffer, truncated: boolean, ip?: number[]): Buffer {
  const q: DnsMessage = decodeMessage(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8500 | (truncated ? 0x0200 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ip ? 1 : 0, 6);
  // Question bytes: from 12 up to the OPT record (11 bytes at the end).
  const question = query.subarray(12, query.length - 11);
  const rr = ip ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, ...ip]) : Buffer.alloc(0);
  return Buffer.concat([header, question, rr]);
}

test('reverse names of IPv4 addresses', () => {
  assert.equal(reverseName('127.62.64.1'), '1.64.62.127.in-addr.arpa.');
  assert.equal(reverseName('hello'), undefined);
  assert.equal(reverseName('1.2.3.256'), undefined);
});
