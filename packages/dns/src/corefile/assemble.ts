import type { KubeClient } from '@kemu/api';
import { parseDuration, parseHostPort, type Logger } from '@kemu/common';
import type { Registry } from 'prom-client';
import { chain, type Next, type Plugin, type Request } from '../plugin.js';
import { CachePlugin } from '../plugins/cache/cache.js';
import { ForwardPlugin, type Upstream } from '../plugins/forward/forward.js';
import { KubernetesPlugin } from '../plugins/kubernetes/kubernetes.js';
import { inZone } from '../plugins/kubernetes/records.js';
import { LogPlugin } from '../plugins/log/log.js';
import { MetricsPlugin, type FastPathStats } from '../plugins/metrics/metrics.js';
import type { FastTable } from '../server/native-udp.js';
import { Rcode } from '../wire/constants.js';
import { answerOf } from '../wire/message.js';
import { CorefileError, type Directive, type ServerBlock } from './parse.js';

/** What the process gives the Corefile: defaults for what a block leaves out. */
export interface AssembleContext {
  file: string;
  apiservers: string[];
  token: string;
  registry: Registry;
  log: Logger;
  client(endpoints: string[], token: string): KubeClient;
  /** Writes one query-log line (the `log` plugin). */
  queryLog(line: string): void;
}

export interface Listener {
  host: string;
  port: number;
  handler: Next;
  recursionAvailable: boolean;
  observe(req: Request, wire: Buffer): void;
  malformed(reason: string): void;
  /** False when a block logs every query: then no query may bypass the chain. */
  fastPathAllowed: boolean;
  /** Feeds a fast path's table from the blocks' caches, and counts its answers. */
  attachFastPath(table: FastTable, stats: FastPathStats): void;
}

export interface Assembled {
  listeners: Listener[];
  /** Addresses of /healthz, /ready and /metrics (health, ready and prometheus directives). */
  ops: Array<{ host: string; port: number }>;
  plugins: Plugin[];
  kubernetes: KubernetesPlugin[];
  warnings: string[];
}

const DEFAULT_PORT = 53;
/** Directives CoreDNS users carry over from kubeadm's Corefile that mean nothing here. */
const NO_EFFECT = new Set(['loop', 'reload', 'loadbalance', 'errors']);

interface Block {
  zones: string[];
  plugins: Plugin[];
  handler: Next;
  recursionAvailable: boolean;
  metrics: MetricsPlugin | undefined;
  cache: CachePlugin | undefined;
  logs: boolean;
}

const fqdn = (z: string): string => (z === '.' ? '.' : `${z.replace(/\.$/, '').toLowerCase()}.`);
const zoneMatch = (name: string, zone: string): boolean => zone === '.' || inZone(name, zone);

function hostPort(arg: string, file: string, line: number, defaultPort: number): { host: string; port: number } {
  try {
    return parseHostPort(arg.includes(':') ? arg : `${arg}:${defaultPort}`, 'address');
  } catch (err) {
    throw new CorefileError(file, line, (err as Error).message);
  }
}

function seconds(arg: string | undefined, file: string, d: Directive): number {
  if (arg === undefined) throw new CorefileError(file, d.line, `${d.name}: missing value`);
  let n: number;
  try {
    n = /^\d+$/.test(arg) ? Number(arg) : Math.round(parseDuration(arg, d.name) / 1000);
  } catch {
    n = Number.NaN;
  }
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw new CorefileError(file, d.line, `${d.name}: ${JSON.stringify(arg)} is not a number of seconds from 0 to 3600`);
  return n;
}

