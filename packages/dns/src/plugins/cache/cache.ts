import type { Next, Plugin, Request, Result, Version } from '../../plugin.js';
import { Flag, Rcode } from '../../wire/constants.js';
import { encodeResponse } from '../../wire/encode.js';
import { rcodeOf, ttlFields } from '../../wire/inspect.js';
import type { Query } from '../../wire/parse.js';
import type { FastTable } from '../../server/native-udp.js';

export interface CacheOptions {
  /** Longest time an entry is kept, seconds (CoreDNS `cache 30`). */
  maxTtl: number;
  /** Entries kept at most; the oldest go first. */
  capacity: number;
  /** Whether replies carry RA (the server's setting, needed to encode). */
  recursionAvailable: boolean;
  now?: () => number;
}

interface Entry {
  /** The reply as first encoded; ID, RD/CD and the question's letter case are patched per hit. */
  wire: Buffer;
  /** Versions the answer was built from and their values then; empty for upstream replies. */
  deps: readonly Version[];
  seen: number[];
  /** Upstream replies age: each record's TTL offset and TTL when stored. */
  ttls: Array<{ offset: number; ttl: number }>;
  storedAt: number;
  expiresAt: number;
  denial: boolean;
}

export interface CacheStats {
  hits: { success: number; denial: number };
  misses: number;
  entries: () => { success: number; denial: number };
}

/**
 * The `cache` plugin: keeps encoded replies keyed by question (name, type, class) and EDNS
 * use. An answer built from Kubernetes data is served only while the versions it was built
 * from are unchanged, so an apiserver change shows at once, not after a TTL; upstream
 * replies are served with their TTLs counted down. Kept at most `maxTtl` seconds.
 */
export class CachePlugin implements Plugin {
  readonly name = 'cache';
  private readonly map = new Map<string, Entry>();
  private readonly now: () => number;
  readonly stats: CacheStats;
  private denials = 0;
  /** Tables that answer without the chain (the native UDP path): fed fresh Kubernetes answers. */
  private readonly fast = new Set<FastTable>();

  constructor(private readonly o: CacheOptions) {
    this.now = o.now ?? (() => Date.now() / 1000);
    this.stats = {
      hits: { success: 0, denial: 0 },
      misses: 0,
      entries: () => ({ success: this.map.size - this.denials, denial: this.denials }),
    };
  }

  private static key(q: Query): string {
    return `${q.nameKey}\0${q.qtype}\0${q.qclass}\0${q.edns ? (q.edns.dnssecOk ? 2 : 1) : 0}`;
  }

  serve(req: Request, next: Next): Result | Promise<Result> {
    const q = req.query;
    const key = CachePlugin.key(q);
    const hit = this.map.get(key);
    if (hit) {
      const now = this.now();
      if (now < hit.expiresAt && hit.deps.every((d, i) => d.value === hit.seen[i])) {
        if (hit.denial) this.stats.hits.denial++;
        else this.stats.hits.success++;
        return { kind: 'wire', wire: this.patch(hit, q, now) };
      }
      this.drop(key, hit);
    }
    this.stats.misses++;
    const r = next(req);
    return r instanceof Promise ? r.then((res) => this.store(key, q, res)) : this.store(key, q, r);
  }

  private store(key: string, q: Query, res: Result): Result {
    const now = this.now();
    let entry: Entry;
    if (res.kind === 'answer') {
      const rc = res.answer.rcode;
      if (rc !== Rcode.NOERROR && rc !== Rcode.NXDOMAIN) return res;
      const wire = encodeResponse(q, res.answer, { recursionAvailable: this.o.recursionAvailable }).wire;
      const deps = res.deps ?? [];
      const ttl = deps.length ? this.o.maxTtl : Math.min(this.o.maxTtl, ...[...res.answer.answer, ...res.answer.authority].map((r) => r.ttl));
      entry = { wire, deps, seen: deps.map((d) => d.value), ttls: [], storedAt: now, expiresAt: now + ttl, denial: rc === Rcode.NXDOMAIN || res.answer.answer.length === 0 };
      res = { kind: 'wire', wire };
      // Only answers checked by versions go to a fast table, which clearFast() empties on
      // any change: it cannot check versions itself.
      if (deps.length && this.fast.size) {
        const k = fastKey(q);
        for (const t of this.fast) t.set(k, wire, ttl * 1000);
      }
    } else {
      const rc = rcodeOf(res.wire);
      if ((rc !== Rcode.NOERROR && rc !== Rcode.NXDOMAIN) || res.wire.readUInt16BE(2) & Flag.TC) return res;
      let ttls: Entry['ttls'];
      try {
        ttls = ttlFields(res.wire);
      } catch {
        return res;
      }
      const ttl = Math.min(this.o.maxTtl, ...ttls.map((t) => t.ttl));
      if (ttl <= 0) return res;
      entry = { wire: res.wire, deps: [], seen: [], ttls, storedAt: now, expiresAt: now + ttl, denial: rc === Rcode.NXDOMAIN || res.wire.readUInt16BE(6) === 0 };
    }
    const old = this.map.get(key);
    if (old) this.drop(key, old);
    while (this.map.size >= this.o.capacity) {
      const [k, e] = this.map.entries().next().value as [string, Entry];
      this.drop(k, e);
    }
    this.map.set(key, entry);
    if (entry.denial) this.denials++;
    return res;
  }

  private drop(key: string, e: Entry): void {
    this.map.delete(key);
    if (e.denial) this.denials--;
  }

  /** A copy of the stored reply for this query: its ID, RD/CD bits and question octets. */
  private patch(e: Entry, q: Query, now: number): Buffer {
    const out = Buffer.allocUnsafe(e.wire.length);
    e.wire.copy(out);
    out.writeUInt16BE(q.id, 0);
    const rdcd = (Flag.RD | Flag.CD) >> 8;
    out[2] = (out[2]! & ~rdcd) | ((q.flags >> 8) & rdcd);
    out[3] = (out[3]! & ~(Flag.CD & 0xff)) | (q.flags & Flag.CD & 0xff);
    q.packet.copy(out, 12, 12, q.questionEnd);
    if (e.ttls.length) {
      const age = Math.floor(now - e.storedAt);
      for (const t of e.ttls) out.writeUInt32BE(Math.max(0, t.ttl - age), t.offset);
    }
    return out;
  }

  /** Drops every entry (tests, and a config reload). */
  clear(): void {
    this.map.clear();
    this.denials = 0;
    this.clearFast();
  }

  addFastTable(t: FastTable): void {
    this.fast.add(t);
  }

  /** The data answers were built from changed: the fast tables forget them all. */
  clearFast(): void {
    for (const t of this.fast) t.clear();
  }
}

/**
 * The native table's key for a query (native/udp.c): the lowered question name with its
 * final zero, QTYPE, QCLASS, and 0 (no EDNS), 1 (EDNS) or 2 (EDNS with DO).
 */
export function fastKey(q: Query): Buffer {
  const n = q.nameKey.length;
  const k = Buffer.allocUnsafe(n + 6);
  k.write(q.nameKey, 0, 'latin1');
  k[n] = 0;
  k.writeUInt16BE(q.qtype, n + 1);
  k.writeUInt16BE(q.qclass, n + 3);
  k[n + 5] = q.edns ? (q.edns.dnssecOk ? 2 : 1) : 0;
  return k;
}
