// Prints the forwarding table the way `iptables-save -c` prints kube-proxy's nat rules, so
// people who know kube-proxy can read what kemu's userspace proxy will do. The text is
// deterministic (everything sorted) so tests compare it verbatim.
import { createHash } from 'node:crypto';
import { assertNever } from '@kemu/common';
import type { ForwardingTable } from './forwarding-table.js';
import { compareAddresses, compareStrings } from './service-info.js';
import { externallyReachable } from './traffic-policy.js';
import type { EndpointInfo, Frontend, ServicePortInfo } from './types.js';

export interface PrintOptions {
  /**
   * Only this service port's frontends and chains (`ns/name:port/PROTO`), or every port
   * of one Service (`ns/name`).
   */
  servicePort?: string;
  /** The data plane's clock (Date.now() by default), for endpoints held off after a timeout. */
  now?: number;
}

const SERVICES = 'KEMU-SERVICES';
const NODEPORTS = 'KEMU-NODEPORTS';

/**
 * The table as an iptables-save-like dump. Every rule is prefixed with counters
 * `[connections:bytes]`: frontend rules count new connections, KEMU-SEP rules count
 * connections and bytes (in + out) per endpoint, other rules print [0:0].
 */
export function printRules(table: ForwardingTable, opts: PrintOptions = {}): string {
  const only = opts.servicePort;
  const ports: ServicePortInfo[] = [];
  const keys = only === undefined ? table.servicePortKeys() : only.includes(':') ? [only] : [...table.servicePortKeys()].filter((k) => k.startsWith(`${only}:`));
  for (const key of keys) {
    const sp = table.servicePort(key);
    if (sp !== undefined) ports.push(sp);
  }
  const wanted = new Set(ports.map((p) => p.key));
  const wantedServices = new Set(ports.map((p) => `${p.namespace}/${p.name}`));
  const frontends = table
    .frontends()
    .filter((f) => (f.kind === 'health-check' ? wantedServices.has(f.servicePort) : wanted.has(f.servicePort)));

  const chains = new Set<string>();
  const serviceRules: string[] = [];
  const nodePortRules: string[] = [];
  for (const f of frontends) {
    const rule = frontendRule(table, f);
    (f.kind === 'node-port' || f.kind === 'health-check' ? nodePortRules : serviceRules).push(rule);
  }
  serviceRules.push(`[0:0] -A ${SERVICES} -m addrtype --dst-type LOCAL -j ${NODEPORTS}`);

  const portBlocks: string[] = [];
  const now = opts.now ?? Date.now();
  for (const sp of ports) portBlocks.push(...portRules(table, sp, chains, now));

  const out: string[] = [
    `# kemu userspace proxy rules for node ${table.nodeName} (algorithm ${table.algorithm}); counters are [connections:bytes]`,
    '*kemu',
    `:${SERVICES} - [0:0]`,
    `:${NODEPORTS} - [0:0]`,
    ...[...chains].sort(compareStrings).map((c) => `:${c} - [0:0]`),
    ...serviceRules,
    ...nodePortRules,
    ...portBlocks,
    'COMMIT',
  ];
  return out.join('\n') + '\n';
}

/** kube-proxy's display name of a service port: namespace/name, plus :portName when named. */
export function displayName(sp: ServicePortInfo): string {
  return `${sp.namespace}/${sp.name}${sp.portName === '' ? '' : `:${sp.portName}`}`;
}

/** Stable chain names: a prefix and 16 base32 characters of a SHA-256, as kube-proxy names its chains. */
export function serviceChain(sp: ServicePortInfo, prefix: 'KEMU-SVC' | 'KEMU-SVL' = 'KEMU-SVC'): string {
  return `${prefix}-${shortHash(sp.key)}`;
}

export function endpointChain(sp: ServicePortInfo, ep: EndpointInfo): string {
  return `KEMU-SEP-${shortHash(`${sp.key}|${ep.key}`)}`;
}

/**
 * The probability as iptables-save shows it for kube-proxy's rule: kube-proxy writes
 * 1/n with 10 decimals, the statistic match keeps it as a 31-bit fraction, and
 * iptables prints that back with 11 decimals (1/3 -> 0.33333333349).
 */
export function iptablesProbability(p: number): string {
  const written = Number(p.toFixed(10));
  const stored = Math.round(written * 0x80000000);
  return (stored / 0x80000000).toFixed(11);
}

function frontendRule(table: ForwardingTable, f: Frontend): string {
  const chain = f.kind === 'node-port' || f.kind === 'health-check' ? NODEPORTS : SERVICES;
  const match = `-A ${chain} -d ${f.ip}/32 -p ${f.protocol.toLowerCase()} --dport ${f.port}`;
  const counters = `[${table.frontendConnections(f.key)}:0]`;
  if (f.kind === 'health-check') return `${counters} ${match} -m comment --comment ${quote(`${f.servicePort} health check node port`)} -j ACCEPT`;
  const sp = table.servicePort(f.servicePort);
  if (sp === undefined) return `${counters} ${match} -j RETURN`;
  const local = f.kind === 'cluster-ip' ? sp.internalPolicyLocal : sp.externalPolicyLocal;
  if (table.policyEndpoints(sp.key, 'cluster').length === 0) {
    return `${counters} ${match} -m comment --comment ${quote(`${displayName(sp)} has no endpoints`)} -j REJECT`;
  }
  if (local && table.policyEndpoints(sp.key, 'local').length === 0) {
    return `${counters} ${match} -m comment --comment ${quote(`${displayName(sp)} has no local endpoints`)} -j DROP`;
  }
  return `${counters} ${match} -j ${serviceChain(sp, local ? 'KEMU-SVL' : 'KEMU-SVC')}`;
}

