import type { Server as NetServer } from 'node:net';
import { Server } from '@grpc/grpc-js';
import { apiserverpb, isApiError } from '@kemu/api';
import { serveGrpc, shutdownGrpc, startOpsServer, type Logger, type OpsServer } from '@kemu/common';
import { Gauge } from 'prom-client';
import { IPRange, parsePortRange } from './allocators/ranges.js';
import { TokenAuthenticator } from './auth.js';
import { Bootstrap } from './bootstrap.js';
import type { ApiserverConfig } from './config.js';
import { EtcdClient } from './etcd/etcd-client.js';
import { EtcdWatchMux } from './etcd/watch-mux.js';
import { ApiGrpcService } from './grpc-server.js';
import { KubeHttpServer } from './http/server.js';
import { servingCert } from './http/serving-cert.js';
import { Registry } from './storage/registry.js';

/** The apiserver process: etcd client + watch caches + gRPC API + bootstrap objects. */
export class Apiserver {
  private etcd: EtcdClient | undefined;
  private mux: EtcdWatchMux | undefined;
  private service: ApiGrpcService | undefined;
  private server: Server | undefined;
  private listener: NetServer | undefined;
  private http: KubeHttpServer | undefined;
  private ops: OpsServer | undefined;
  private bootstrap: Bootstrap | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private ready = false;

  constructor(
    private readonly config: ApiserverConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    if (!c.tokenAuthFile) throw new Error('--token-auth-file is required: every request must carry a bearer token');
    const auth = TokenAuthenticator.fromFile(c.tokenAuthFile);
    const serviceCIDR = new IPRange(c.serviceClusterIpRange);
    const nodePorts = parsePortRange(c.serviceNodePortRange);
    const [opsHost, opsPort] = splitAddr(c.opsAddr);
    this.ops = await startOpsServer({
      host: opsHost,
      port: opsPort,
      ready: { storage: () => (this.ready ? undefined : 'watch caches not ready') },
    });
    this.etcd = new EtcdClient(c.etcdServers);
    await this.etcd.followLeader();
    this.mux = new EtcdWatchMux(this.etcd, this.log);
    const registry = new Registry(this.etcd, this.mux, this.log, { serviceCIDR, nodePorts });
    await retry(() => registry.start(), this.log, 'watch caches');
    const objects = new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Objects in the watch cache per resource.',
      labelNames: ['resource'],
      registers: [this.ops.registry],
      collect() {
        for (const [r, cache] of registry.caches) this.labels(r).set(cache.size());
      },
    });
    void objects;
    this.service = new ApiGrpcService(registry, auth, this.log, this.ops.registry, c.bookmarkInterval);
    this.server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 512 * 1024 * 1024 });
    this.server.addService(apiserverpb.ApiService, this.service.implementation());
    this.listener = await serveGrpc(this.server, `${c.bindAddress}:${c.securePort}`);
    const rest = restAddress(c);
    if (rest) {
      const [host, port] = splitAddr(rest);
      const cert = servingCert(c.tlsCertFile, c.tlsPrivateKeyFile, [host, c.bindAddress, c.advertiseAddress]);
      this.http = new KubeHttpServer(registry, auth, this.log, this.ops.registry, {
        host,
        port,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
        maxBodyBytes: c.maxRequestBytes,
        bookmarkIntervalMs: c.bookmarkInterval,
        notReady: () => (this.ready ? undefined : 'watch caches not ready'),
      });
      await this.http.start();
    }
    this.bootstrap = new Bootstrap(registry, this.etcd, this.log, {
      advertiseAddress: c.advertiseAddress || c.bindAddress,
      securePort: c.securePort,
      serviceCIDR,
      masterLeaseTtlSeconds: c.masterLeaseTtl,
      reconcileIntervalMs: c.endpointReconcileInterval,
    });
    await retry(() => this.bootstrap!.start(), this.log, 'bootstrap objects');
    if (c.compactionInterval > 0) this.scheduleCompaction(c.compactionInterval);
    this.ready = true;
    this.log.info({ addr: `${c.bindAddress}:${c.securePort}`, rest: rest ? `https://${rest}` : 'off', etcd: c.etcdServers }, 'apiserver serving');
  }

  /**
   * Compacts etcd's history like kube-apiserver (every 5 minutes by default): each round
   * compacts to the revision seen one interval earlier, so watchers have a full interval
   * to resume before "too old" applies.
   */
  private scheduleCompaction(intervalMs: number): void {
    let previous = 0;
    let compacted = 0;
    const tick = async (): Promise<void> => {
      const rev = await this.etcd!.currentRevision();
      const target = previous;
      previous = rev;
      // After a quiet interval the target is the revision compacted last time, which etcd
      // refuses ("required revision has been compacted"): nothing to do then.
      if (target > compacted) {
        await this.etcd!.compact(target);
        compacted = target;
      }
    };
    this.compactTimer = setInterval(() => {
      tick().catch((err: unknown) => this.log.warn({ err }, 'compaction failed'));
    }, intervalMs);
    this.compactTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.compactTimer);
    await this.bootstrap?.stop();
    this.service?.stop();
    await this.http?.stop();
    await shutdownGrpc(this.server, this.listener);
    this.mux?.stop();
    this.etcd?.close();
    await this.ops?.close();
  }
}

async function retry(fn: () => Promise<void>, log: Logger, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 120 || (isApiError(err) && err.code !== 503)) throw err;
      log.warn({ err, attempt: i + 1 }, `${what}: etcd not ready, retrying`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** host:port of the Kubernetes HTTP API, or undefined when it is off. */
export function restAddress(c: Pick<ApiserverConfig, 'restAddr' | 'bindAddress'>): string | undefined {
  if (c.restAddr === 'off') return undefined;
  return c.restAddr || `${c.bindAddress}:8080`;
}

function splitAddr(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}
