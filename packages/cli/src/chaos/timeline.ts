// The control-plane timeline: what happened when, from every source, in one list.

export const EVENT_SOURCES = ['fault', 'node', 'endpoints', 'pod', 'controller-manager', 'etcd'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const EVENT_KINDS = {
  fault: ['fault', 'heal'],
  node: ['node-not-ready', 'node-ready', 'node-tainted', 'node-untainted', 'node-added', 'node-deleted'],
  endpoints: ['endpoint-added', 'endpoint-ready', 'endpoint-not-ready', 'endpoint-removed'],
  pod: ['pod-created', 'pod-scheduled', 'pod-ready', 'pod-not-ready', 'pod-terminating', 'pod-deleted'],
  'controller-manager': ['cm-leader'],
  etcd: ['etcd-leader', 'etcd-member-down', 'etcd-member-up'],
} as const satisfies Record<EventSource, readonly string[]>;

type KindsOf<S extends EventSource> = (typeof EVENT_KINDS)[S][number];

interface EventOf<S extends EventSource> {
  /** When it was seen (ms since the epoch). */
  at: number;
  source: S;
  kind: KindsOf<S>;
  /** What it is about: a node, an address, a pod, a member, a process. */
  subject: string;
  /** The node involved, when there is one (a pod's or an endpoint's node). */
  node?: string;
  message: string;
}

/** One line of the timeline; kind always belongs to source. */
export type TimelineEvent = { [S in EventSource]: EventOf<S> }[EventSource];
export type EventKind = TimelineEvent['kind'];

/**
 * Merges event lists by time. Ties keep list order, then order within a list, so a fault
 * listed first stays before what it caused in the same millisecond.
 */
export function mergeTimelines(...lists: ReadonlyArray<readonly TimelineEvent[]>): TimelineEvent[] {
  return lists
    .flatMap((l, li) => l.map((e, i) => ({ e, li, i })))
    .sort((a, b) => a.e.at - b.e.at || a.li - b.li || a.i - b.i)
    .map((x) => x.e);
}

/** "+12.345 s", "-3.000 s": a time relative to the fault. */
export function formatRel(ms: number): string {
  const s = (Math.abs(ms) / 1_000).toFixed(3);
  return `${ms < 0 ? '-' : '+'}${s} s`;
}

/** An event whose kind is checked against its source. */
export function timelineEvent<S extends EventSource>(
  source: S,
  kind: KindsOf<S>,
  at: number,
  subject: string,
  message: string,
  node?: string,
): TimelineEvent {
  const e = { at, source, kind, subject, message, ...(node === undefined ? {} : { node }) };
  return e as TimelineEvent;
}
