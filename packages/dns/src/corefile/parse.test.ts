import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCorefile } from './parse.js';

test('server blocks, directives, nested blocks, comments and quotes', () => {
  const blocks = parseCorefile(`# cluster DNS
cluster.local:1053 in-addr.arpa:1053 {
    bind 127.0.4.1   # local
    kubernetes cluster.local {
        ttl 5
        endpoint "127.0.2.1:6443"
    }
    cache 30
}
`);
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]!.keys, [{ zone: 'cluster.local', port: 1053 }, { zone: 'in-addr.arpa', port: 1053 }]);
  assert.deepEqual(blocks[0]!.directives.map((d) => [d.name, d.args, d.line]), [['bind', ['127.0.4.1'], 3], ['kubernetes', ['cluster.local'], 4], ['cache', ['30'], 8]]);
  assert.deepEqual(blocks[0]!.directives[1]!.block.map((d) => [d.name, ...d.args]), [['ttl', '5'], ['endpoint', '127.0.2.1:6443']]);
});

test('errors name the file and line, in CoreDNS words', () => {
  assert.throws(() => parseCorefile('.:53 {\n  cache 30\n', 'Corefile'), /^ConfigError: Corefile:2 - Error during parsing: unexpected end of file: missing }/);
  assert.throws(() => parseCorefile('.:99999 {\n}\n'), /Corefile:1 - Error during parsing: port 99999 out of range/);
  assert.throws(() => parseCorefile('.:53 {\n a {\n  b {\n  }\n }\n}\n'), /Corefile:3 - .*nest at most one level/);
  assert.throws(() => parseCorefile(''), /no server blocks/);
  assert.throws(() => parseCorefile('.:53 {\n  x "open\n}\n'), /Corefile:2 - .*unterminated/);
});
