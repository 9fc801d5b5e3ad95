import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Next, Plugin, Request, Result } from '../../plugin.js';
import { rcodeName, typeName } from '../../wire/constants.js';
import type { CacheStats } from '../cache/cache.js';

/** Query types CoreDNS counts by name; others are counted as `other`. */
const COUNTED_TYPES = new Set(['A', 'AAAA', 'NS', 'PTR', 'SRV', 'TXT', 'SOA', 'CNAME', 'MX', 'ANY', 'AXFR', 'IXFR']);


/**
 * The `prometheus` plugin: CoreDNS's metric names and labels, so existing dashboards
 * read kemu's dns: requests by type and transport, responses by rcode, a latency
 * histogram, and the cache's hits, misses and size.
 */
export class MetricsPlugin implements Plugin {
  readonly name = 'prometheus';
  private readonly requests: Counter<'server' | 'zone' | 'proto' | 'family' | 'type'>;
  private readonly responses: Counter<'server' | 'zone' | 'rcode'>;
  private readonly duration: Histogram<'server' | 'zone' | 'type'>;
  private readonly malformed: Counter<'server' | 'reason'>;
  private readonly children = new Map<string, { inc: () => void }>();
  private readonly timers = new Map<string, { observe: (v: number) => void }>();

  constructor(
    registry: Registry,
    private readonly server: string,
    private readonly zone: string,
    cache: CacheStats | undefined,
  ) {
    this.requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'proto', 'family', 'type'], registers: [registry] });
    this.responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'rcode'], registers: [registry] });
    this.duration = new Histogram({
      name: 'coredns_dns_request_duration_seconds',
      help: 'Histogram of the time (in seconds) each request took.',
      labelNames: ['server', 'zone', 'type'],
      buckets: Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i),
      registers: [registry],
    });
    this.malformed = new Counter({ name: 'kemu_dns_malformed_total', help: 'Packets that were not well-formed queries, by what was wrong.', labelNames: ['server', 'reason'], registers: [registry] });
    if (cache) {
      // The cache counts in plain numbers on the hot path; they are published when scraped.
      new Counter({
        name: 'coredns_cache_hits_total',
        help: 'The count of cache hits.',
        labelNames: ['server', 'type'],
        registers: [registry],
        collect() {
          this.reset();
          this.inc({ server, type: 'success' }, cache.hits.success);
          this.inc({ server, type: 'denial' }, cache.hits.denial);
        },
      });
      new Counter({
        name: 'coredns_cache_misses_total',
        help: 'The count of cache misses.',
        labelNames: ['server'],
        registers: [registry],
        collect() {
          this.reset();
          this.inc({ server }, cache.misses);
        },
      });
      new Gauge({
        name: 'coredns_cache_entries',
        help: 'The number of elements in the cache.',
        labelNames: ['server', 'type'],
        registers: [registry],
        collect() {
          const e = cache.entries();
          this.set({ server, type: 'success' }, e.success);
          this.set({ server, type: 'denial' }, e.denial);
        },
      });
    }
  }

  serve(req: Request, next: Next): Result | Promise<Result> {
    return next(req);
  }

  observe(req: Request, wire: Buffer): void {
    const q = req.query;
    const type = COUNTED_TYPES.has(typeName(q.qtype)) ? typeName(q.qtype) : 'other';
    const family = req.remoteAddress.includes(':') ? '2' : '1';
    const rk = `q\0${req.transport}\0${family}\0${type}`;
    let c = this.children.get(rk);
    if (!c) this.children.set(rk, (c = this.requests.labels(this.server, this.zone, req.transport, family, type)));
    c.inc();
    const rcode = rcodeName(wire[3]! & 0xf);
    const sk = `r\0${rcode}`;
    let r = this.children.get(sk);
    if (!r) this.children.set(sk, (r = this.responses.labels(this.server, this.zone, rcode)));
    r.inc();
    let h = this.timers.get(type);
    if (!h) this.timers.set(type, (h = this.duration.labels(this.server, this.zone, type)));
    h.observe((performance.now() - req.startedAt) / 1000);
  }

  malformedPacket(reason: string): void {
    // Reasons are a small fixed set of texts, minus the details (offsets, counts).
    this.malformed.inc({ server: this.server, reason: reason.replace(/\d+/g, 'N') });
  }
}
