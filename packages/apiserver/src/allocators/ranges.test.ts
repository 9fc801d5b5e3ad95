import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IPRange, nodePortStaticBand, parsePortRange, pickClusterIP, pickNodePort } from './ranges.js';

describe('service CIDR', () => {
  const r = new IPRange('127.96.0.0/16');
  test('bands and first address', () => {
    assert.equal(r.first(), '127.96.0.1');
    assert.equal(r.staticBand(), 256);
    assert.equal(new IPRange('10.0.0.0/24').staticBand(), 16);
    assert.ok(r.contains('127.96.255.255') && !r.contains('127.97.0.0'));
    assert.ok(!r.usable('127.96.0.0') && !r.usable('127.96.255.255') && r.usable('127.96.0.1'));
  });
  test('dynamic allocation avoids the static band until the dynamic band is full', () => {
    const small = new IPRange('10.0.0.0/26'); // 64 addresses, static band 16
    const taken = new Set<string>();
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const order: string[] = [];
    for (;;) {
      const ip = pickClusterIP(small, (x) => taken.has(x), random);
      if (!ip) break;
      taken.add(ip);
      order.push(ip);
    }
    assert.equal(order.length, 62);
    const lastOctet = order.map((ip) => Number(ip.split('.')[3]));
    assert.ok(lastOctet.slice(0, 46).every((o) => o > 16), 'dynamic band first');
    assert.ok(lastOctet.slice(46).every((o) => o >= 1 && o <= 16), 'then the static band');
  });
  test('rejects malformed ranges', () => {
    assert.throws(() => new IPRange('127.96.0.0'), /invalid service CIDR/);
    assert.throws(() => new IPRange('300.1.0.0/16'), /invalid service CIDR/);
  });
});

describe('node ports', () => {
  test('static band of the default range is 86 ports', () => {
    assert.equal(nodePortStaticBand(parsePortRange('30000-32767')), 86);
  });
  test('allocates from the dynamic band first and never twice', () => {
    const r = parsePortRange('30000-30099');
    const taken = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const p = pickNodePort(r, (x) => taken.has(x), Math.random);
      assert.ok(p !== undefined && !taken.has(p));
      if (i < 84) assert.ok(p >= 30016, `port ${p} at step ${i}`);
      taken.add(p);
    }
    assert.equal(pickNodePort(r, (x) => taken.has(x), Math.random), undefined);
  });
});
