import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goQuote, goStringMap, goStrings, goTime } from './go-format.js';
import { formatIP, isAllocatableIn, isLinkLocalMulticast, isLoopback, parseCIDR, parseIP } from './ip.js';

describe('IP parsing as Kubernetes validation does it', () => {
  test('IPv4, including octets with leading zeros', () => {
    assert.deepEqual(parseIP('10.0.0.1'), { family: 'IPv4', bytes: [10, 0, 0, 1] });
    assert.deepEqual(parseIP('010.000.000.001')?.bytes, [10, 0, 0, 1]);
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.1.', ' 10.0.0.1', '1e1.0.0.1', '']) assert.equal(parseIP(bad), undefined, bad);
  });

  test('IPv6 forms; IPv4-mapped addresses count as IPv4', () => {
    assert.equal(parseIP('fd00::1')?.family, 'IPv6');
    assert.equal(parseIP('::')?.family, 'IPv6');
    assert.equal(parseIP('1:2:3:4:5:6:7:8')?.family, 'IPv6');
    assert.equal(parseIP('::ffff:10.0.0.1')?.family, 'IPv4');
    assert.deepEqual(parseIP('::ffff:10.0.0.1')?.bytes, [10, 0, 0, 1]);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', ':::']) assert.equal(parseIP(bad), undefined, bad);
  });

  test('special ranges', () => {
    assert.ok(isLoopback(parseIP('127.1.2.3')!) && isLoopback(parseIP('::1')!));
    assert.ok(!isLoopback(parseIP('128.0.0.1')!));
    assert.ok(isLinkLocalMulticast(parseIP('224.0.0.251')!) && !isLinkLocalMulticast(parseIP('224.0.1.1')!));
  });

  test('formatting is canonical', () => {
    assert.equal(formatIP(parseIP('010.0.0.1')!), '10.0.0.1');
    assert.equal(formatIP(parseIP('fd00:0:0:0:0:0:0:1')!), 'fd00::1');
    assert.equal(formatIP(parseIP('1:0:0:2:0:0:0:3')!), '1:0:0:2::3');
    assert.equal(formatIP(parseIP('1:0:2:3:4:5:6:7')!), '1:0:2:3:4:5:6:7');
  });

  test('allocatable addresses exclude the network and IPv4 broadcast addresses', () => {
    const cidr = parseCIDR('127.96.0.0/16')!;
    assert.ok(isAllocatableIn(cidr, parseIP('127.96.0.1')!));
    assert.ok(isAllocatableIn(cidr, parseIP('127.96.255.254')!));
    assert.ok(!isAllocatableIn(cidr, parseIP('127.96.0.0')!));
    assert.ok(!isAllocatableIn(cidr, parseIP('127.96.255.255')!));
    assert.ok(!isAllocatableIn(cidr, parseIP('127.97.0.1')!));
    assert.ok(!isAllocatableIn(cidr, parseIP('fd00::1')!));
    assert.deepEqual(parseCIDR('10.1.2.3/8')?.network.bytes, [10, 0, 0, 0]);
    assert.equal(parseCIDR('10.0.0.0/33'), undefined);
  });
});

describe("Go's %#v, as field errors print values", () => {
  test('strings, slices, maps and times', () => {
    assert.equal(goQuote('a"b\\c\n\u0001é'), '"a\\"b\\\\c\\n\\x01é"');
    assert.equal(goStrings(['a', 'b']), '[]string{"a", "b"}');
    assert.equal(goStrings(undefined), '[]string(nil)');
    assert.equal(goStringMap({ b: '2', a: '1' }), 'map[string]string{"a":"1", "b":"2"}');
    assert.equal(goStringMap({}), 'map[string]string{}');
    assert.equal(goTime('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
    assert.equal(goTime(''), '0001-01-01 00:00:00 +0000 UTC');
  });
});
