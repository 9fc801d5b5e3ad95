import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, parseHostPort, type Config, type OptionSpec } from '@kemu/common';

/** The dns process's flags. A Corefile (--conf) describes the servers; without one the flags do. */
export const dnsOptions = {
  conf: { kind: 'string', description: 'Corefile to load (the other server flags are then not used)', default: '' },
  listen: { kind: 'string', description: 'host:port to serve DNS on, UDP and TCP', default: '127.0.4.1:1053' },
  zone: { kind: 'string', description: 'the cluster domain', default: 'cluster.local' },
  ttl: { kind: 'int', description: 'TTL of cluster records, seconds', default: 5 },
  cache: { kind: 'int', description: 'longest time a reply is cached, seconds (0: no cache)', default: 30 },
  upstream: { kind: 'list', description: 'servers for names outside the cluster, host[:port], comma separated (none: REFUSED)', default: [] as string[] },
  opsAddr: { kind: 'string', description: 'host:port for /healthz, /ready and /metrics (default <listen host>:9153)', default: '' },
  logQueries: { kind: 'bool', description: 'log every query (the log plugin)', default: false },
  apiserver: { kind: 'list', description: 'apiserver gRPC addresses, host:port, comma separated', default: ['127.0.2.1:6443'] },
  token: { kind: 'string', description: 'bearer token for the apiserver', default: '' },
  tokenFile: { kind: 'string', description: 'file holding the bearer token (instead of --token)', default: '' },
  registerService: {
    kind: 'bool',
    description: 'keep the kube-dns Service (tenth IP of the service range) and list this server among its endpoints',
    default: true,
  },
  advertiseAddress: { kind: 'string', description: 'address:port other nodes reach this server on, for the kube-dns endpoints (default --listen)', default: '' },
  leaseDuration: { kind: 'int', description: 'seconds a dns server stays among the kube-dns endpoints without renewing', default: 15 },
} satisfies Record<string, OptionSpec>;

export type DnsFlags = Config<typeof dnsOptions>;

export interface DnsConfig {
  corefile: string;
  corefileName: string;
  apiservers: string[];
  token: string;
  register: { host: string; port: number; leaseSeconds: number } | undefined;
}

/** The Corefile the flags stand for. */
export function corefileFromFlags(f: DnsFlags): string {
  const listen = parseHostPort(f.listen, 'listen');
  const ops = f.opsAddr || `${listen.host}:9153`;
  parseHostPort(ops, 'ops-addr');
  if (f.ttl < 0 || f.ttl > 3600) throw new ConfigError(`--ttl: ${f.ttl} is not from 0 to 3600`);
  if (f.cache < 0 || f.cache > 3600) throw new ConfigError(`--cache: ${f.cache} is not from 0 to 3600`);
  const upstreams = f.upstream.map((u) => (u.includes(':') ? u : `${u}:53`));
  for (const u of upstreams) parseHostPort(u, 'upstream');
  const lines = [
    `.:${listen.port} {`,
    `    bind ${listen.host}`,
    `    errors`,
    ...(f.logQueries ? ['    log'] : []),
    `    health ${ops}`,
    `    ready ${ops}`,
    `    prometheus ${ops}`,
    `    kubernetes ${f.zone} in-addr.arpa ip6.arpa {`,
    `        pods insecure`,
    `        fallthrough in-addr.arpa ip6.arpa`,
    `        ttl ${f.ttl}`,
    `    }`,
    ...(upstreams.length ? [`    forward . ${upstreams.join(' ')}`] : []),
    ...(f.cache > 0 ? [`    cache ${f.cache}`] : []),
    `}`,
  ];
  return lines.join('\n') + '\n';
}

export function resolveDnsConfig(f: DnsFlags): DnsConfig {
  let token = f.token;
  if (f.tokenFile) {
    try {
      token = readFileSync(f.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`--token-file: ${(err as Error).message}`);
    }
  }
  const corefile = f.conf ? readCorefile(f.conf) : corefileFromFlags(f);
  const adv = parseHostPort(f.advertiseAddress || f.listen, f.advertiseAddress ? 'advertise-address' : 'listen');
  if (f.leaseDuration < 3 || f.leaseDuration > 3600) throw new ConfigError(`--lease-duration: ${f.leaseDuration} is not from 3 to 3600`);
  return {
    corefile,
    corefileName: f.conf || 'Corefile (from flags)',
    apiservers: f.apiserver,
    token,
    register: f.registerService ? { ...adv, leaseSeconds: f.leaseDuration } : undefined,
  };
}

function readCorefile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--conf: ${(err as Error).message}`);
  }
}

export function loadDnsConfig(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): DnsConfig {
  return resolveDnsConfig(loadConfig(dnsOptions, [...argv], env));
}
