import { KubeClient } from '@kemu/api';
import { startOpsServer, type Logger, type OpsServer } from '@kemu/common';
import { Registry } from 'prom-client';
import { assemble, type Assembled } from './corefile/assemble.js';
import { parseCorefile } from './corefile/parse.js';
import type { DnsConfig } from './config.js';
import { KubeDnsRegistration } from './register.js';
import { loadNativeUdp } from './server/native-udp.js';
import { DnsServer } from './server/server.js';

/**
 * The dns process: the Corefile's handler chains, a UDP+TCP server per address, the
 * health/ready/metrics endpoints, and (optionally) this server's place among the kube-dns
 * Service's endpoints.
 */
export class DnsProcess {
  private assembled: Assembled | undefined;
  private readonly servers: DnsServer[] = [];
  private readonly ops: OpsServer[] = [];
  /** One client per apiserver set and token, shared by the plugins and the registration. */
  private readonly clients = new Map<string, KubeClient>();
  private registration: KubeDnsRegistration | undefined;
  readonly registry = new Registry();

  constructor(
    private readonly config: DnsConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const blocks = parseCorefile(this.config.corefile, this.config.corefileName);
    const a = assemble(blocks, {
      file: this.config.corefileName,
      apiservers: this.config.apiservers,
      token: this.config.token,
      registry: this.registry,
      log: this.log,
      client: (endpoints, token) => this.client(endpoints, token),
      queryLog: (line) => process.stdout.write(`${line}\n`),
    });
    this.assembled = a;
    for (const w of a.warnings) this.log.warn(w);
    for (const p of a.plugins) await p.start?.();
    for (const addr of a.ops) {
      this.ops.push(
        await startOpsServer({
          host: addr.host,
          port: addr.port,
          registry: this.registry,
          ready: { dns: () => this.readiness() },
        }),
      );
    }
    const native = loadNativeUdp();
    for (const l of a.listeners) {
      const s = new DnsServer({
        native: l.fastPathAllowed ? native : undefined,
        host: l.host,
        port: l.port,
        handler: l.handler,
        recursionAvailable: l.recursionAvailable,
        observers: [(req, wire) => l.observe(req, wire)],
        onMalformed: (reason) => l.malformed(reason),
        log: this.log,
      });
      await s.listen();
      const table = s.fastTable();
      if (table) l.attachFastPath(table, () => s.fastStats());
      this.servers.push(s);
    }
    this.log.info(
      { listen: this.servers.map((s, i) => `${a.listeners[i]!.host}:${s.port}`), ops: a.ops.map((o) => `${o.host}:${o.port}`), udp: this.servers.map((s) => (s.fastTable() ? 'native' : 'node')) },
      'serving DNS',
    );
    if (this.config.register) {
      this.registration = new KubeDnsRegistration(this.client(this.config.apiservers, this.config.token), this.log, this.config.register);
      void this.registration.start(() => this.readiness() === undefined);
    }
  }

  private client(endpoints: string[], token: string): KubeClient {
    const key = `${endpoints.join(',')}\0${token}`;
    let c = this.clients.get(key);
    if (!c) this.clients.set(key, (c = new KubeClient({ endpoints, token })));
    return c;
  }

  /** Ready when every plugin is (the kubernetes plugin: both informers have listed). */
  readiness(): string | undefined {
    for (const p of this.assembled?.plugins ?? []) {
      const r = p.ready?.();
      if (r) return `${p.name}: ${r}`;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await this.registration?.stop();
    for (const s of this.servers) await s.close();
    for (const p of this.assembled?.plugins ?? []) await p.stop?.();
    for (const o of this.ops) await o.close();
    for (const c of this.clients.values()) c.close();
  }
}
