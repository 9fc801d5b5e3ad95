import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { test } from 'node:test';
import { createSelfSignedCert } from './self-signed-cert.js';

test('a self-signed certificate with the given names, valid and signed by its own key', () => {
  const c = createSelfSignedCert({
    commonName: 'kemu-apiserver',
    hosts: ['127.0.0.1', 'localhost', '::1', 'kubernetes.default.svc'],
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2060-01-01T00:00:00Z'),
  });
  const x = new X509Certificate(c.certPem);
  assert.equal(x.subject, 'CN=kemu-apiserver');
  assert.equal(x.issuer, 'CN=kemu-apiserver');
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1, DNS:kubernetes.default.svc');
  assert.ok(x.verify(x.publicKey), 'self-signed');
  assert.ok(x.ca);
  assert.equal(new Date(x.validTo).getUTCFullYear(), 2060, 'GeneralizedTime after 2049');
  assert.ok(x.checkIP('127.0.0.1'));
  assert.ok(x.checkHost('localhost'));
});

test('a TLS client that trusts the certificate connects to a server presenting it', async () => {
  const now = Date.now();
  const c = createSelfSignedCert({ commonName: 'kemu-apiserver', hosts: ['127.0.0.1'], notBefore: new Date(now - 60_000), notAfter: new Date(now + 3600_000) });
  const server = createServer({ cert: c.certPem, key: c.keyPem }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, ca: c.certPem });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true);
    socket.destroy();
  } finally {
    server.close();
  }
});
