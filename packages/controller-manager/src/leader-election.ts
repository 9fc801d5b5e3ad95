import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isApiError, Reason, type KubeClient, type Lease } from '@kemu/api';
import { parseTime, type Logger } from '@kemu/common';
import { systemClock, type Clock } from './controller.js';

/**
 * Leader election over a coordination.k8s.io/v1 Lease, after client-go's leaderelection
 * package: a pure decision (what to write, given the Lease as read and the time) and a
 * pure leadership state machine, driven by LeaderElector, which owns the timers and the
 * apiserver calls. Writes carry the resourceVersion read, so of two candidates racing
 * for a free Lease exactly one wins; the other gets Conflict.
 */

export const LEADER_ELECTION_DEFAULTS = {
  namespace: 'kube-system',
  name: 'kube-controller-manager',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** client-go's JitterFactor: a candidate waits retryPeriod * (1 + random * 1.2) between tries. */
export const JITTER_FACTOR = 1.2;

/** `<hostname>_<uuid>`, as kube-controller-manager names itself in the Lease. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export class LeaderElectionConfigError extends Error {
  override readonly name = 'LeaderElectionConfigError';
}

/** client-go's checks: leaseDuration > renewDeadline > retryPeriod * JitterFactor > 0. */
export function validateTimings(t: LeaderElectionTimings): void {
  if (!(t.retryPeriodMs > 0)) throw new LeaderElectionConfigError('leader election: retry period must be greater than zero');
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) {
    throw new LeaderElectionConfigError(
      `leader election: lease duration (${t.leaseDurationMs} ms) must be greater than renew deadline (${t.renewDeadlineMs} ms)`,
    );
  }
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) {
    throw new LeaderElectionConfigError(
      `leader election: renew deadline (${t.renewDeadlineMs} ms) must be greater than retry period (${t.retryPeriodMs} ms) * ${JITTER_FACTOR}`,
    );
  }
}

// ---- the decision ----

export interface LeaseRequest {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  now: number;
}

export type LeaseDecision =
  /** No Lease yet: create one holding it. */
  | { kind: 'create'; lease: Lease }
  /** This candidate holds the Lease: move renewTime on. */
  | { kind: 'renew'; lease: Lease }
  /** The Lease is free (released or expired): take it over. */
  | { kind: 'acquire'; lease: Lease; previousHolder: string }
  /** Someone else holds a live Lease. */
  | { kind: 'wait'; holder: string; expiresAt: number };

const iso = (ms: number): string => new Date(ms).toISOString();

export const leaseHolder = (lease: Lease): string => lease.spec?.holderIdentity ?? '';

/** When the holder's claim ends: renewTime + leaseDurationSeconds (a Lease never renewed has ended). */
export function leaseExpiresAt(lease: Lease): number {
  const spec = lease.spec ?? {};
  const renewed = parseTime(spec.renewTime) ?? parseTime(spec.acquireTime);
  if (renewed === undefined) return Number.NEGATIVE_INFINITY;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
}

/**
 * What to write to hold the Lease, or why not to. A Lease is free when it has no holder
 * or its holder's claim has ended (expiresAt < now); taking it over sets acquireTime and
 * counts a transition. The returned Lease keeps the resourceVersion that was read.
 */
export function decideLease(current: Lease | undefined, r: LeaseRequest): LeaseDecision {
  const at = iso(r.now);
  const leaseDurationSeconds = Math.max(1, Math.ceil(r.leaseDurationMs / 1000));
  if (!current) {
    return {
      kind: 'create',
      lease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { namespace: r.namespace, name: r.name },
        spec: { holderIdentity: r.identity, leaseDurationSeconds, acquireTime: at, renewTime: at, leaseTransitions: 0 },
      },
    };
  }
  const spec = current.spec ?? {};
  const holder = leaseHolder(current);
  if (holder === r.identity) {
    return {
      kind: 'renew',
      lease: { ...current, spec: { ...spec, leaseDurationSeconds, acquireTime: spec.acquireTime ?? at, renewTime: at } },
    };
  }
  const expiresAt = leaseExpiresAt(current);
  if (holder !== '' && !(expiresAt < r.now)) return { kind: 'wait', holder, expiresAt };
  return {
    kind: 'acquire',
    previousHolder: holder,
    lease: {
      ...current,
      spec: {
        holderIdentity: r.identity,
        leaseDurationSeconds,
        acquireTime: at,
        renewTime: at,
        leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
      },
    },
  };
}

