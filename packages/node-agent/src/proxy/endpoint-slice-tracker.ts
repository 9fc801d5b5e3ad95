// Keeps the current EndpointSlices of every Service (by the kubernetes.io/service-name
// label) and records which Services' endpoints changed since the last drain, like
// kube-proxy's EndpointsChangeTracker + EndpointSliceCache.
import type { EndpointSlice } from '@kemu/api';
import { compareStrings, LABEL_SERVICE_NAME } from './service-info.js';

export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

/** One Service whose endpoints changed: its current slices and the earliest trigger time seen. */
export interface EndpointSliceChange {
  slices: EndpointSlice[];
  /** Earliest last-change-trigger-time (ms since epoch) among the pending updates, if any carried one. */
  triggerTime: number | undefined;
}

export interface EndpointSliceTrackerOptions {
  /** Trigger times before this (ms since epoch) are ignored: they predate this proxy. */
  startTime?: number;
}

interface TrackedSlice {
  slice: EndpointSlice;
  /** The slice's forwarding-relevant content (address type, ports, endpoints) as text. */
  content: string;
}

interface Pending {
  /** Slice name -> content as of the last drain; compared to detect changes that undo themselves. */
  previous: Map<string, string>;
  triggerTime: number | undefined;
}

/**
 * Invariant: a Service is pending iff the content of its slices differs from what it
 * was at the last drain(); slices of unsupported address types (only IPv4 is
 * programmed) or without the service-name label are ignored.
 */
export class EndpointSliceTracker {
  private readonly byService = new Map<string, Map<string, TrackedSlice>>();
  private pending = new Map<string, Pending>();
  private readonly startTime: number;

  constructor(opts: EndpointSliceTrackerOptions = {}) {
    this.startTime = opts.startTime ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Records one watch event (add: previous undefined; delete: current undefined).
   * Returns whether any Service has a pending change.
   */
  update(previous: EndpointSlice | undefined, current: EndpointSlice | undefined): boolean {
    const oldService = previous === undefined ? undefined : serviceOfSlice(previous);
    const newService = current === undefined ? undefined : serviceOfSlice(current);
    if (previous !== undefined && oldService !== undefined && oldService !== newService) {
      this.apply(oldService, sliceName(previous), undefined);
    }
    if (current !== undefined && newService !== undefined) {
      this.apply(newService, sliceName(current), current);
    }
    return this.pending.size > 0;
  }

  /** The current slices of a Service (namespace/name), sorted by name. */
  slicesFor(service: string): EndpointSlice[] {
    const slices = this.byService.get(service);
    if (slices === undefined) return [];
    return [...slices.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, t]) => t.slice);
  }

  /** Number of Services with a pending change. */
  get size(): number {
    return this.pending.size;
  }

  /** The pending changes keyed by Service namespace/name; the tracker is empty afterwards. */
  drain(): Map<string, EndpointSliceChange> {
    const out = new Map<string, EndpointSliceChange>();
    for (const [service, p] of this.pending) out.set(service, { slices: this.slicesFor(service), triggerTime: p.triggerTime });
    this.pending = new Map();
    return out;
  }

  private apply(service: string, name: string, slice: EndpointSlice | undefined): void {
    let slices = this.byService.get(service);
    const before = slices?.get(name);
    const content = slice === undefined ? undefined : sliceContent(slice);
    if (before?.content === content) {
      // Same content (for example only the resourceVersion moved): keep the newest object.
      if (slice !== undefined && before !== undefined) before.slice = slice;
      return;
    }
    let p = this.pending.get(service);
    if (p === undefined) {
      p = { previous: contentsOf(slices), triggerTime: undefined };
      this.pending.set(service, p);
    }
    if (slice === undefined || content === undefined) {
      slices?.delete(name);
      if (slices?.size === 0) this.byService.delete(service);
    } else {
      if (slices === undefined) {
        slices = new Map();
        this.byService.set(service, slices);
      }
      slices.set(name, { slice, content });
      // Deletions carry the time of the last update, not of this change: ignored, as kube-proxy does.
      const t = triggerTimeOf(slice);
      if (t !== undefined && t >= this.startTime && (p.triggerTime === undefined || t < p.triggerTime)) p.triggerTime = t;
    }
    if (sameContents(p.previous, this.byService.get(service))) this.pending.delete(service);
  }
}

/** The Service (namespace/name) an IPv4 slice belongs to, or undefined when it is not tracked. */
export function serviceOfSlice(slice: EndpointSlice): string | undefined {
  if (slice.addressType !== 'IPv4') return undefined;
  const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  if (svc === undefined || svc === '') return undefined;
  return `${slice.metadata?.namespace ?? ''}/${svc}`;
}

function sliceName(slice: EndpointSlice): string {
  return slice.metadata?.name ?? '';
}

function sliceContent(slice: EndpointSlice): string {
  return JSON.stringify([slice.addressType ?? '', slice.ports ?? [], slice.endpoints ?? []]);
}

function triggerTimeOf(slice: EndpointSlice): number | undefined {
  const v = slice.metadata?.annotations?.[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function contentsOf(slices: Map<string, TrackedSlice> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, t] of slices ?? []) out.set(name, t.content);
  return out;
}

function sameContents(a: Map<string, string>, b: Map<string, TrackedSlice> | undefined): boolean {
  if (a.size !== (b?.size ?? 0)) return false;
  for (const [name, t] of b ?? []) if (a.get(name) !== t.content) return false;
  return true;
}
