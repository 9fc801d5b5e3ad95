import { loadConfig, type Config, type OptionSpec } from '@kemu/common';

export const APISERVER_OPTIONS = {
  etcdServers: {
    kind: 'list',
    description: 'etcd members client endpoints (host:port)',
    default: ['127.0.1.1:2379', '127.0.1.2:2379', '127.0.1.3:2379'],
  },
  bindAddress: { kind: 'string', description: 'address for the gRPC API', default: '127.0.2.1' },
  securePort: { kind: 'int', description: 'port for the gRPC API', default: 6443 },
  advertiseAddress: {
    kind: 'string',
    description: 'address listed in the kubernetes Endpoints (default: --bind-address)',
    default: '',
  },
  restAddr: {
    kind: 'string',
    description: 'host:port for the Kubernetes HTTP API (JSON over HTTPS, for kubectl); default <bind-address>:8080, "off" disables it',
    default: '',
  },
  tlsCertFile: {
    kind: 'string',
    description: 'PEM certificate for the HTTP API; created (self-signed) if the file does not exist; default: one made at start, in memory',
    default: '',
  },
  tlsPrivateKeyFile: { kind: 'string', description: 'PEM private key for --tls-cert-file (created with it)', default: '' },
  maxRequestBytes: { kind: 'int', description: 'largest request body the HTTP API accepts (413 above)', default: 3 * 1024 * 1024 },
  opsAddr: { kind: 'string', description: 'host:port for /healthz, /readyz and /metrics', default: '127.0.2.1:6444' },
  serviceClusterIpRange: { kind: 'string', description: 'CIDR ClusterIPs are allocated from', default: '127.96.0.0/16' },
  serviceNodePortRange: { kind: 'string', description: 'range node ports are allocated from', default: '30000-32767' },
  tokenAuthFile: {
    kind: 'string',
    description: 'static token file (token,user,uid[,"groups"] per line); required',
    default: '',
  },
  masterLeaseTtl: { kind: 'int', description: 'seconds an apiserver stays in the kubernetes Endpoints without renewing', default: 15 },
  endpointReconcileInterval: { kind: 'int', description: 'ms between kubernetes Endpoints reconciles', default: 5_000 },
  bookmarkInterval: { kind: 'int', description: 'ms between watch bookmarks', default: 5_000 },
  compactionInterval: { kind: 'int', description: 'ms between etcd compactions (0: never)', default: 300_000 },
} satisfies Record<string, OptionSpec>;

export type ApiserverConfig = Config<typeof APISERVER_OPTIONS>;

export function loadApiserverConfig(argv?: string[], env?: NodeJS.ProcessEnv): ApiserverConfig {
  return loadConfig(APISERVER_OPTIONS, argv, env);
}