/**
 * The Lease as a leader leaves it on a graceful stop: no holder, a one-second duration,
 * so a standby takes over at its next try instead of waiting out the lease. Undefined if
 * `identity` does not hold it.
 */
export function releaseLease(current: Lease, identity: string, now: number): Lease | undefined {
  if (leaseHolder(current) !== identity) return undefined;
  const at = iso(now);
  return { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: at, renewTime: at } };
}

// ---- the leadership state machine ----

export type Leadership =
  | { role: 'candidate' }
  /** lastRenewAt: when the last successful write was sent (its renewTime). */
  | { role: 'leader'; lastRenewAt: number }
  /** Lost or given up; terminal (the process restarts to campaign again). */
  | { role: 'stopped' };

export type AttemptOutcome = 'acquired' | 'renewed' | 'held-by-other' | 'failed';
export type LeadershipEvent = 'started-leading' | 'stopped-leading';

/**
 * Leadership after one attempt that started at `startedAt` and ended at `now`.
 * Invariant: a leader stops leading no later than lastRenewAt + renewDeadline, which is
 * before its Lease (renewTime + leaseDuration) can be taken over by anyone else.
 */
export function nextLeadership(
  state: Leadership,
  outcome: AttemptOutcome,
  startedAt: number,
  now: number,
  renewDeadlineMs: number,
): { state: Leadership; event?: LeadershipEvent } {
  switch (state.role) {
    case 'stopped':
      return { state };
    case 'candidate':
      // 'renewed' as a candidate: an earlier write won but its answer was lost.
      if (outcome === 'acquired' || outcome === 'renewed') return { state: { role: 'leader', lastRenewAt: startedAt }, event: 'started-leading' };
      return { state };
    case 'leader':
      switch (outcome) {
        case 'acquired':
        case 'renewed':
          return { state: { role: 'leader', lastRenewAt: Math.max(state.lastRenewAt, startedAt) } };
        case 'held-by-other':
          return { state: { role: 'stopped' }, event: 'stopped-leading' };
        case 'failed':
          return expireLeadership(state, now, renewDeadlineMs);
      }
  }
}

/** Leadership at `now` if no renewal has succeeded since lastRenewAt. */
export function expireLeadership(state: Leadership, now: number, renewDeadlineMs: number): { state: Leadership; event?: LeadershipEvent } {
  if (state.role === 'leader' && now - state.lastRenewAt >= renewDeadlineMs) return { state: { role: 'stopped' }, event: 'stopped-leading' };
  return { state };
}

// ---- the driver ----

export interface LeaderElectorOptions extends Partial<LeaderElectionTimings> {
  client: Pick<KubeClient, 'get' | 'create' | 'update'>;
  log: Logger;
  identity: string;
  namespace?: string;
  name?: string;
  clock?: Clock;
  random?: () => number;
  /** Called once, when this candidate first holds the Lease. */
  onStartedLeading(): void;
  /** Called once, when a leader could not renew in time or found another holder. */
  onStoppedLeading(): void;
  /** Called when the holder seen in the Lease changes. */
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly timings: LeaderElectionTimings;
  private state: Leadership = { role: 'candidate' };
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private holder = '';
  private observedAt: number | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.identity = opts.identity;
    this.namespace = opts.namespace ?? LEADER_ELECTION_DEFAULTS.namespace;
    this.name = opts.name ?? LEADER_ELECTION_DEFAULTS.name;
    this.timings = {
      leaseDurationMs: opts.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs,
    };
    validateTimings(this.timings);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  /** Starts campaigning: tries at once, then every retry period. */
  run(): void {
    if (this.running || this.state.role === 'stopped') return;
    this.running = true;
    this.schedule(0);
  }

  isLeader(): boolean {
    return this.state.role === 'leader';
  }

  /** The holder last seen in the Lease ('' if none yet). */
  leader(): string {
    return this.holder;
  }

