import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { createSelfSignedCert, type SelfSignedCert } from './self-signed-cert.js';

const DAY_MS = 24 * 3600 * 1000;

/** The names a client may use for the apiserver, besides the addresses it listens on. */
const SERVICE_NAMES = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

/**
 * The HTTPS serving certificate: read from `certFile`/`keyFile` when both exist;
 * otherwise a new self-signed one for `addresses` (plus 127.0.0.1, localhost, the
 * kubernetes Service names and the host name), written to those files when they are
 * named, so a restarted apiserver keeps the certificate its kubeconfig trusts.
 */
export function servingCert(certFile: string, keyFile: string, addresses: readonly string[], now = Date.now()): SelfSignedCert {
  if (certFile && keyFile && existsSync(certFile) && existsSync(keyFile)) {
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  }
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const hosts = [...new Set([...addresses.filter((a) => a && a !== '0.0.0.0' && a !== '::'), '127.0.0.1', ...SERVICE_NAMES, hostname()])];
  const cert = createSelfSignedCert({
    commonName: 'kemu-apiserver',
    hosts,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
  });
  if (certFile) {
    mkdirSync(dirname(certFile), { recursive: true });
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    writeFileSync(certFile, cert.certPem);
  }
  return cert;
}
