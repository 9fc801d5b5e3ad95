import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, join } from 'node:path';

// What the kubelet gives a pod with dnsPolicy ClusterFirst (pkg/kubelet/network/dns):
// the cluster DNS service as the only nameserver; search <ns>.svc.<domain>,
// svc.<domain>, <domain>, then the host's searches, duplicates dropped; options ndots:5.
// Lines are written in the container runtime's order: search, nameserver, options.

/** Limits the kubelet applies to the search line (ExpandedDNSConfig, GA since 1.28). */
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** Longer search domains make some resolvers abort; the kubelet drops them. */
export const MAX_DNS_SEARCH_PATH_LENGTH = 253;
export const DEFAULT_NDOTS = 5;

export interface ClusterResolvConfOptions {
  /** The cluster DNS service IP (kube-dns ClusterIP). */
  nameserver: string;
  /** The pod's namespace. */
  namespace: string;
  /** e.g. cluster.local; empty means no cluster searches (only `searches`). */
  clusterDomain: string;
  /** The host's search domains, appended after the cluster ones. */
  searches?: readonly string[];
  /** 0..15 (glibc's cap); default 5. */
  ndots?: number;
}

export class ResolvConfError extends Error {
  override readonly name = 'ResolvConfError';
}

/** The search list after the kubelet's de-duplication and limits. */
export function clusterSearches(namespace: string, clusterDomain: string, hostSearches: readonly string[] = []): string[] {
  const cluster = clusterDomain === '' ? [] : [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
  const seen = new Set<string>();
  let list: string[] = [];
  for (const raw of [...cluster, ...hostSearches]) {
    const s = raw.endsWith('.') && raw !== '.' ? raw.slice(0, -1) : raw;
    if (s === '' || seen.has(s)) continue;
    seen.add(s);
    list.push(s);
  }
  list = list.slice(0, MAX_DNS_SEARCH_PATHS).filter((s) => s.length <= MAX_DNS_SEARCH_PATH_LENGTH);
  // Over the character limit: drop from the end (the host's domains go first).
  while (list.length > 0 && list.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) list.pop();
  return list;
}

export function clusterResolvConf(opts: ClusterResolvConfOptions): string {
  if (isIP(opts.nameserver) === 0) throw new ResolvConfError(`resolv.conf: nameserver: Invalid value: ${JSON.stringify(opts.nameserver)}: must be an IP address`);
  if (opts.clusterDomain !== '' && opts.namespace === '') throw new ResolvConfError('resolv.conf: namespace: Required value');
  const ndots = opts.ndots ?? DEFAULT_NDOTS;
  if (!Number.isInteger(ndots) || ndots < 0 || ndots > 15) throw new ResolvConfError(`resolv.conf: ndots: Invalid value: ${ndots}: must be an integer from 0 to 15`);
  for (const [i, s] of [opts.namespace, opts.clusterDomain, ...(opts.searches ?? [])].entries()) {
    if (/\s/.test(s)) throw new ResolvConfError(`resolv.conf: ${i === 0 ? 'namespace' : i === 1 ? 'clusterDomain' : `searches[${i - 2}]`}: Invalid value: ${JSON.stringify(s)}: must not contain whitespace`);
  }
  const searches = clusterSearches(opts.namespace, opts.clusterDomain, opts.searches);
  const lines: string[] = [];
  if (searches.length > 0) lines.push(`search ${searches.join(' ')}`);
  lines.push(`nameserver ${opts.nameserver}`);
  lines.push(`options ndots:${ndots}`);
  return lines.join('\n') + '\n';
}

/**
 * Replaces the file at `path` with `content` atomically (temporary file in the same
 * directory, fsync, rename), so a resolver never reads half a file. When `path` is a
 * mount point (a container's /etc/resolv.conf is usually bind-mounted) rename is refused;
 * the content is then written in place with a single write.
 */
export async function writeNodeResolvConf(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.kemu-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw err;
    await writeFile(path, content, { encoding: 'utf8', mode: 0o644 });
  }
}
