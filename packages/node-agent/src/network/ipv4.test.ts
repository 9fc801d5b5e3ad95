import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressFormatError, cidrContains, cidrsOverlap, compareCidr4, containsAddress, formatCidr4, formatIPv4, parseCidr4, parseCidrList, parseIPv4 } from './ipv4.js';

test('parseIPv4 accepts dotted quads and round-trips through formatIPv4', () => {
  for (const s of ['0.0.0.0', '10.96.0.10', '255.255.255.255', '127.0.0.1']) {
    const n = parseIPv4(s);
    assert.notEqual(n, undefined, s);
    assert.equal(formatIPv4(n ?? -1), s);
  }
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
});

test('parseIPv4 rejects anything that is not a plain dotted quad', () => {
  for (const s of ['', '10.96.0', '10.96.0.256', '10.96.0.010', '10.96.0.1/32', ' 10.96.0.1', '10.96.0.1\n', '::1', '1.2.3.4.5', '1..2.3']) {
    assert.equal(parseIPv4(s), undefined, JSON.stringify(s));
  }
});

test('parseCidr4 clears host bits, reads a bare address as /32, rejects bad prefixes', () => {
  assert.equal(formatCidr4(parseCidr4('10.244.1.7/24') ?? { base: 1, prefix: 1 }), '10.244.1.0/24');
  assert.equal(formatCidr4(parseCidr4('10.96.0.10') ?? { base: 1, prefix: 1 }), '10.96.0.10/32');
  assert.equal(formatCidr4(parseCidr4('200.1.2.3/0') ?? { base: 1, prefix: 1 }), '0.0.0.0/0');
  for (const s of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', 'fd00::/64']) assert.equal(parseCidr4(s), undefined, s);
});

test('containment and overlap follow prefixes', () => {
  const p = (s: string) => parseCidr4(s) ?? assert.fail(s);
  assert.ok(cidrContains(p('10.244.0.0/16'), p('10.244.3.0/24')));
  assert.ok(!cidrContains(p('10.244.3.0/24'), p('10.244.0.0/16')));
  assert.ok(!cidrContains(p('10.244.0.0/16'), p('10.245.0.0/24')));
  assert.ok(cidrContains(p('0.0.0.0/0'), p('255.1.2.3/32')));
  assert.ok(cidrsOverlap(p('10.244.3.0/24'), p('10.244.0.0/16')));
  assert.ok(!cidrsOverlap(p('10.244.3.0/24'), p('10.244.4.0/24')));
  assert.ok(containsAddress(p('10.96.0.0/16'), parseIPv4('10.96.255.255') ?? 0));
  assert.ok(!containsAddress(p('10.96.0.0/16'), parseIPv4('10.97.0.0') ?? 0));
  assert.ok(compareCidr4(p('10.244.2.0/24'), p('10.244.10.0/24')) < 0, 'numeric, not string, order');
});

test('parseCidrList names the bad entry', () => {
  assert.throws(() => parseCidrList('owned', ['10.96.0.0/16', 'nope']), (err: unknown) => err instanceof AddressFormatError && err.field === 'owned[1]' && /owned\[1\]: Invalid value: "nope"/.test(err.message));
});
