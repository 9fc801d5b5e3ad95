import type { Model, Operation } from './model.js';
import type { DeadEnd } from './search.js';

/** How many of the last linearized operations an explanation lists. */
const PREFIX_TAIL = 20;

/** Where and why a partition is not linearizable, in terms of the original operations. */
export interface IllegalDetail<I, O> {
  /** Index of the partition (in the order the model's `partition` returned them). */
  readonly partition: number;
  /** `model.partitionName` of the partition, or `partition #<index>`. */
  readonly partitionName: string;
  /** Longest prefix found that the model accepts, in linearization order. */
  readonly prefix: readonly Operation<I, O>[];
  /** The operation that could not be placed after any ordering of the pending ones. */
  readonly blocked: Operation<I, O> | null;
  /** Operations called but not yet linearized after `prefix` (candidates tried). */
  readonly pending: readonly Operation<I, O>[];
  /** `model.describeState` (or `hash`) of the state after `prefix`. */
  readonly stateAfterPrefix: string;
}

export function illegalDetail<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  partition: number,
  deadEnd: DeadEnd<S>,
): IllegalDetail<I, O> {
  const pick = (i: number): Operation<I, O>[] => {
    const o = ops[i];
    return o === undefined ? [] : [o];
  };
  return {
    partition,
    partitionName: model.partitionName?.(ops) ?? `partition #${partition}`,
    prefix: deadEnd.prefix.flatMap(pick),
    blocked: pick(deadEnd.blocked)[0] ?? null,
    pending: deadEnd.pending.flatMap(pick),
    stateAfterPrefix: model.describeState?.(deadEnd.state) ?? model.hash(deadEnd.state),
  };
}

/** Multi-line human-readable explanation of an `IllegalDetail`. */
export function formatIllegal<S, I, O>(model: Model<S, I, O>, d: IllegalDetail<I, O>, partitionOps: number): string {
  const line = (o: Operation<I, O>): string => describeOperation(model, o);
  const out: string[] = [];
  out.push(`not linearizable: ${d.partitionName} (${partitionOps} operations)`);
  out.push(`longest linearizable prefix: ${d.prefix.length} of ${partitionOps} operations`);
  const skipped = Math.max(0, d.prefix.length - PREFIX_TAIL);
  if (skipped > 0) out.push(`  ... ${skipped} earlier operations`);
  d.prefix.slice(skipped).forEach((o, i) => out.push(`  ${skipped + i + 1}. ${line(o)}`));
  out.push(`state after prefix: ${d.stateAfterPrefix}`);
  if (d.blocked !== null) out.push(`cannot place: ${line(d.blocked)}`);
  const others = d.pending.filter((o) => o !== d.blocked);
  if (others.length > 0) {
    out.push('concurrent operations tried before it:');
    for (const o of others) out.push(`  - ${line(o)}`);
  }
  return out.join('\n');
}

export function describeOperation<S, I, O>(model: Model<S, I, O>, o: Operation<I, O>): string {
  const what = model.describe?.(o.input, o.output) ?? `${JSON.stringify(o.input)} -> ${JSON.stringify(o.output)}`;
  const ret = o.return === Infinity ? 'unknown' : String(o.return);
  return `client ${o.clientId}: ${what}  [call ${o.call}, return ${ret}]`;
}
