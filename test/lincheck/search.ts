import { Bitset, type BitsetSnapshot } from './bitset.js';
import { buildEventLists, lift, unlift, type EventEntry } from './event-list.js';
import type { Model, Operation } from './model.js';

/**
 * Deepest dead end the search reached in a non-linearizable partition: `prefix` (operation
 * indices in linearization order) is consistent with the model and leaves it in `state`,
 * but operation `blocked` must take effect before its return and no order of the pending
 * operations made room for it.
 */
export interface DeadEnd<S> {
  readonly prefix: readonly number[];
  readonly state: S;
  readonly blocked: number;
  /** Operations called before `blocked` returned but not in `prefix` (the candidates tried). */
  readonly pending: readonly number[];
}

export type SearchResult<S> =
  | { readonly kind: 'ok'; readonly order: readonly number[] }
  | { readonly kind: 'illegal'; readonly deadEnd: DeadEnd<S> }
  | { readonly kind: 'timeout' };

/** How often (in search steps) the out-of-budget callback is consulted. */
const BUDGET_CHECK_INTERVAL = 1024;

/** Which list the cursor walks: unknown-return calls first, then known-return calls. */
type Phase = 'known' | 'open';

interface Frame<S> {
  readonly call: EventEntry;
  /** Model state before `call`'s operation was applied. */
  readonly before: S;
  /** Cursor phase and first pending return when `call` was chosen, to resume after undo. */
  readonly phase: Phase;
  readonly stop: EventEntry;
  readonly config: CachedConfig<S>;
  /** The operation was read-only: if it fails here, the configuration before it fails too. */
  readonly commit: boolean;
}

/**
 * Wing & Gong's search with Lowe's just-in-time linearization and memoization.
 *
 * From a configuration (operations linearized so far + model state) the candidates are the
 * pending calls that precede the first pending return event `stop`: first those with an
 * unknown return (by call time), then those with a known return (by call time). Trying the
 * unknown ones first finds witnesses fast when such writes did happen and are observed
 * later. Linearizing a candidate (model step succeeds, configuration not excluded by the
 * cache) lifts its events and moves to the new configuration; running out of candidates
 * backtracks, because `stop`'s operation had to be linearized by then. Success is when
 * every known-return operation is linearized; unknown-return ones left over never happened.
 *
 * Invariant: every candidate the cursor has passed in the current configuration either
 * failed the model step or led to a configuration that failed or that the cache excludes.
 * Memoization (Lowe): a configuration's outcome depends only on the linearized set and the
 * state, so an equal configuration is never explored twice. Extension for unknown-return
 * operations: configuration A dominates B when they agree on known-return operations and
 * state and A used a subset of B's unknown-return operations (A can do anything B can, as
 * those never need linearizing); B is also pruned when a dominating A already failed.
 *
 * Pure: time is consulted only through `outOfBudget`.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  outOfBudget: () => boolean,
): SearchResult<S> {
  // Number operations by call time so that linearized sets are "a prefix plus a few"
  // (compact cache snapshots); `original` maps back for the caller.
  const original = history.map((_, i) => i).sort((a, b) => callOf(history, a) - callOf(history, b) || a - b);
  const ops = original.map((i) => history[i]).filter((o) => o !== undefined);
  const back = (i: number): number => original[i] ?? -1;
  const { main, open, mustLinearize } = buildEventLists(ops);
  const known = new Bitset(ops.length);
  const unknown = new Bitset(ops.length);
  const cache = new ConfigCache(model);
  const stack: Frame<S>[] = [];
  let state = model.init();
  let remaining = mustLinearize;
  if (remaining === 0) return { kind: 'ok', order: [] };
  // Cursor over the current configuration's candidates; `stop` is its first pending return.
  let stop = firstReturn(main);
  let phase: Phase = 'open';
  let entry = open.next;
  let deadEnd: DeadEnd<S> | null = null;
  let steps = 0;
  // Set when the current configuration is known to fail without scanning its candidates.
  let doomed = false;

  while (remaining > 0) {
    if (++steps % BUDGET_CHECK_INTERVAL === 0 && outOfBudget()) return { kind: 'timeout' };

    let candidate: EventEntry | null = null;
    if (doomed) {
      doomed = false;
    } else if (phase === 'open') {
      if (entry !== null && entry.time <= stop.time) {
        candidate = entry;
      } else {
        phase = 'known';
        entry = main.next;
        continue;
      }
    } else if (entry !== null && entry.kind === 'call') {
      candidate = entry;
    } else if (deadEnd === null || stack.length > deadEnd.prefix.length) {
      // No candidate left: `stop`'s operation cannot be placed from this configuration.
      deadEnd = {
        prefix: stack.map((f) => back(f.call.op)),
        state,
        blocked: back(stop.op),
        pending: pendingBefore(main, open, stop).map(back),
      };
    }

    if (candidate !== null) {
      const op = ops[candidate.op];
      if (op === undefined) throw new Error(`lincheck: event for unknown operation ${candidate.op}`);
      const r = model.step(state, op.input, op.output);
      if (r.ok) {
        // A read-only operation the model accepts now can be moved to now in any
        // linearization (it changes no state and every pending operation may follow it),
        // so this configuration succeeds iff the one after it does: commit to it.
        const commit = model.readOnly?.(op.input, op.output) ?? false;
        const set = candidate.ret !== null ? known : unknown;
        set.add(candidate.op);
        const config = cache.enter(known, unknown, r.next);
        if (config !== null) {
          stack.push({ call: candidate, before: state, phase, stop, config, commit });
          state = r.next;
          if (candidate.ret !== null) remaining--;
          lift(candidate);
          if (remaining === 0) break;
          stop = firstReturn(main);
          phase = 'open';
          entry = open.next;
          continue;
        }
        set.remove(candidate.op);
        if (commit) {
          doomed = true;
          continue;
        }
      }
      entry = candidate.next;
      continue;
    }

    const frame = stack.pop();
    if (frame === undefined) {
      return { kind: 'illegal', deadEnd: deadEnd ?? { prefix: [], state, blocked: -1, pending: [] } };
    }
    frame.config.explored = true;
    state = frame.before;
    (frame.call.ret !== null ? known : unknown).remove(frame.call.op);
    unlift(frame.call);
    if (frame.call.ret !== null) remaining++;
    entry = frame.call.next;
    phase = frame.phase;
    stop = frame.stop;
    doomed = frame.commit;
  }
  return { kind: 'ok', order: stack.map((f) => back(f.call.op)) };
}

function callOf<I, O>(history: readonly Operation<I, O>[], i: number): number {
  return history[i]?.call ?? 0;
}

/** First return event of the main list. Only called while some known-return op is pending. */
function firstReturn(main: EventEntry): EventEntry {
  let e = main.next;
  while (e !== null && e.kind === 'call') e = e.next;
  if (e === null) throw new Error('lincheck: no pending return although operations remain');
  return e;
}

