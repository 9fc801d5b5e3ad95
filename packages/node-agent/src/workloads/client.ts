import { Agent, request, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ClientStats, type RequestOutcome, type Totals } from './client-stats.js';
import { Pacer } from './pacer.js';
import type { WorkloadBase } from './workload.js';

export interface ClientOptions extends WorkloadBase {
  /** http:// URL to GET. */
  url: URL;
  /** Requests started per second. */
  rate: number;
  /** Whole-request deadline (connect to last body byte); a miss is a `timeout` failure. */
  timeoutMs: number;
  /** Reuse connections; off by default so every request is a new connection. */
  keepAlive: boolean;
  /** Stop starting requests after this many seconds. */
  durationS: number;
  /** Stop after starting this many requests. */
  maxRequests: number;
}

export interface ClientRun {
  /** Resolves after the final `{"done":true,...}` line, when a bound is reached or `close` is called. */
  readonly done: Promise<Totals>;
  /** Stops early: abandons requests in flight (uncounted), prints the final lines, resolves `done`. */
  close(): Promise<void>;
}

/**
 * A deadline timer firing this late (or a quarter of the timeout, if more) means the client
 * process itself did not run: the request is `stalled`, not a failure of the Service.
 */
const STALL_MS = 250;

/** Bodies beyond this are not kept (only the echo JSON's `pod` is read). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `kemu/client`: paced GETs against one URL, reporting once per wall-clock second a JSON
 * line with successes, failures by cause, latency percentiles and which backend pods
 * answered. Every request ends within `timeoutMs`; at most 2 x rate are in flight.
 * Each line (the start line too) is one JSON object written through `log`.
 */
export async function startClient(opts: ClientOptions): Promise<ClientRun> {
  if (opts.url.protocol !== 'http:') throw new Error(`client: url: only http:// is supported, got ${opts.url.href}`);
  const maxInFlight = Math.max(1, Math.ceil(2 * opts.rate));
  const agent = new Agent({ keepAlive: opts.keepAlive, maxSockets: maxInFlight });
  const stats = new ClientStats();
  const startMs = performance.now();
  const pacer = new Pacer(opts.rate, maxInFlight, opts.maxRequests, startMs);
  /** Abort functions of the requests in flight. */
  const inFlight = new Set<() => void>();
  let sending = true;
  let finished = false;
  let paceTimer: NodeJS.Timeout | undefined;
  let reportTimer: NodeJS.Timeout | undefined;
  let resolveDone!: (t: Totals) => void;
  const done = new Promise<Totals>((resolve) => (resolveDone = resolve));

  const emit = (obj: object): void => opts.log(JSON.stringify(obj));

  const finish = (): void => {
    if (finished) return;
    finished = true;
    sending = false;
    clearTimeout(paceTimer);
    clearTimeout(reportTimer);
    clearTimeout(deadline);
    for (const abort of inFlight) abort();
    inFlight.clear();
    agent.destroy();
    if (stats.windowHasData) emit(stats.flush(new Date(Math.floor(Date.now() / 1000) * 1000)));
    const totals = stats.totals;
    emit({ done: true, ok: totals.ok, failed: totals.failed, stalled: totals.stalled });
    resolveDone(totals);
  };

  const stopSending = (): void => {
    sending = false;
    clearTimeout(paceTimer);
    if (inFlight.size === 0) finish();
  };

  const onRequestEnd = (): void => {
    if (!sending) {
      if (inFlight.size === 0) finish();
      return;
    }
    // A start held back by the in-flight cap may go now.
    if (paceTimer === undefined) pace();
  };

  const pace = (): void => {
    paceTimer = undefined;
    if (!sending) return;
    const now = performance.now();
    for (let n = pacer.take(now, inFlight.size); n > 0; n--) send();
    if (pacer.exhausted) return stopSending();
    const wake = pacer.wakeAt(now);
    if (wake !== undefined) paceTimer = setTimeout(pace, wake - now);
  };

  const send = (): void => {
    const t0 = performance.now();
    let settled = false;
    const settle = (outcome: RequestOutcome | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(abort);
      if (outcome !== undefined && !finished) stats.record(outcome);
      // A finished answer leaves its connection to the agent (kept alive or closed);
      // anything else tears it down. Invariant: settle runs only after `req` is assigned
      // (it is called from req's events, the timer, or an abort during finish).
      if (outcome?.kind !== 'ok') req.destroy();
      if (!finished) onRequestEnd();
    };
    const abort = (): void => settle(undefined);
    const timer = setTimeout(() => {
      const late = performance.now() - t0 - opts.timeoutMs;
      settle(late > Math.max(STALL_MS, opts.timeoutMs / 4) ? { kind: 'stalled' } : { kind: 'failed', error: 'timeout' });
    }, opts.timeoutMs);
    inFlight.add(abort);
    const fail = (err: Error): void => settle({ kind: 'failed', error: errorKey(err) });
    const req: ClientRequest = request(opts.url, { agent, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return settle({ kind: 'failed', error: `status ${res.statusCode}` });
        settle({ kind: 'ok', latencyMs: performance.now() - t0, backend: backendOf(Buffer.concat(chunks)) });
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) settle({ kind: 'failed', error: 'ECONNRESET' });
      });
    });
    req.on('error', fail);
    req.end();
  };

  // Report lines are labelled with the wall-clock second they cover; the first one is
  // partial, and a timer that fires late folds the missed seconds into one line.
  const scheduleReport = (boundaryMs: number): void => {
    reportTimer = setTimeout(() => {
      const reached = Math.floor((Date.now() + 50) / 1000) * 1000;
      emit(stats.flush(new Date(reached - 1000)));
      scheduleReport(reached + 1000);
    }, Math.max(0, boundaryMs - Date.now()));
  };

  emit({
    start: 'client',
    url: opts.url.href,
    rate: opts.rate,
    timeoutMs: opts.timeoutMs,
    keepalive: opts.keepAlive,
    durationS: opts.durationS,
    maxRequests: opts.maxRequests,
    pod: `${opts.identity.namespace}/${opts.identity.pod}`,
    node: opts.identity.node,
  });
  const deadline = setTimeout(stopSending, opts.durationS * 1000);
  scheduleReport(Math.floor(Date.now() / 1000) * 1000 + 1000);
  pace();

  return {
    done,
    close: async () => {
      finish();
      await done;
    },
  };
}

/** The failure key of a request error: `timeout` is ours; others by errno code. */
function errorKey(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : err.name;
}

/** `pod` from an echo JSON body, if it is one. */
function backendOf(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'pod' in parsed && typeof parsed.pod === 'string') return parsed.pod;
  } catch {
    // Not JSON: an ok answer from something other than kemu/echo.
  }
  return undefined;
}
