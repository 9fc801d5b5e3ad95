// What `kemu dns query` does once its arguments are parsed (loaded only when it runs).
import type { Command } from 'commander';
import { parseTypeName, Type } from '@kemu/dns';
import { CliError } from '../cli-error.js';
import { exchange, formatExchange, formatSearch, keepSearching, reverseName, searchCandidates, searchOutcome, type Exchange } from '../lifecycle/dns-query.js';
import { QUERY_TYPES } from '../lifecycle/dns-query-names.js';
import { planOrFail, say } from './common.js';

export interface DnsQueryFlags {
  search: boolean;
  server?: string;
  stateDir: string;
}

function serverOf(o: { server?: string; stateDir: string }): { host: string; port: number; label: string } {
  const hp = o.server ?? planOrFail(o.stateDir).dns[0]?.listen;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(hp ?? '');
  if (!m) throw new CliError(`kemu dns query: --server: want an IPv4 host[:port], got "${hp ?? ''}"`);
  const port = Number(m[2] ?? 53);
  return { host: m[1]!, port, label: `${m[1]!}#${port}` };
}

/**
 * `kemu dns query NAME [TYPE]`: the pod search path (unless --no-search) tried in order
 * until an answer, printed like dig; exit status 1 unless the reply shown is NOERROR.
 */
export async function runDnsQuery(nameIn: string, typeIn: string, o: DnsQueryFlags, cmd: Command): Promise<void> {
  const type = parseTypeName(typeIn);
  if (type === undefined) cmd.error(`error: unknown record type "${typeIn}" (known: ${QUERY_TYPES.join(', ')}, TYPEnnn)`);
  const server = serverOf(o);
  const reversed = type === Type.PTR ? reverseName(nameIn) : undefined;
  const names = reversed ? [reversed] : o.search ? searchCandidates(nameIn) : [nameIn.endsWith('.') ? nameIn : `${nameIn}.`];
  const tried: Exchange[] = [];
  for (const name of names) {
    let e: Exchange;
    try {
      e = await exchange(server, name, type);
    } catch (err) {
      throw new CliError(`kemu dns query: ${(err as Error).message} (is the cluster up? kemu status --state-dir ${o.stateDir})`, 1, { cause: err });
    }
    tried.push(e);
    if (!keepSearching(e)) break;
  }
  const shown = searchOutcome(tried)!;
  for (const line of formatSearch(tried, shown)) say(line);
  say(formatExchange(shown, server.label));
  if (shown.reply.rcode !== 0) process.exitCode = 1;
}