function pendingBefore(main: EventEntry, open: EventEntry, stop: EventEntry): number[] {
  const out: number[] = [];
  for (let e = main.next; e !== null && e !== stop; e = e.next) out.push(e.op);
  for (let e = open.next; e !== null && e.time <= stop.time; e = e.next) out.push(e.op);
  return out;
}

interface CachedConfig<S> {
  readonly known: BitsetSnapshot;
  /** null when no unknown-return operation is linearized. */
  readonly unknown: BitsetSnapshot | null;
  readonly stateHash: string;
  readonly state: S;
  /** Set once the search has backtracked out of this configuration (it failed). */
  explored: boolean;
}

/** Configurations entered so far, bucketed by the known-return set's hash. */
class ConfigCache<S, I, O> {
  private readonly buckets = new Map<number, CachedConfig<S>[]>();

  constructor(private readonly model: Model<S, I, O>) {}

  /**
   * Records and returns the configuration, or returns null when it need not be explored:
   * an equal one was entered before, or a dominating one (same known set and state, a
   * subset of the unknown-return operations) was fully explored.
   *
   * Only explored dominators prune: one still in progress is an ancestor on the search
   * path, and pruning against it could discard the only route to its own success.
   */
  enter(known: Bitset, unknown: Bitset, state: S): CachedConfig<S> | null {
    const stateHash = this.model.hash(state);
    let bucket = this.buckets.get(known.hash);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(known.hash, bucket);
    }
    for (const c of bucket) {
      if (c.stateHash !== stateHash || !c.known.equals(known)) continue;
      const subset = c.unknown === null || c.unknown.isSubsetOf(unknown);
      if (!subset || !this.model.equal(c.state, state)) continue;
      const same = c.unknown === null ? unknown.isEmpty : c.unknown.equals(unknown);
      if (c.explored || same) return null;
    }
    const config: CachedConfig<S> = {
      known: known.snapshot(),
      unknown: unknown.isEmpty ? null : unknown.snapshot(),
      stateHash,
      state,
      explored: false,
    };
    bucket.push(config);
    return config;
  }
}
