import { isIPv4, isIPv6 } from 'node:net';
import type { EndpointSlice, Service } from '@kemu/api';
import { Version } from '../../plugin.js';
import { Rcode, Type } from '../../wire/constants.js';
import { expandIPv6 } from '../../wire/addresses.js';
import { answerOf, type Answer, type ResourceRecord } from '../../wire/message.js';

/** The schema version of the Kubernetes DNS specification kemu follows. */
export const SCHEMA_VERSION = '1.1.0';

export interface RecordsOptions {
  /** The cluster domain, e.g. `cluster.local` (with or without the trailing dot). */
  zone: string;
  ttl: number;
  /** `insecure`: answer `a-b-c-d.<ns>.pod.<zone>` for any address (CoreDNS `pods insecure`). */
  pods: 'insecure' | 'disabled';
}

interface Port {
  name: string;
  port: number;
  protocol: string;
}

interface Svc {
  ns: string;
  name: string;
  kind: 'cluster' | 'headless' | 'external';
  ips: string[];
  externalName: string;
  ports: Port[];
  publishNotReady: boolean;
}

interface SliceData {
  ports: Port[];
  endpoints: Array<{ addresses: string[]; hostname: string | undefined; ready: boolean }>;
}

/** Everything answered for one Service name; rebuilt whenever the Service or a slice changes. */
interface Entry {
  svc: Svc | undefined;
  slices: Map<string, SliceData>;
  version: Version;
  /** Ready endpoints, deduplicated by address: hostname and address. */
  ready: Array<{ hostname: string; address: string; ports: Port[] }>;
  /** The PTR records this Service contributes: address -> target name. */
  ptrs: Array<{ address: string; target: string }>;
}

/** What a lookup gives: the answer and the versions it depends on. */
export interface Lookup {
  answer: Answer;
  deps: Version[];
  /** ExternalName: the target to resolve and append, for these query types. */
  chase?: string;
}

const lower = (s: string): string => s.toLowerCase();

