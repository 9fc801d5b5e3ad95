import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { decodeMessage, encodeQuery, rcodeName, tcpExchange, typeName, type DnsMessage, type DnsRecord } from '@kemu/dns';
import { POD_NDOTS, POD_SEARCH } from './dns-query-names.js';

/** A fully qualified name with its final dot ("." for the root). */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The in-addr.arpa name of an IPv4 address (what `dig -x` asks), or undefined. */
export function reverseName(ip: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return `${m.slice(1).reverse().join('.')}.in-addr.arpa.`;
}

export { POD_NDOTS, POD_SEARCH } from './dns-query-names.js';

/**
 * The names a stub resolver with `search` and `options ndots:N` tries for `name`, in
 * order: a name ending in "." only as is; one with fewer than ndots dots with each search
 * domain first and as is last; one with ndots or more as is first.
 */
export function searchCandidates(name: string, search: readonly string[] = POD_SEARCH, ndots = POD_NDOTS): string[] {
  if (name.endsWith('.')) return [name];
  const withSearch = search.map((d) => `${name}.${d}.`);
  const dots = name.split('.').length - 1;
  return dots < ndots ? [...withSearch, `${name}.`] : [`${name}.`, ...withSearch];
}

export interface Exchange {
  name: string;
  reply: DnsMessage;
  transport: 'udp' | 'tcp';
  ms: number;
}

/**
 * Which reply a search ends with (glibc's res_search): the first NOERROR reply with
 * answers; a NXDOMAIN or an empty NOERROR moves on to the next name; any other rcode
 * (SERVFAIL, REFUSED) stops the search. With no answer anywhere, the first empty NOERROR
 * wins over NXDOMAIN, as glibc reports "no data" before "no such name".
 */
export function searchOutcome(tried: readonly Exchange[]): Exchange | undefined {
  let noData: Exchange | undefined;
  for (const e of tried) {
    const rc = e.reply.rcode;
    if (rc === 0 && e.reply.answer.length > 0) return e;
    if (rc === 0) noData ??= e;
    else if (rc !== 3) return noData ?? e;
  }
  return noData ?? tried[tried.length - 1];
}

/** Whether the search should go on after this reply. */
export const keepSearching = (e: Exchange): boolean => (e.reply.rcode === 0 && e.reply.answer.length === 0) || e.reply.rcode === 3;

export class DnsQueryError extends Error {
  override readonly name = 'DnsQueryError';
}

/** One question over UDP (two tries); a truncated reply is asked again over TCP. */
export async function exchange(server: { host: string; port: number }, name: string, type: number, timeoutMs = 2000): Promise<Exchange> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(name, { id, type, edns: true });
  const t0 = performance.now();
  let reply: DnsMessage | undefined;
  let lastErr: Error | undefined;
  for (let attempt = 0; attempt < 2 && !reply; attempt++) {
    try {
      reply = decodeMessage(await udp(server, query, id, timeoutMs));
    } catch (err) {
      lastErr = err as Error;
    }
  }
  if (!reply) throw new DnsQueryError(`no reply from ${server.host}:${server.port} over UDP: ${lastErr?.message ?? 'timed out'}`);
  if (!reply.flags.tc) return { name, reply, transport: 'udp', ms: performance.now() - t0 };
  const full = decodeMessage(await tcpExchange(server, query, timeoutMs));
  return { name, reply: full, transport: 'tcp', ms: performance.now() - t0 };
}

function udp(server: { host: string; port: number }, query: Buffer, id: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, msg?: Buffer): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg, rinfo) => {
      // Only the server's reply to this question ends the wait.
      if (rinfo.address !== server.host || rinfo.port !== server.port || msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      finish(undefined, msg);
    });
    sock.send(query, server.port, server.host, (err) => {
      if (err) finish(err);
    });
  });
}

function recordLine(r: DnsRecord): string {
  return `${r.name}\t\t${r.ttl}\t${r.class === 1 ? 'IN' : `CLASS${r.class}`}\t${typeName(r.type)}\t${r.data}`;
}

/** A reply as dig prints it (header, question and the non-empty sections, then the stats). */
export function formatExchange(e: Exchange, server: string): string {
  const m = e.reply;
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const).filter((f) => m.flags[f]);
  const out = [
    `;; ->>HEADER<<- opcode: ${m.opcode === 0 ? 'QUERY' : `OPCODE${m.opcode}`}, status: ${rcodeName(m.rcode)}, id: ${m.id}`,
    `;; flags: ${flags.join(' ')}; QUERY: ${m.questions.length}, ANSWER: ${m.answer.length}, AUTHORITY: ${m.authority.length}, ADDITIONAL: ${m.additional.length}`,
    '',
    ';; QUESTION SECTION:',
    ...m.questions.map((q) => `;${q.name}\t\t\t${q.class === 1 ? 'IN' : `CLASS${q.class}`}\t${typeName(q.type)}`),
  ];
  for (const [title, records] of [['ANSWER', m.answer], ['AUTHORITY', m.authority], ['ADDITIONAL', m.additional]] as const) {
    if (records.length === 0) continue;
    out.push('', `;; ${title} SECTION:`, ...records.map(recordLine));
  }
  out.push('', `;; Query time: ${Math.round(e.ms)} msec`, `;; SERVER: ${server}(${e.transport.toUpperCase()})`);
  return out.join('\n');
}

/** The lines naming the names a search tried before the one shown. */
export function formatSearch(tried: readonly Exchange[], shown: Exchange): string[] {
  return tried.filter((e) => e !== shown).map((e) => `;; search: ${fqdn(e.name)} ${rcodeName(e.reply.rcode)}${e.reply.rcode === 0 ? ' (no records of this type)' : ''}`);
}