function usesLocalChain(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyReachable(sp));
}

function portRules(table: ForwardingTable, sp: ServicePortInfo, chains: Set<string>, now: number): string[] {
  const name = displayName(sp);
  const svc = serviceChain(sp);
  chains.add(svc);
  const [stats] = table.stats(sp.key);
  const all = table.endpoints(sp.key);
  const cluster = table.policyEndpoints(sp.key, 'cluster');
  const local = usesLocalChain(sp) ? table.policyEndpoints(sp.key, 'local') : undefined;
  const affinity = sp.affinityTimeoutSeconds === undefined ? 'none' : `ClientIP ${sp.affinityTimeoutSeconds}s (${stats?.affinityClients ?? 0} clients)`;
  const usable = `${cluster.length} usable${local === undefined ? '' : `, ${local.length} local`}`;
  const out: string[] = [
    `# ${svc} ${name} (${sp.protocol}): ${all.length} endpoints (${usable}); affinity ${affinity}; ` +
      `connections ${stats?.connectionsActive ?? 0} active, ${stats?.connectionsTotal ?? 0} total, ${stats?.connectFailures ?? 0} failed; ` +
      `bytes ${stats?.bytesIn ?? 0} in, ${stats?.bytesOut ?? 0} out`,
  ];
  for (const e of all) {
    const used = cluster.some((c) => c.key === e.key) || (local?.some((c) => c.key === e.key) ?? false);
    if (!used) out.push(`#   unused ${e.key} (${conditions(e)})`);
  }
  for (const [key, until] of table.heldOff(sp.key, now)) {
    out.push(`#   held off ${key} for ${((until - now) / 1_000).toFixed(1)} s more: its last connect timed out; new connections go to the others`);
  }
  const seps = new Map<string, EndpointInfo>();
  out.push(...balanceRules(table, sp, svc, cluster, seps));
  if (local !== undefined) {
    const svl = serviceChain(sp, 'KEMU-SVL');
    chains.add(svl);
    out.push(...balanceRules(table, sp, svl, local, seps));
  }
  const counters = new Map((stats?.endpoints ?? []).map((e) => [e.key, e]));
  for (const ep of [...seps.values()].sort(compareAddresses)) {
    const sep = endpointChain(sp, ep);
    chains.add(sep);
    const c = counters.get(ep.key);
    const recent = sp.affinityTimeoutSeconds === undefined ? '' : ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource`;
    out.push(
      `[${c?.total ?? 0}:${(c?.bytesIn ?? 0) + (c?.bytesOut ?? 0)}] -A ${sep} -p ${sp.protocol.toLowerCase()} -m comment --comment ${quote(name)}${recent} -j DNAT --to-destination ${ep.key}`,
    );
  }
  return out;
}

function balanceRules(
  table: ForwardingTable,
  sp: ServicePortInfo,
  chain: string,
  endpoints: readonly EndpointInfo[],
  seps: Map<string, EndpointInfo>,
): string[] {
  const out: string[] = [];
  const name = displayName(sp);
  const comment = (e: EndpointInfo): string => `-m comment --comment ${quote(`${name} -> ${e.key}`)}`;
  if (sp.affinityTimeoutSeconds !== undefined) {
    for (const e of endpoints) {
      const sep = endpointChain(sp, e);
      out.push(
        `[0:0] -A ${chain} ${comment(e)} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinityTimeoutSeconds} --reap -j ${sep}`,
      );
    }
  }
  const stats = table.stats(sp.key)[0];
  const active = new Map((stats?.endpoints ?? []).map((e) => [e.key, e.active]));
  const n = endpoints.length;
  endpoints.forEach((e, i) => {
    seps.set(e.key, e);
    let balance: string;
    switch (table.algorithm) {
      case 'random':
        balance = i < n - 1 ? ` -m statistic --mode random --probability ${iptablesProbability(1 / (n - i))}` : '';
        break;
      case 'round-robin':
        balance = ` -m balance --mode rr --slot ${i + 1}/${n}`;
        break;
      case 'least-connections':
        balance = ` -m balance --mode lc --active ${active.get(e.key) ?? 0}`;
        break;
      default:
        return assertNever(table.algorithm, 'load-balancing algorithm');
    }
    out.push(`[0:0] -A ${chain} ${comment(e)}${balance} -j ${endpointChain(sp, e)}`);
  });
  return out;
}

function conditions(e: EndpointInfo): string {
  const parts = [e.ready ? 'ready' : 'not ready'];
  if (e.serving && !e.ready) parts.push('serving');
  if (e.terminating) parts.push('terminating');
  if (e.nodeName !== undefined) parts.push(`node ${e.nodeName}`);
  return parts.join(', ');
}

/** iptables-save quotes a comment only when it contains spaces. */
function quote(s: string): string {
  return /[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function shortHash(s: string): string {
  const digest = createHash('sha256').update(s).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
    if (out.length >= 16) break;
    value &= (1 << bits) - 1;
  }
  return out;
}