  /** When the apiserver last answered a read of the Lease (undefined: never). */
  lastObservedAt(): number | undefined {
    return this.observedAt;
  }

  /**
   * Stops campaigning or leading without calling onStoppedLeading. With `release`, a
   * leader hands the Lease back (no holder, one-second duration) so a standby takes
   * over at once.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.deadlineTimer);
    // A try still in flight is given one retry period; its answer is ignored either way.
    if (this.inFlight) await Promise.race([this.inFlight, new Promise((r) => setTimeout(r, this.timings.retryPeriodMs))]);
    const wasLeader = this.state.role === 'leader';
    this.state = { role: 'stopped' };
    if (!opts.release || !wasLeader) return;
    try {
      const current = await this.opts.client.get('leases', this.namespace, this.name);
      const released = releaseLease(current, this.identity, this.clock.now());
      if (released) {
        await this.opts.client.update('leases', released);
        this.opts.log.info({ lease: `${this.namespace}/${this.name}` }, 'leader election: released the lease');
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'leader election: could not release the lease; the standby waits for it to expire');
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.inFlight = this.attempt().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    if (!this.running) return;
    const startedAt = this.clock.now();
    let outcome: AttemptOutcome;
    try {
      outcome = await this.tryAcquireOrRenew(startedAt);
    } catch (err) {
      outcome = 'failed';
      const lostRace = isApiError(err, Reason.Conflict) || isApiError(err, Reason.AlreadyExists);
      if (!lostRace || this.state.role === 'leader') this.opts.log.warn({ err }, 'leader election: could not acquire or renew the lease');
    }
    if (!this.running) return;
    this.transition(nextLeadership(this.state, outcome, startedAt, this.clock.now(), this.timings.renewDeadlineMs));
    if (!this.running) return;
    const period = this.timings.retryPeriodMs;
    this.schedule(this.state.role === 'leader' ? period : period * (1 + this.random() * JITTER_FACTOR));
  }

  private async tryAcquireOrRenew(now: number): Promise<AttemptOutcome> {
    const { client } = this.opts;
    let current: Lease | undefined;
    try {
      current = await client.get('leases', this.namespace, this.name);
    } catch (err) {
      if (!isApiError(err, Reason.NotFound)) throw err;
    }
    this.observedAt = this.clock.now();
    const d = decideLease(current, {
      namespace: this.namespace,
      name: this.name,
      identity: this.identity,
      leaseDurationMs: this.timings.leaseDurationMs,
      now,
    });
    switch (d.kind) {
      case 'wait':
        this.observeHolder(d.holder);
        return 'held-by-other';
      case 'create':
        await client.create('leases', d.lease);
        this.observeHolder(this.identity);
        return 'acquired';
      case 'renew':
        await client.update('leases', d.lease);
        this.observeHolder(this.identity);
        return 'renewed';
      case 'acquire':
        await client.update('leases', d.lease);
        if (d.previousHolder) this.opts.log.info({ previous: d.previousHolder }, 'leader election: took over an expired lease');
        this.observeHolder(this.identity);
        return 'acquired';
    }
  }

  private transition(next: { state: Leadership; event?: LeadershipEvent }): void {
    this.state = next.state;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (next.event === 'stopped-leading') {
      this.running = false;
      clearTimeout(this.retryTimer);
      this.opts.log.error({ lease: `${this.namespace}/${this.name}` }, 'leader election lost');
      this.opts.onStoppedLeading();
      return;
    }
    if (this.state.role === 'leader') {
      const delay = Math.max(0, this.state.lastRenewAt + this.timings.renewDeadlineMs - this.clock.now());
      this.deadlineTimer = setTimeout(() => {
        if (this.running) this.transition(expireLeadership(this.state, this.clock.now(), this.timings.renewDeadlineMs));
      }, delay);
    }
    if (next.event === 'started-leading') {
      this.opts.log.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'leader election: became leader');
      this.opts.onStartedLeading();
    }
  }

  private observeHolder(holder: string): void {
    if (holder === this.holder) return;
    this.holder = holder;
    this.opts.log.info({ leader: holder }, 'leader election: new leader');
    this.opts.onNewLeader?.(holder);
  }
}
