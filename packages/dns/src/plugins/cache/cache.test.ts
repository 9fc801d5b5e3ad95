import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Version, type Request, type Result } from '../../plugin.js';
import { Rcode, Type } from '../../wire/constants.js';
import { encodeResponse } from '../../wire/encode.js';
import { answerOf } from '../../wire/message.js';
import { parseQuery } from '../../wire/parse.js';
import { encodeQuery } from '../../wire/query.js';
import { CachePlugin, fastKey } from './cache.js';

function query(name: string, id: number, opts: { rd?: boolean; edns?: boolean } = {}): Buffer {
  return encodeQuery(name, { id, flags: opts.rd === false ? 0 : undefined, edns: opts.edns });
}

const req = (b: Buffer): Request => ({ query: parseQuery(b), transport: 'udp', remoteAddress: '127.0.0.1', remotePort: 1, startedAt: 0 });

test('a hit is the stored reply with this query\'s ID, RD bit and letter case; a changed version is a miss', () => {
  let now = 1000;
  const cache = new CachePlugin({ maxTtl: 30, capacity: 10, recursionAvailable: true, now: () => now });
  const v = new Version();
  let calls = 0;
  const next = (): Result => {
    calls++;
    const a = answerOf(Rcode.NOERROR, true);
    a.answer.push({ name: 'web.ns.svc.cluster.local.', ttl: 5, data: { type: Type.A, address: `10.0.0.${calls}` } });
    return { kind: 'answer', answer: a, deps: [v] };
  };
  const first = cache.serve(req(query('web.ns.svc.cluster.local', 1)), next) as Extract<Result, { kind: 'wire' }>;
  const hit = cache.serve(req(query('WEB.ns.svc.cluster.local', 2, { rd: false })), next) as Extract<Result, { kind: 'wire' }>;
  assert.equal(calls, 1);
  assert.equal(hit.wire.readUInt16BE(0), 2);
  assert.equal(hit.wire[2]! & 0x01, 0, 'RD as asked');
  assert.equal(hit.wire.subarray(13, 16).toString(), 'WEB', 'the question as asked');
  assert.deepEqual(hit.wire.subarray(-4), first.wire.subarray(-4), 'same address');
  assert.equal(cache.stats.hits.success, 1);
  v.bump();
  const after = cache.serve(req(query('web.ns.svc.cluster.local', 3)), next) as Extract<Result, { kind: 'wire' }>;
  assert.equal(calls, 2, 'the version changed: asked again');
  assert.deepEqual([...after.wire.subarray(-4)], [10, 0, 0, 2]);
  now += 31;
  void cache.serve(req(query('web.ns.svc.cluster.local', 4)), next); // synchronous: next answers at once
  assert.equal(calls, 3, 'older than maxTtl: asked again');
});

test('EDNS and plain queries are cached apart; upstream replies age; fast tables get only versioned answers', async () => {
  let now = 0;
  const cache = new CachePlugin({ maxTtl: 300, capacity: 10, recursionAvailable: true, now: () => now });
  const sets: string[] = [];
  let cleared = 0;
  cache.addFastTable({ set: (k) => sets.push(k.toString('latin1')), clear: () => cleared++ });
  // An upstream reply arrives already encoded (the forward plugin relays bytes).
  const q = parseQuery(query('www.example.test', 7));
  const a = answerOf(Rcode.NOERROR);
  a.answer.push({ name: 'www.example.test.', ttl: 100, data: { type: Type.A, address: '192.0.2.1' } });
  let asked = 0;
  const upstream = (): Promise<Result> => {
    asked++;
    return Promise.resolve({ kind: 'wire', wire: encodeResponse(q, a, { recursionAvailable: true }).wire });
  };
  await cache.serve(req(query('www.example.test', 7)), upstream);
  now = 40;
  const hit = (await cache.serve(req(query('www.example.test', 8)), upstream)) as Extract<Result, { kind: 'wire' }>;
  assert.equal(asked, 1);
  assert.equal(hit.wire.readUInt32BE(hit.wire.length - 10), 60, 'TTL 100 less 40 s');
  await cache.serve(req(query('www.example.test', 9, { edns: true })), upstream);
  assert.equal(asked, 2, 'an EDNS query has its own entry');
  assert.deepEqual(sets, [], 'upstream replies never go to a fast table');
  const v = new Version();
  await cache.serve(req(query('a.cluster.local', 1)), () => ({ kind: 'answer', answer: answerOf(Rcode.NXDOMAIN, true), deps: [v] }));
  assert.deepEqual(sets, [fastKey(parseQuery(query('a.cluster.local', 1))).toString('latin1')]);
  cache.clearFast();
  assert.equal(cleared, 1);
});
