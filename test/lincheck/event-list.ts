import type { Operation } from './model.js';

/**
 * The history as two doubly linked lists in time order, with Knuth's "dancing links"
 * removal so that linearizing an operation (lifting its events out) and undoing it on
 * backtrack are both O(1):
 * - `main`: call and return events of the operations with a known return;
 * - `open`: call events of the operations whose return is unknown (`Infinity`). They never
 *   block the search, and whatever is left of them when every operation of `main` is
 *   linearized simply never took effect.
 */
export interface EventEntry {
  /** Index of the operation in the partition. -1 for a list's head sentinel. */
  readonly op: number;
  readonly kind: 'call' | 'return';
  readonly time: number;
  /** For a call event: its return event, or null when the operation's return is unknown. */
  readonly ret: EventEntry | null;
  prev: EventEntry | null;
  next: EventEntry | null;
}

export interface EventLists {
  /** Sentinel of the known-return list; `main.next` is the earliest event not yet lifted. */
  readonly main: EventEntry;
  /** Sentinel of the unknown-return list (call events only, by call time). */
  readonly open: EventEntry;
  /** How many operations have a finite return (and so must be linearized). */
  readonly mustLinearize: number;
}

/**
 * Builds both lists. At equal timestamps calls come before returns, so operations that
 * touch at one instant count as concurrent (the conservative reading of a coarse clock).
 */
export function buildEventLists<I, O>(ops: readonly Operation<I, O>[]): EventLists {
  const main: EventEntry[] = [];
  const open: EventEntry[] = [];
  ops.forEach((o, i) => {
    if (o.return === Infinity) {
      open.push(entry(i, 'call', o.call, null));
      return;
    }
    const ret = entry(i, 'return', o.return, null);
    main.push(entry(i, 'call', o.call, ret), ret);
  });
  const order = (a: EventEntry, b: EventEntry): number =>
    a.time - b.time || (a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1) || a.op - b.op;
  return { main: chain(main.sort(order)), open: chain(open.sort(order)), mustLinearize: main.length / 2 };
}

function entry(op: number, kind: 'call' | 'return', time: number, ret: EventEntry | null): EventEntry {
  return { op, kind, time, ret, prev: null, next: null };
}

function chain(entries: readonly EventEntry[]): EventEntry {
  const head = entry(-1, 'call', -Infinity, null);
  let tail = head;
  for (const e of entries) {
    e.prev = tail;
    tail.next = e;
    tail = e;
  }
  return head;
}

/** Removes a call event and its return event (if any) from their list. */
export function lift(call: EventEntry): void {
  unlink(call);
  if (call.ret !== null) unlink(call.ret);
}

/**
 * Undoes `lift(call)`. Lifts must be undone in reverse order (LIFO), which the search's
 * stack guarantees; the removed entries still hold their old neighbours.
 */
export function unlift(call: EventEntry): void {
  if (call.ret !== null) relink(call.ret);
  relink(call);
}

function unlink(e: EventEntry): void {
  if (e.prev !== null) e.prev.next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

function relink(e: EventEntry): void {
  if (e.prev !== null) e.prev.next = e;
  if (e.next !== null) e.next.prev = e;
}
