import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTypeName, Type, typeName } from './constants.js';
import { decodeMessage, DecodeError } from './decode.js';
import { NameError } from './names.js';
import { encodeQuery } from './query.js';

/** A reply built by hand: header, then raw section bytes. */
function reply(id: number, flags: number, counts: [number, number, number, number], body: number[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([h, Buffer.from(body)]);
}

const name = (...labels: string[]): number[] => [...labels.flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const u32 = (n: number): number[] => [...u16(n >>> 16), ...u16(n & 0xffff)];

test('a query carries one question with RD and an EDNS OPT record', () => {
  const q = encodeQuery('kubernetes.default.svc.cluster.local', { id: 0x1234, type: Type.A, edns: true });
  const m = decodeMessage(q);
  assert.equal(m.id, 0x1234);
  assert.ok(m.flags.rd && !m.flags.qr);
  assert.deepEqual(m.questions, [{ name: 'kubernetes.default.svc.cluster.local.', type: 1, class: 1 }]);
  assert.equal(m.ednsUdpSize, 1232);
  assert.equal(m.additional.length, 0);
  assert.throws(() => encodeQuery('a..b'), NameError);
});

test('answers with compressed names: A, SRV, TXT, AAAA and an SOA in authority', () => {
  // Question at byte 12: hello.default.svc.cluster.local; later names point at it.
  const q = name('hello', 'default', 'svc', 'cluster', 'local');
  const ptr = (off: number): number[] => [0xc0 | (off >> 8), off & 0xff];
  const body = [
    ...q, ...u16(1), ...u16(1),
    ...ptr(12), ...u16(1), ...u16(1), ...u32(5), ...u16(4), 127, 62, 64, 20,
    ...ptr(12), ...u16(33), ...u16(1), ...u32(5), ...u16(8), ...u16(0), ...u16(100), ...u16(80), ...ptr(12),
    ...ptr(12), ...u16(16), ...u16(1), ...u32(5), ...u16(6), 5, ...Buffer.from('1.1.0'),
    ...ptr(12), ...u16(28), ...u16(1), ...u32(5), ...u16(16), 0xfd, 0, ...new Array<number>(13).fill(0), 1,
    // SOA: mname ns.dns.<cluster.local at 12+6+8+4>, rname hostmaster.<same>
    ...ptr(30), ...u16(6), ...u16(1), ...u32(5), ...u16(3 + 4 + 2 + 11 + 2 + 20),
    2, ...Buffer.from('ns'), 3, ...Buffer.from('dns'), ...ptr(30), 10, ...Buffer.from('hostmaster'), ...ptr(30),
    ...u32(1), ...u32(7200), ...u32(1800), ...u32(86400), ...u32(5),
  ];
  const m = decodeMessage(reply(7, 0x8500, [1, 4, 1, 0], body));
  assert.ok(m.flags.qr && m.flags.aa && m.flags.rd && !m.flags.ra);
  assert.equal(m.rcode, 0);
  assert.deepEqual(
    m.answer.map((r) => [r.name, typeName(r.type), r.ttl, r.data]),
    [
      ['hello.default.svc.cluster.local.', 'A', 5, '127.62.64.20'],
      ['hello.default.svc.cluster.local.', 'SRV', 5, '0 100 80 hello.default.svc.cluster.local.'],
      ['hello.default.svc.cluster.local.', 'TXT', 5, '"1.1.0"'],
      ['hello.default.svc.cluster.local.', 'AAAA', 5, 'fd00::1'],
    ],
  );
  assert.equal(m.authority[0]?.name, 'cluster.local.');
  assert.equal(m.authority[0]?.data, 'ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5');
});

test('NXDOMAIN, truncated replies and pointer loops', () => {
  const q = [...name('nope', 'cluster', 'local'), ...u16(1), ...u16(1)];
  assert.equal(decodeMessage(reply(1, 0x8403, [1, 0, 0, 0], q)).rcode, 3);
  assert.throws(() => decodeMessage(reply(1, 0x8400, [1, 1, 0, 0], q)), /runs past the end/);
  // A name that points at itself.
  assert.throws(() => decodeMessage(reply(1, 0x8400, [1, 0, 0, 0], [0xc0, 12, ...u16(1), ...u16(1)])), /backwards/);
  assert.throws(() => decodeMessage(Buffer.alloc(5)), DecodeError);
  // RDLENGTH that disagrees with the record's fields.
  assert.throws(() => decodeMessage(reply(1, 0x8400, [1, 1, 0, 0], [...q, 0, ...u16(1), ...u16(1), ...u32(5), ...u16(5), 1, 2, 3, 4, 5])), /A record of 5 bytes/);
});

test('type names both ways', () => {
  assert.equal(parseTypeName('srv'), 33);
  assert.equal(parseTypeName('TYPE65'), 65);
  assert.equal(parseTypeName('BOGUS'), undefined);
  assert.equal(typeName(65), 'TYPE65');
});
