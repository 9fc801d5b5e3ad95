import { initialProbeState, recordProbe, type ProbeActionResult, type ProbeKind, type ProbeSettings, type ProbeState } from './probe-state.js';
import { runProbe, type ExecContext, type ProbeRun } from './probe-runner.js';

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  settings: ProbeSettings;
  action: ProbeActionResult;
  exec: ExecContext;
  /** When the container instance started: the initial delay counts from here. */
  startedAt: number;
  /** The result before the first probe, if not the kind's default (an adopted container keeps its readiness). */
  initial?: ProbeState;
  /** Probes run only while this holds (liveness and readiness wait for the startup probe). */
  gate: () => boolean;
  /** After every probe; `changed` when the result the kubelet acts on changed. */
  onResult: (state: ProbeState, changed: boolean, run: ProbeRun) => void;
}

/**
 * Runs one probe of one container instance: first at startedAt + initialDelay, then
 * every period; never two at once. A startup probe stops once it has succeeded.
 */
export class ProbeWorker {
  private state: ProbeState;
  private timer: NodeJS.Timeout | undefined;
  private inflight = false;
  private stopped = false;

  constructor(private readonly o: ProbeWorkerOptions) {
    this.state = o.initial ?? initialProbeState(o.kind);
  }

  get result(): ProbeState['result'] {
    return this.state.result;
  }

  start(): void {
    this.schedule(Math.max(0, this.o.startedAt + this.o.settings.initialDelayMs - Date.now()));
  }

  /** Probes now instead of at the next period, if the initial delay is over. */
  trigger(): void {
    if (this.stopped || this.inflight || Date.now() < this.o.startedAt + this.o.settings.initialDelayMs) return;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.o.kind === 'startup' && this.state.result === 'success') return;
    this.schedule(this.o.settings.periodMs);
    if (this.inflight || !this.o.gate()) return;
    const action = this.o.action;
    const run: Promise<ProbeRun> = action.ok
      ? runProbe(action.action, this.o.settings.timeoutMs, this.o.exec)
      : Promise.resolve({ outcome: 'failure', message: action.message });
    this.inflight = true;
    void run.then((r) => {
      this.inflight = false;
      if (this.stopped) return;
      const step = recordProbe(this.state, r.outcome, this.o.settings, this.o.kind);
      this.state = step.state;
      this.o.onResult(step.state, step.changed, r);
    });
  }
}
