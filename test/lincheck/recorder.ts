import { LincheckInputError } from './errors.js';
import type { Operation } from './model.js';

/** Handle for one in-flight operation of a `HistoryRecorder`. */
export type OperationHandle = number;

/**
 * Records a history while a test drives real clients.
 *
 * Call `invoke` immediately before sending a request and `complete`/`indeterminate`
 * immediately after its response (or failure) is observed. The default clock is a logical
 * counter: within one Node process events are observed one at a time, so the counter is
 * a faithful real-time order and never produces ties. Inject a clock only when recording
 * from several processes (then it must be one shared monotonic clock).
 */
export class HistoryRecorder<I, O> {
  private readonly done: Operation<I, O>[] = [];
  private readonly inFlight = new Map<OperationHandle, { clientId: number; input: I; call: number }>();
  private nextHandle = 0;
  private tick = 0;

  constructor(private readonly clock: () => number = () => ++this.tick) {}

  invoke(clientId: number, input: I): OperationHandle {
    const handle = this.nextHandle++;
    this.inFlight.set(handle, { clientId, input, call: this.clock() });
    return handle;
  }

  /** The operation finished and `output` is what it returned. */
  complete(handle: OperationHandle, output: O): void {
    this.finish(handle, output, this.clock());
  }

  /**
   * The operation's fate is unknown (timeout, connection lost): it may or may not have
   * taken effect, now or later. Recorded with `return: Infinity`.
   */
  indeterminate(handle: OperationHandle, output: O): void {
    this.finish(handle, output, Infinity);
  }

  /** Marks every operation still in flight as indeterminate (e.g. at the end of a test). */
  abandonInFlight(output: O): void {
    for (const handle of [...this.inFlight.keys()]) this.indeterminate(handle, output);
  }

  /** The recorded history. Throws if operations are still in flight. */
  operations(): Operation<I, O>[] {
    if (this.inFlight.size > 0) {
      throw new LincheckInputError(
        `lincheck recorder: ${this.inFlight.size} operations still in flight; complete them or call abandonInFlight`,
      );
    }
    return [...this.done];
  }

  private finish(handle: OperationHandle, output: O, ret: number): void {
    const op = this.inFlight.get(handle);
    if (op === undefined) throw new LincheckInputError(`lincheck recorder: operation ${handle} is not in flight`);
    this.inFlight.delete(handle);
    this.done.push({ clientId: op.clientId, input: op.input, call: op.call, return: ret, output });
  }
}
