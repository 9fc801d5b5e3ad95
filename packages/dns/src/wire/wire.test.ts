import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rcode, Type } from './constants.js';
import { encodeError, encodeResponse, truncate, udpLimit } from './encode.js';
import { ttlFields } from './inspect.js';
import { answerOf } from './message.js';
import { keyToName, nameToKey } from './names.js';
import { ParseError, parseQuery } from './parse.js';
import { encodeQuery } from './query.js';

function name(n: string): Buffer {
  const parts = n.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function header(o: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(o.id ?? 0xbeef, 0);
  h.writeUInt16BE(o.flags ?? 0x0100, 2);
  h.writeUInt16BE(o.qd ?? 1, 4);
  h.writeUInt16BE(o.an ?? 0, 6);
  h.writeUInt16BE(o.ns ?? 0, 8);
  h.writeUInt16BE(o.ar ?? 0, 10);
  return h;
}

const question = (n: string, type = 1): Buffer => Buffer.concat([name(n), Buffer.from([type >> 8, type & 255, 0, 1])]);
/** An OPT record: root owner, size, version, DO, and options bytes. */
function opt(size = 1232, version = 0, options = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(Type.OPT, 1);
  b.writeUInt16BE(size, 3);
  b[6] = version;
  b.writeUInt16BE(options.length, 9);
  return Buffer.concat([b, options]);
}

function expectError(buf: Buffer, rcode: number | 'drop', msg: RegExp): void {
  assert.throws(
    () => parseQuery(buf),
    (err: unknown) => err instanceof ParseError && err.rcode === rcode && msg.test(err.message),
  );
}

describe('parseQuery', () => {
  test('reads a query as dig sends it: EDNS with a cookie option, the name lowered', () => {
    const cookie = Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    const q = parseQuery(Buffer.concat([header({ ar: 1 }), question('Web.Default.SVC.cluster.local', Type.SRV), opt(1232, 0, cookie)]));
    assert.equal(q.id, 0xbeef);
    assert.equal(q.name, 'web.default.svc.cluster.local.');
    assert.equal(q.qtype, Type.SRV);
    assert.deepEqual(q.edns, { udpSize: 1232, version: 0, dnssecOk: false });
    assert.equal(q.recursionDesired, true);
    assert.equal(udpLimit(q), 1232);
  });

  test('reads what encodeQuery writes', () => {
    const q = parseQuery(encodeQuery('Db.NS.svc.cluster.local', { id: 9, type: Type.SRV, edns: true }));
    assert.deepEqual([q.id, q.name, q.qtype, q.recursionDesired, q.edns?.udpSize], [9, 'db.ns.svc.cluster.local.', Type.SRV, true, 1232]);
  });

  test('drops what is too short or a response', () => {
    expectError(Buffer.alloc(11), 'drop', /shorter than a header/);
    expectError(Buffer.concat([header({ flags: 0x8000 }), question('a')]), 'drop', /is a response/);
  });

  test('FORMERR for wrong counts, runaway names and pointer loops', () => {
    expectError(Buffer.concat([header({ qd: 0 })]), Rcode.FORMERR, /QDCOUNT is 0/);
    expectError(Buffer.concat([header({ qd: 2 }), question('a'), question('b')]), Rcode.FORMERR, /QDCOUNT is 2/);
    expectError(Buffer.concat([header({ an: 1 }), question('a')]), Rcode.FORMERR, /past the end/);
    expectError(Buffer.concat([header(), question('a'), Buffer.from([0])]), Rcode.FORMERR, /1 octets after the last record/);
    expectError(Buffer.concat([header(), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), Rcode.FORMERR, /does not point backwards/);
    expectError(Buffer.concat([header(), Buffer.from([0xc0, 2, 0, 1, 0, 1])]), Rcode.FORMERR, /into the header/);
    // An additional record whose name points at itself.
    const self = Buffer.concat([header({ ar: 1 }), question('a'), Buffer.from([0xc0, 19, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])]);
    expectError(self, Rcode.FORMERR, /does not point backwards/);
    expectError(Buffer.concat([header(), Buffer.from([64]), Buffer.alloc(64, 97), Buffer.from([0, 0, 1, 0, 1])]), Rcode.FORMERR, /label type 0x40/);
    const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
    expectError(Buffer.concat([header(), question(long)]), Rcode.FORMERR, /longer than 255/);
    expectError(Buffer.concat([header(), name('a'), Buffer.from([0, 1])]), Rcode.FORMERR, /question runs past/);
    expectError(Buffer.concat([header({ ar: 2 }), question('a'), opt(), opt()]), Rcode.FORMERR, /more than one OPT/);
    expectError(Buffer.concat([header({ ar: 1 }), question('a'), opt(1232, 0, Buffer.from([0, 10, 0, 9, 1]))]), Rcode.FORMERR, /option runs past/);
  });

  test('NOTIMP for other opcodes, BADVERS for EDNS versions above 0', () => {
    expectError(Buffer.concat([header({ flags: 2 << 11 }), question('a')]), Rcode.NOTIMP, /opcode 2/);
    expectError(Buffer.concat([header({ ar: 1 }), question('a'), opt(1232, 1)]), Rcode.BADVERS, /EDNS version 1/);
  });
});

describe('encodeResponse', () => {
  const q = parseQuery(Buffer.concat([header({ id: 7 }), question('WEB.default.svc.cluster.local')]));

  test('copies ID, RD and the question as sent; compresses owners to the question; SRV targets stay whole', () => {
    const a = answerOf(Rcode.NOERROR, true);
    a.answer = [
      { name: 'web.default.svc.cluster.local.', ttl: 5, data: { type: Type.A, address: '10.0.0.1' } },
      { name: 'web.default.svc.cluster.local.', ttl: 5, data: { type: Type.SRV, priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local.' } },
    ];
    const { wire, ttlOffsets } = encodeResponse(q, a, { recursionAvailable: true });
    assert.equal(wire.readUInt16BE(0), 7);
    assert.equal(wire.readUInt16BE(2), 0x8000 | 0x0400 | 0x0100 | 0x0080, 'QR AA RD RA, NOERROR');
    assert.equal(wire.subarray(12, q.questionEnd).toString('latin1'), q.packet.subarray(12, q.questionEnd).toString('latin1'));
    const first = q.questionEnd;
    assert.equal(wire.readUInt16BE(first), 0xc00c, 'owner is a pointer to the question');
    assert.deepEqual([...wire.subarray(first + 12, first + 16)], [10, 0, 0, 1]);
    assert.ok(wire.includes(name('web.default.svc.cluster.local')), 'the SRV target is written out');
    assert.deepEqual(ttlOffsets, ttlFields(wire).map((t) => t.offset));
  });

  test('an OPT record when the query had one; TC with no records when truncated', () => {
    const withEdns = parseQuery(Buffer.concat([header({ ar: 1 }), question('a'), opt(4096)]));
    const wire = encodeResponse(withEdns, answerOf(Rcode.NXDOMAIN), { recursionAvailable: true }).wire;
    assert.equal(wire.readUInt16BE(10), 1, 'ARCOUNT counts the OPT');
    assert.equal(wire[3]! & 0xf, Rcode.NXDOMAIN);
    assert.equal(udpLimit(withEdns), 1232, 'capped at 1232');
    const t = truncate(q, answerOf(Rcode.NOERROR, true), true);
    assert.ok(t[2]! & 0x02, 'TC');
    assert.equal(t.readUInt16BE(6), 0);
  });

  test('errors without a readable question are a bare header; BADVERS rides in the OPT', () => {
    const e = encodeError(9, 0x0100, Rcode.FORMERR, undefined);
    assert.equal(e.length, 12);
    assert.equal(e.readUInt16BE(2) & 0xf, Rcode.FORMERR);
    const bad = encodeError(9, 0x0100, Rcode.BADVERS, undefined);
    assert.equal(bad.readUInt16BE(10), 1);
    assert.equal(bad[12 + 5], 1, 'extended rcode 16 >> 4');
  });
});

describe('names', () => {
  test('wire keys and presentation forms round-trip; odd octets are escaped', () => {
    assert.equal(keyToName(nameToKey('Web.Default.')), 'web.default.');
    assert.equal(keyToName(nameToKey('.')), '.');
    assert.equal(keyToName('\x03a.b\x01c'), 'a\\046b.c.');
    assert.equal(keyToName(nameToKey('A\\.b.c')), 'a\\046b.c.');
    assert.throws(() => nameToKey(`${'a'.repeat(64)}.x`), /longer than 63/);
  });
});
