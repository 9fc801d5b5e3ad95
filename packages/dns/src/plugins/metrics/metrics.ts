import { Counter, Gauge, type Registry } from 'prom-client';
import type { Next, Plugin, Request, Result } from '../../plugin.js';
import { rcodeName, typeName } from '../../wire/constants.js';
import { rcodeOf } from '../../wire/inspect.js';
import type { CacheStats } from '../cache/cache.js';

/** Query types CoreDNS counts by name; others are counted as `other`. */
const COUNTED_TYPES = new Set(['A', 'AAAA', 'NS', 'PTR', 'SRV', 'TXT', 'SOA', 'CNAME', 'MX', 'ANY', 'AXFR', 'IXFR']);
/** CoreDNS's latency buckets: 0.25 ms doubling, 16 of them. */
export const LATENCY_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/**
 * Counts from a path that answers without the handler chain (the native UDP table), in
 * the layout of its stats(): answered, by type (A AAAA SRV PTR TXT SOA NS other), by rcode
 * (0-5), per type the count per latency bucket (16, not cumulative, slower ones in none),
 * per type the latency sum.
 */
export type FastPathStats = () => Float64Array | undefined;
const FAST_TYPES = ['A', 'AAAA', 'SRV', 'PTR', 'TXT', 'SOA', 'NS', 'other'];
const FAST_LATENCY = 1 + FAST_TYPES.length + 6;
const FAST_SUM = FAST_LATENCY + FAST_TYPES.length * 16;

interface Timing {
  buckets: Float64Array;
  count: number;
  sum: number;
}

/**
 * The `prometheus` plugin: CoreDNS's metric names and labels, so existing dashboards
 * read kemu's dns: requests by type and transport, responses by rcode, a latency
 * histogram, and the cache's hits, misses and size. The hot path only adds to plain
 * numbers; prom-client sees them when scraped.
 */
export class MetricsPlugin implements Plugin {
  readonly name = 'prometheus';
  private readonly requests = new Map<string, number>(); // proto \0 family \0 type
  private readonly responses = new Map<string, number>(); // rcode name
  private readonly timings = new Map<string, Timing>(); // type
  private readonly malformed: Counter<'server' | 'reason'>;
  private readonly fastPaths: FastPathStats[] = [];

  constructor(
    registry: Registry,
    private readonly server: string,
    private readonly zone: string,
    cache: CacheStats | undefined,
  ) {
    const { requests, responses } = this;
    const fastStats = (): Float64Array[] => this.fastStats();
    new Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'proto', 'family', 'type'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [k, n] of requests) {
          const [proto, family, type] = k.split('\0') as [string, string, string];
          this.inc({ server, zone, proto, family, type }, n);
        }
        for (const s of fastStats()) FAST_TYPES.forEach((type, i) => s[1 + i] && this.inc({ server, zone, proto: 'udp', family: '1', type }, s[1 + i]));
      },
    });
    new Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'rcode'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [rcode, n] of responses) this.inc({ server, zone, rcode }, n);
        for (const s of fastStats()) for (let r = 0; r < 6; r++) if (s[9 + r]) this.inc({ server, zone, rcode: rcodeName(r) }, s[9 + r]);
      },
    });
    registry.registerMetric(this.histogram() as never);
    this.malformed = new Counter({ name: 'kemu_dns_malformed_total', help: 'Packets that were not well-formed queries, by what was wrong.', labelNames: ['server', 'reason'], registers: [registry] });
    if (cache) {
      new Counter({
        name: 'coredns_cache_hits_total',
        help: 'The count of cache hits.',
        labelNames: ['server', 'type'],
        registers: [registry],
        collect() {
          this.reset();
          const fast = fastStats().reduce((n, s) => n + (s[0] ?? 0), 0);
          this.inc({ server, type: 'success' }, cache.hits.success + fast);
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

  /** Adds a path that answers outside the chain (the native UDP table) to the counts. */
  addFastPath(stats: FastPathStats): void {
    this.fastPaths.push(stats);
  }

  private fastStats(): Float64Array[] {
    return this.fastPaths.map((f) => f()).filter((s): s is Float64Array => s !== undefined);
  }

  /** coredns_dns_request_duration_seconds, summed from the chain's and the fast path's buckets. */
  private histogram(): { name: string; help: string; type: string; get: () => Promise<unknown>; reset: () => void } {
    const name = 'coredns_dns_request_duration_seconds';
    const help = 'Histogram of the time (in seconds) each request took.';
    return {
      name,
      help,
      type: 'histogram',
      reset: () => this.timings.clear(),
      get: () => {
        const byType = new Map<string, Timing>();
        for (const [type, t] of this.timings) byType.set(type, { buckets: Float64Array.from(t.buckets), count: t.count, sum: t.sum });
        for (const s of this.fastStats()) {
          FAST_TYPES.forEach((type, ti) => {
            const n = s[1 + ti] ?? 0;
            if (!n) return;
            const t = byType.get(type) ?? { buckets: new Float64Array(LATENCY_BUCKETS.length), count: 0, sum: 0 };
            for (let i = 0; i < LATENCY_BUCKETS.length; i++) t.buckets[i]! += s[FAST_LATENCY + ti * LATENCY_BUCKETS.length + i] ?? 0;
            t.count += n;
            t.sum += s[FAST_SUM + ti] ?? 0;
            byType.set(type, t);
          });
        }
        const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
        for (const [type, t] of byType) {
          const labels = { server: this.server, zone: this.zone, type };
          let cum = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cum += t.buckets[i]!;
            values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cum });
          });
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: t.count });
          values.push({ metricName: `${name}_sum`, labels, value: t.sum });
          values.push({ metricName: `${name}_count`, labels, value: t.count });
        }
        return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
      },
    };
  }

  serve(req: Request, next: Next): Result | Promise<Result> {
    return next(req);
  }

  observe(req: Request, wire: Buffer): void {
    const q = req.query;
    const tn = typeName(q.qtype);
    const type = COUNTED_TYPES.has(tn) ? tn : 'other';
    const family = req.remoteAddress.includes(':') ? '2' : '1';
    const rk = `${req.transport}\0${family}\0${type}`;
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    const rcode = rcodeName(rcodeOf(wire));
    this.responses.set(rcode, (this.responses.get(rcode) ?? 0) + 1);
    let t = this.timings.get(type);
    if (!t) this.timings.set(type, (t = { buckets: new Float64Array(LATENCY_BUCKETS.length), count: 0, sum: 0 }));
    const secs = (performance.now() - req.startedAt) / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS.length - 1 && secs > LATENCY_BUCKETS[i]!) i++;
    if (secs <= LATENCY_BUCKETS[i]!) t.buckets[i]!++;
    t.count++;
    t.sum += secs;
  }

  malformedPacket(reason: string): void {
    // Reasons are a small fixed set of texts, minus the details (offsets, counts).
    this.malformed.inc({ server: this.server, reason: reason.replace(/\d+/g, 'N') });
  }
}