/** Builds the handler chains of a parsed Corefile. */
export function assemble(blocks: ServerBlock[], ctx: AssembleContext): Assembled {
  const { file } = ctx;
  const warnings: string[] = [];
  const all: Plugin[] = [];
  const kube: KubernetesPlugin[] = [];
  const ops = new Map<string, { host: string; port: number }>();
  const groups = new Map<string, { host: string; port: number; blocks: Block[] }>();

  for (const sb of blocks) {
    const port = sb.keys.find((k) => k.port !== undefined)?.port ?? DEFAULT_PORT;
    const zones = sb.keys.map((k) => fqdn(k.zone));
    let binds = ['0.0.0.0'];
    let prometheus: { host: string; port: number } | undefined;
    let logPlugin: LogPlugin | undefined;
    let cache: CachePlugin | undefined;
    let kubernetes: KubernetesPlugin | undefined;
    let forward: ForwardPlugin | undefined;
    const seen = new Set<string>();
    for (const d of sb.directives) {
      if (seen.has(d.name) && d.name !== 'bind') throw new CorefileError(file, d.line, `directive ${d.name} given twice`);
      seen.add(d.name);
      switch (d.name) {
        case 'bind':
          if (!d.args.length) throw new CorefileError(file, d.line, 'bind: missing address');
          binds = d.args;
          break;
        case 'health':
        case 'ready': {
          const a = hostPort(d.args[0] ?? '0.0.0.0:8080', file, d.line, d.name === 'health' ? 8080 : 8181);
          ops.set(`${a.host}:${a.port}`, a);
          break;
        }
        case 'prometheus':
          prometheus = hostPort(d.args[0] ?? 'localhost:9153', file, d.line, 9153);
          ops.set(`${prometheus.host}:${prometheus.port}`, prometheus);
          break;
        case 'log':
          logPlugin = new LogPlugin((line) => ctx.queryLog(line));
          break;
        case 'cache': {
          let capacity = 20_000;
          for (const sub of d.block) {
            if (sub.name !== 'capacity') throw new CorefileError(file, sub.line, `cache: unknown property ${JSON.stringify(sub.name)}`);
            capacity = Number(sub.args[0]);
            if (!Number.isInteger(capacity) || capacity < 1) throw new CorefileError(file, sub.line, `cache: capacity ${JSON.stringify(sub.args[0])} is not a positive integer`);
          }
          cache = new CachePlugin({ maxTtl: d.args[0] ? seconds(d.args[0], file, d) : 3600, capacity, recursionAvailable: true });
          break;
        }
        case 'kubernetes':
          kubernetes = kubernetesPlugin(d, zones, ctx);
          kube.push(kubernetes);
          break;
        case 'forward':
          forward = forwardPlugin(d, file);
          break;
        default:
          if (NO_EFFECT.has(d.name)) {
            if (d.name !== 'errors') warnings.push(`${file}:${d.line} - ${d.name}: accepted, has no effect in kemu`);
            break;
          }
          throw new CorefileError(file, d.line, `Unknown directive '${d.name}'`);
      }
    }
    const metrics = prometheus ? new MetricsPlugin(ctx.registry, `dns://${binds[0]}:${port}`, zones[0] ?? '.', cache?.stats) : undefined;
    const plugins = [metrics, logPlugin, cache, kubernetes, forward].filter((p): p is NonNullable<typeof p> => p !== undefined);
    all.push(...plugins);
    const refused: Next = () => ({ kind: 'answer', answer: answerOf(Rcode.REFUSED) });
    const block: Block = { zones, plugins, handler: chain(plugins, refused), recursionAvailable: true, metrics, cache, logs: logPlugin !== undefined };
    if (cache && kubernetes) {
      const c = cache;
      kubernetes.onChange(() => c.clearFast());
    }
    for (const host of binds) {
      const key = `${host}:${port}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { host, port, blocks: [] }));
      for (const z of zones) {
        if (g.blocks.some((b) => b.zones.includes(z))) throw new CorefileError(file, sb.line, `zone ${z} is served twice on ${key}`);
      }
      g.blocks.push(block);
    }
  }

  const listeners = [...groups.values()].map((g): Listener => {
    // The most specific zone wins, as in CoreDNS.
    const pick = (name: string): Block | undefined => {
      let best: Block | undefined;
      let bestLen = -1;
      for (const b of g.blocks) {
        for (const z of b.zones) {
          if (zoneMatch(name, z) && z.length > bestLen) {
            best = b;
            bestLen = z.length;
          }
        }
      }
      return best;
    };
    const single = g.blocks.length === 1 ? g.blocks[0] : undefined;
    const route = (req: Request): Block | undefined => (single && single.zones.some((z) => zoneMatch(req.query.name, z)) ? single : pick(req.query.name));
    return {
      host: g.host,
      port: g.port,
      recursionAvailable: true,
      handler: (req) => route(req)?.handler(req) ?? { kind: 'answer', answer: answerOf(Rcode.REFUSED) },
      observe: (req, wire) => {
        const b = route(req);
        if (b) for (const p of b.plugins) p.observe?.(req, wire);
      },
      malformed: (reason) => {
        for (const b of g.blocks) b.metrics?.malformedPacket(reason);
      },
      // The table holds only answers of one block's zones; a name another block serves
      // never gets there. With several blocks a query's block is found by zone in JS,
      // which the table cannot do, so only single-block listeners use it.
      fastPathAllowed: g.blocks.length === 1 && !g.blocks.some((b) => b.logs),
      attachFastPath: (table, stats) => {
        for (const b of g.blocks) {
          b.cache?.addFastTable(table);
          b.metrics?.addFastPath(stats);
        }
      },
    };
  });
  return { listeners, ops: [...ops.values()], plugins: all, kubernetes: kube, warnings };
}

function kubernetesPlugin(d: Directive, blockZones: string[], ctx: AssembleContext): KubernetesPlugin {
  const { file } = ctx;
  const zones = (d.args.length ? d.args : blockZones).map(fqdn);
  const clusterZone = zones.find((z) => !z.endsWith('in-addr.arpa.') && !z.endsWith('ip6.arpa.') && z !== '.');
  if (!clusterZone) throw new CorefileError(file, d.line, 'kubernetes: no cluster zone among its zones');
  let ttl = 5;
  let pods: 'insecure' | 'disabled' = 'disabled';
  let fallthrough: string[] = [];
  let endpoints = ctx.apiservers;
  let token = ctx.token;
  for (const sub of d.block) {
    switch (sub.name) {
      case 'ttl':
        ttl = seconds(sub.args[0], file, sub);
        break;
      case 'pods':
        if (sub.args[0] !== 'insecure' && sub.args[0] !== 'disabled') {
          throw new CorefileError(file, sub.line, `kubernetes: pods ${JSON.stringify(sub.args[0] ?? '')}: kemu supports insecure and disabled`);
        }
        pods = sub.args[0];
        break;
      case 'fallthrough':
        fallthrough = sub.args.length ? sub.args.map(fqdn) : zones;
        break;
      case 'endpoint':
        if (!sub.args.length) throw new CorefileError(file, sub.line, 'kubernetes: endpoint needs an address');
        endpoints = sub.args.map((a) => a.replace(/^(https?|grpc):\/\//, ''));
        break;
      case 'token':
        token = sub.args[0] ?? '';
        break;
      default:
        throw new CorefileError(file, sub.line, `kubernetes: unknown property ${JSON.stringify(sub.name)}`);
    }
  }
  return new KubernetesPlugin({ zone: clusterZone, ttl, pods, zones, fallthrough }, ctx.client(endpoints, token), ctx.log);
}

function forwardPlugin(d: Directive, file: string): ForwardPlugin {
  const [from, ...to] = d.args;
  if (!from || to.length === 0) throw new CorefileError(file, d.line, 'forward: needs a zone and at least one upstream');
  const upstreams: Upstream[] = to.map((a) => {
    const hp = hostPort(a.replace(/^dns:\/\//, ''), file, d.line, 53);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(hp.host)) throw new CorefileError(file, d.line, `forward: upstream ${JSON.stringify(a)} is not an IPv4 address`);
    return hp;
  });
  let timeoutMs = 2000;
  for (const sub of d.block) {
    if (sub.name !== 'timeout') throw new CorefileError(file, sub.line, `forward: unknown property ${JSON.stringify(sub.name)}`);
    timeoutMs = seconds(sub.args[0], file, sub) * 1000;
    if (timeoutMs === 0) throw new CorefileError(file, sub.line, 'forward: timeout must be at least 1s');
  }
  return new ForwardPlugin({ from, upstreams, timeoutMs });
}
