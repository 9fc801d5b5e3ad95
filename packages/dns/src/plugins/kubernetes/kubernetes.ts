import { Informer, type EndpointSlice, type KubeClient, type Service } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { Next, Plugin, Request, Result } from '../../plugin.js';
import { Class, Rcode } from '../../wire/constants.js';
import { ClusterRecords, inZone, type RecordsOptions } from './records.js';

export interface KubernetesOptions extends RecordsOptions {
  /** Zones answered: the cluster domain and, usually, in-addr.arpa. and ip6.arpa. */
  zones: string[];
  /** Zones whose NXDOMAIN (and unknown reverse names) go to the next plugin instead. */
  fallthrough: string[];
}

/** How many CNAMEs an ExternalName answer follows inside the cluster zone. */
const MAX_CHASE = 8;

/** Keeps only what DNS reads of a Service. */
function slimService(s: Service): Service {
  const m = s.metadata ?? {};
  const p = s.spec ?? {};
  return {
    metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion },
    spec: { type: p.type, clusterIP: p.clusterIP, clusterIPs: p.clusterIPs, externalName: p.externalName, publishNotReadyAddresses: p.publishNotReadyAddresses, ports: p.ports },
  };
}

function slimSlice(s: EndpointSlice): EndpointSlice {
  const m = s.metadata ?? {};
  const svc = m.labels?.['kubernetes.io/service-name'];
  return {
    metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion, labels: svc ? { 'kubernetes.io/service-name': svc } : {} },
    addressType: s.addressType,
    endpoints: (s.endpoints ?? []).map((e) => ({ addresses: e.addresses, hostname: e.hostname, conditions: { ready: e.conditions?.ready } })),
    ports: s.ports,
  };
}

/**
 * The `kubernetes` plugin: answers the cluster zone and the reverse zones from Services
 * and EndpointSlices it watches through the apiserver, following the Kubernetes DNS
 * specification (records.ts). Ready once both informers have listed.
 */
export class KubernetesPlugin implements Plugin {
  readonly name = 'kubernetes';
  readonly records: ClusterRecords;
  private readonly zones: string[];
  private readonly fallthrough: string[];
  private services: Informer<'services'> | undefined;
  private slices: Informer<'endpointslices'> | undefined;

  constructor(
    private readonly o: KubernetesOptions,
    private readonly client: KubeClient | undefined,
    private readonly log: Logger | undefined,
  ) {
    this.records = new ClusterRecords(o);
    const fqdn = (z: string): string => (z.endsWith('.') ? z.toLowerCase() : `${z.toLowerCase()}.`);
    this.zones = o.zones.map(fqdn);
    this.fallthrough = o.fallthrough.map(fqdn);
  }

  async start(): Promise<void> {
    if (!this.client) return;
    const onError = (what: string) => (err: unknown) => this.log?.warn({ err: (err as Error).message }, `${what} watch failed; retrying`);
    this.services = new Informer(this.client, 'services', { onError: onError('services'), transform: slimService }).on({
      add: (s) => this.apply(() => this.records.setService(s)),
      update: (_o, s) => this.apply(() => this.records.setService(s)),
      delete: (s) => this.apply(() => this.records.deleteService(s.metadata?.namespace ?? '', s.metadata?.name ?? '')),
    });
    this.slices = new Informer(this.client, 'endpointslices', { onError: onError('endpointslices'), transform: slimSlice }).on({
      add: (s) => this.apply(() => this.records.setSlice(s)),
      update: (_o, s) => this.apply(() => this.records.setSlice(s)),
      delete: (s) => this.apply(() => this.records.deleteSlice(s)),
    });
    this.services.start();
    this.slices.start();
    await Promise.resolve();
  }

  private readonly listeners: Array<() => void> = [];

  /** Calls `fn` after every applied change (synchronously, before the next query). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private apply(change: () => void): void {
    change();
    for (const l of this.listeners) l();
  }

  async stop(): Promise<void> {
    this.services?.stop();
    this.slices?.stop();
    await Promise.resolve();
  }

  ready(): string | undefined {
    if (!this.client) return undefined;
    if (!this.services?.hasSynced()) return 'services not listed yet';
    if (!this.slices?.hasSynced()) return 'endpointslices not listed yet';
    return undefined;
  }

  private owns(name: string): boolean {
    return this.zones.some((z) => inZone(name, z));
  }

  serve(req: Request, next: Next): Result | Promise<Result> {
    const q = req.query;
    const name = q.name;
    if (!this.owns(name) || (q.qclass !== Class.IN && q.qclass !== Class.ANY)) return next(req);
    const found = this.records.lookup(name, q.qtype);
    const falls = this.fallthrough.some((z) => inZone(name, z));
    if (!found) {
      if (falls) return next(req);
      const nx = this.records.unknownReverse();
      return { kind: 'answer', answer: nx.answer, deps: nx.deps };
    }
    if (found.answer.rcode === Rcode.NXDOMAIN && falls) return next(req);
    if (found.chase) return this.chase(found, q.qtype);
    return { kind: 'answer', answer: found.answer, deps: found.deps };
  }

  /** Appends the records of an ExternalName's target when it is in the cluster zone. */
  private chase(first: NonNullable<ReturnType<ClusterRecords['lookup']>>, qtype: number): Result {
    const answer = { ...first.answer, answer: [...first.answer.answer] };
    const deps = [...first.deps];
    let target = first.chase;
    for (let i = 0; target && i < MAX_CHASE && this.owns(target); i++) {
      const more = this.records.lookup(target, qtype);
      if (!more) break;
      deps.push(...more.deps);
      if (more.answer.rcode !== Rcode.NOERROR) {
        answer.rcode = more.answer.rcode;
        answer.authority = more.answer.authority;
        break;
      }
      answer.answer.push(...more.answer.answer);
      answer.additional = [...answer.additional, ...more.answer.additional];
      target = more.chase;
    }
    return { kind: 'answer', answer, deps };
  }
}