/** Reverse name of an address: `4.3.2.1.in-addr.arpa.` or nibbles under `ip6.arpa.`. */
export function reverseName(address: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa.`;
  const hex = expandIPv6(address).replace(/:/g, '');
  return `${[...hex].reverse().join('.')}.ip6.arpa.`;
}

/** The address a reverse name stands for, or undefined when it is not a whole address. */
function addressOfReverse(labels: string[], zone: 'in-addr.arpa' | 'ip6.arpa'): string | undefined {
  if (zone === 'in-addr.arpa') {
    if (labels.length !== 4 || !labels.every((l) => /^(0|[1-9]\d{0,2})$/.test(l) && Number(l) < 256)) return undefined;
    return [...labels].reverse().join('.');
  }
  if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
  const hex = [...labels].reverse().join('');
  return expandIPv6(hex.match(/.{4}/g)!.join(':'));
}

/** The system-assigned hostname of an endpoint without one: its address with dashes. */
export const dashed = (address: string): string => (isIPv4(address) ? address.replace(/\./g, '-') : expandIPv6(address).replace(/:/g, '-'));

/**
 * The records of the Kubernetes DNS specification, built from Services and
 * EndpointSlices. Pure: the informer driver feeds it, the plugin asks it. Names are
 * compared lowered (Kubernetes names are lower case already; queries are lowered before
 * they get here).
 */
export class ClusterRecords {
  readonly zone: string; // with the trailing dot
  private readonly entries = new Map<string, Entry>(); // "<ns>/<name>"
  private readonly namespaces = new Map<string, number>(); // services per namespace
  private readonly reverse = new Map<string, Map<string, string>>(); // canonical address -> entry key -> target
  /** Changes whenever a name starts or stops existing (negative answers depend on it). */
  readonly existence = new Version();
  /** Changes whenever a PTR record changes. */
  readonly reverseVersion = new Version();
  /** Seconds since the epoch of the last change: the SOA serial. */
  serial = Math.floor(Date.now() / 1000);

  constructor(private readonly o: RecordsOptions) {
    this.zone = o.zone.endsWith('.') ? lower(o.zone) : `${lower(o.zone)}.`;
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { svc: undefined, slices: new Map(), version: new Version(), ready: [], ptrs: [] };
      this.entries.set(key, e);
    }
    return e;
  }

  setService(s: Service): void {
    const ns = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    const spec = s.spec ?? {};
    const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIPv4(ip) || isIPv6(ip));
    const kind = spec.type === 'ExternalName' ? 'external' : spec.clusterIP === 'None' ? 'headless' : 'cluster';
    const svc: Svc = {
      ns,
      name,
      kind,
      ips: kind === 'cluster' ? ips : [],
      externalName: spec.externalName ? lower(spec.externalName.replace(/\.$/, '')) : '',
      ports: (spec.ports ?? []).map((p) => ({ name: lower(p.name ?? ''), port: p.port ?? 0, protocol: lower(p.protocol ?? 'TCP') })),
      publishNotReady: spec.publishNotReadyAddresses === true,
    };
    const key = `${ns}/${name}`;
    const e = this.entry(key);
    if (!e.svc) {
      this.namespaces.set(ns, (this.namespaces.get(ns) ?? 0) + 1);
      this.existence.bump();
    }
    e.svc = svc;
    this.rebuild(key, e);
  }

  deleteService(ns: string, name: string): void {
    const key = `${ns}/${name}`;
    const e = this.entries.get(key);
    if (!e?.svc) return;
    e.svc = undefined;
    const n = (this.namespaces.get(ns) ?? 1) - 1;
    if (n <= 0) this.namespaces.delete(ns);
    else this.namespaces.set(ns, n);
    this.existence.bump();
    this.rebuild(key, e);
  }

  setSlice(slice: EndpointSlice): void {
    const svcName = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svcName) return;
    const ns = slice.metadata?.namespace ?? 'default';
    const key = `${ns}/${svcName}`;
    const e = this.entry(key);
    const type = slice.addressType ?? 'IPv4';
    if (type !== 'IPv4' && type !== 'IPv6') {
      this.deleteSliceFrom(key, e, slice.metadata?.name ?? '');
      return;
    }
    e.slices.set(slice.metadata?.name ?? '', {
      ports: (slice.ports ?? []).map((p) => ({ name: lower(p.name ?? ''), port: p.port ?? 0, protocol: lower(p.protocol ?? 'TCP') })),
      endpoints: (slice.endpoints ?? []).map((ep) => ({
        addresses: (ep.addresses ?? []).filter((a) => (type === 'IPv4' ? isIPv4(a) : isIPv6(a))),
        hostname: ep.hostname ? lower(ep.hostname) : undefined,
        ready: ep.conditions?.ready !== false,
      })),
    });
    this.rebuild(key, e);
  }

  deleteSlice(slice: EndpointSlice): void {
    const svcName = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svcName) return;
    const key = `${slice.metadata?.namespace ?? 'default'}/${svcName}`;
    const e = this.entries.get(key);
    if (e) this.deleteSliceFrom(key, e, slice.metadata?.name ?? '');
  }

  private deleteSliceFrom(key: string, e: Entry, sliceName: string): void {
    if (e.slices.delete(sliceName)) this.rebuild(key, e);
  }

  /** Recomputes an entry's ready endpoints and PTRs after any change to it. */
  private rebuild(key: string, e: Entry): void {
    e.version.bump();
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000));
    const svc = e.svc;
    const ready: Entry['ready'] = [];
    const seen = new Set<string>();
    if (svc?.kind === 'headless') {
      for (const slice of e.slices.values()) {
        for (const ep of slice.endpoints) {
          if (!ep.ready && !svc.publishNotReady) continue;
          for (const address of ep.addresses) {
            const hostname = ep.hostname ?? dashed(address);
            const id = `${hostname}/${address}`;
            if (seen.has(id)) continue;
            seen.add(id);
            ready.push({ hostname, address, ports: slice.ports });
          }
        }
      }
    }
    e.ready = ready;
    const ptrs: Entry['ptrs'] = [];
    if (svc) {
      const base = `${svc.name}.${svc.ns}.svc.${this.zone}`;
      for (const ip of svc.ips) ptrs.push({ address: expandIPv6(ip), target: base });
      for (const r of ready) ptrs.push({ address: expandIPv6(r.address), target: `${r.hostname}.${base}` });
    }
    if (!samePtrs(e.ptrs, ptrs)) {
      for (const p of e.ptrs) {
        const m = this.reverse.get(p.address);
        m?.delete(key);
        if (m?.size === 0) this.reverse.delete(p.address);
      }
      for (const p of ptrs) {
        let m = this.reverse.get(p.address);
        if (!m) this.reverse.set(p.address, (m = new Map<string, string>()));
        m.set(key, p.target);
      }
      e.ptrs = ptrs;
      this.reverseVersion.bump();
    }
    if (!svc && e.slices.size === 0) this.entries.delete(key);
  }

  private soa(): ResourceRecord {
    return {
      name: this.zone,
      ttl: this.o.ttl,
      data: { type: Type.SOA, mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: this.serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: this.o.ttl },
    };
  }

  /** NXDOMAIN for a reverse name no Service or endpoint has. */
  unknownReverse(): Lookup {
    return this.negative(Rcode.NXDOMAIN, [this.reverseVersion]);
  }

  private negative(rcode: number, deps: Version[]): Lookup {
    const answer = answerOf(rcode, true);
    answer.authority.push(this.soa());
    return { answer, deps };
  }

  private positive(records: ResourceRecord[], deps: Version[], additional: ResourceRecord[] = []): Lookup {
    const answer = answerOf(Rcode.NOERROR, true);
    answer.answer = records;
    answer.additional = additional;
    return { answer, deps };
  }

  /** Records of `qtype` for `name`, or NODATA (name exists, no such records). */
  private some(records: ResourceRecord[], deps: Version[], additional: ResourceRecord[] = []): Lookup {
    return records.length ? this.positive(records, deps, additional) : this.negative(Rcode.NOERROR, deps);
  }

  private rr(name: string, data: ResourceRecord['data']): ResourceRecord {
    return { name, ttl: this.o.ttl, data };
  }

  private addressRecords(name: string, addresses: readonly string[], qtype: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const a of addresses) {
      if (isIPv4(a) && (qtype === Type.A || qtype === Type.ANY)) out.push(this.rr(name, { type: Type.A, address: a }));
      if (isIPv6(a) && (qtype === Type.AAAA || qtype === Type.ANY)) out.push(this.rr(name, { type: Type.AAAA, address: a }));
    }
    return out;
  }

  /**
   * Answers `name` (lowered, presentation form with the trailing dot) for `qtype`, for
   * a name in the cluster zone or a reverse zone. Reverse names of unknown addresses give
   * undefined (so the chain can fall through), as do names outside every zone.
   */
  lookup(name: string, qtype: number): Lookup | undefined {
    if (inZone(name, 'in-addr.arpa.')) return this.lookupReverse(name, 'in-addr.arpa', qtype);
    if (inZone(name, 'ip6.arpa.')) return this.lookupReverse(name, 'ip6.arpa', qtype);
    if (!inZone(name, this.zone)) return undefined;
    const labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    const n = labels.length;
    const last = (i: number): string => labels[n - 1 - i] ?? '';
    const existence = [this.existence];

    if (n === 0) {
      if (qtype === Type.SOA || qtype === Type.ANY) return this.positive([this.soa()], existence);
      if (qtype === Type.NS) {
        const nsName = `ns.dns.${this.zone}`;
        return this.positive([this.rr(this.zone, { type: Type.NS, target: nsName })], this.dnsDeps(), this.addressRecords(nsName, this.dnsAddresses(), Type.ANY));
      }
      return this.negative(Rcode.NOERROR, existence);
    }
    if (n === 1 && last(0) === 'dns-version') {
      return this.some(qtype === Type.TXT || qtype === Type.ANY ? [this.rr(name, { type: Type.TXT, texts: [SCHEMA_VERSION] })] : [], existence);
    }
    if (last(0) === 'dns') {
      if (n === 1) return this.negative(Rcode.NOERROR, existence);
      if (n === 2 && last(1) === 'ns') return this.some(this.addressRecords(name, this.dnsAddresses(), qtype), this.dnsDeps());
      return this.negative(Rcode.NXDOMAIN, existence);
    }
    if (last(0) === 'pod') return this.lookupPod(labels, name, qtype);
    if (last(0) !== 'svc') return this.negative(Rcode.NXDOMAIN, existence);
    if (n === 1) return this.negative(Rcode.NOERROR, existence);
    const ns = last(1);
    if (n === 2) return this.negative(this.namespaces.has(ns) ? Rcode.NOERROR : Rcode.NXDOMAIN, existence);
    const e = this.entries.get(`${ns}/${last(2)}`);
    const svc = e?.svc;
    if (!e || !svc) return this.negative(Rcode.NXDOMAIN, existence);
    const deps = [e.version];
    const base = `${svc.name}.${svc.ns}.svc.${this.zone}`;

    if (n === 3) return this.lookupService(e, svc, name, base, qtype);
    if (n === 4) {
      // <hostname>.<service>.<ns>.svc.<zone>: one endpoint of a headless Service.
      if (svc.kind !== 'headless') return this.negative(Rcode.NXDOMAIN, deps);
      const host = last(3);
      const mine = e.ready.filter((r) => r.hostname === host);
      if (!mine.length) return this.negative(Rcode.NXDOMAIN, deps);
      return this.some(this.addressRecords(name, mine.map((r) => r.address), qtype), deps);
    }
    if (n === 5 && last(4).startsWith('_') && last(3).startsWith('_')) {
      // _<port>._<proto>.<service>.<ns>.svc.<zone>
      const port = last(4).slice(1);
      const proto = last(3).slice(1);
      const srv = this.srvRecords(e, svc, base, name, (p) => p.name === port && p.protocol === proto);
      if (!srv.records.length) return this.negative(Rcode.NXDOMAIN, deps);
      return qtype === Type.SRV || qtype === Type.ANY ? this.positive(srv.records, deps, srv.additional) : this.negative(Rcode.NOERROR, deps);
    }
    return this.negative(Rcode.NXDOMAIN, deps);
  }

  private lookupService(e: Entry, svc: Svc, name: string, base: string, qtype: number): Lookup {
    const deps = [e.version];
    if (svc.kind === 'external') {
      if (!svc.externalName) return this.negative(Rcode.NXDOMAIN, deps);
      const cname = this.rr(name, { type: Type.CNAME, target: `${svc.externalName}.` });
      return { ...this.positive([cname], deps), chase: qtype === Type.CNAME ? undefined : `${svc.externalName}.` };
    }
    if (svc.kind === 'headless' && e.ready.length === 0) return this.negative(Rcode.NXDOMAIN, deps);
    if (qtype === Type.SRV) {
      const srv = this.srvRecords(e, svc, base, name, () => true);
      return this.some(srv.records, deps, srv.additional);
    }
    const addresses = svc.kind === 'headless' ? unique(e.ready.map((r) => r.address)) : svc.ips;
    return this.some(this.addressRecords(name, addresses, qtype), deps);
  }

  /** SRV records for the ports `match` picks, with the A/AAAA of each target as additional. */
  private srvRecords(e: Entry, svc: Svc, base: string, owner: string, match: (p: Port) => boolean): { records: ResourceRecord[]; additional: ResourceRecord[] } {
    const records: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    if (svc.kind === 'cluster') {
      const ports = svc.ports.filter(match);
      for (const p of ports) records.push(this.rr(owner, { type: Type.SRV, priority: 0, weight: Math.floor(100 / ports.length), port: p.port, target: base }));
      if (ports.length) additional.push(...this.addressRecords(base, svc.ips, Type.ANY));
      return { records, additional };
    }
    if (svc.kind === 'headless') {
      const hits = e.ready.flatMap((r) => r.ports.filter(match).map((p) => ({ r, p })));
      const targets = new Set<string>();
      for (const { r, p } of hits) {
        const target = `${r.hostname}.${base}`;
        records.push(this.rr(owner, { type: Type.SRV, priority: 0, weight: Math.max(1, Math.floor(100 / hits.length)), port: p.port, target }));
        const id = `${target}/${r.address}`;
        if (!targets.has(id)) {
          targets.add(id);
          additional.push(...this.addressRecords(target, [r.address], Type.ANY));
        }
      }
    }
    return { records, additional };
  }

  private lookupPod(labels: string[], name: string, qtype: number): Lookup {
    const n = labels.length;
    const existence = [this.existence];
    if (this.o.pods === 'disabled') return this.negative(Rcode.NXDOMAIN, existence);
    if (n <= 2) return this.negative(Rcode.NOERROR, existence);
    if (n !== 3) return this.negative(Rcode.NXDOMAIN, existence);
    const label = labels[0]!;
    const v4 = label.replace(/-/g, '.');
    const v6 = label.replace(/-/g, ':');
    const address = isIPv4(v4) ? v4 : isIPv6(v6) ? v6 : undefined;
    if (!address) return this.negative(Rcode.NXDOMAIN, existence);
    return this.some(this.addressRecords(name, [address], qtype), existence);
  }

  private lookupReverse(name: string, zone: 'in-addr.arpa' | 'ip6.arpa', qtype: number): Lookup | undefined {
    const labels = name.slice(0, -zone.length - 2).split('.');
    const address = addressOfReverse(labels, zone);
    if (!address) return undefined;
    const targets = this.reverse.get(expandIPv6(address));
    if (!targets) return undefined;
    const deps = [this.reverseVersion];
    const records = qtype === Type.PTR || qtype === Type.ANY ? [...new Set(targets.values())].map((t) => this.rr(name, { type: Type.PTR, target: t })) : [];
    return this.some(records, deps);
  }

  private dnsDeps(): Version[] {
    return [this.existence, ...(this.entries.get('kube-system/kube-dns') ? [this.entries.get('kube-system/kube-dns')!.version] : [])];
  }

  private dnsAddresses(): string[] {
    return this.entries.get('kube-system/kube-dns')?.svc?.ips ?? [];
  }

}

export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function samePtrs(a: Entry['ptrs'], b: Entry['ptrs']): boolean {
  return a.length === b.length && a.every((p, i) => p.address === b[i]!.address && p.target === b[i]!.target);
}
