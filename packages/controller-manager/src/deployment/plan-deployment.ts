import { selectorFromLabelSelector, type Condition, type Deployment, type OwnerReference, type Pod, type ReplicaSet, type apps } from '@kemu/api';
import { controllerRef, isControlledBy, timestampMs } from '../replicaset/pod-state.js';
import { countStatus, getCondition, isComplete, isProgressing, setCondition } from './deployment-status.js';
import { resolveFenceposts } from './int-or-percent.js';
import { canonicalJson, POD_TEMPLATE_HASH_LABEL, podTemplateHash, templatesEqual } from './pod-template-hash.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
const DEFAULT_REVISION_HISTORY_LIMIT = 10;
const MAX_COLLISIONS = 16;

/**
 * What one sync of a Deployment asks of the apiserver, in order. ReplicaSet updates carry
 * the whole object at the cached resourceVersion, so a stale cache surfaces as a Conflict.
 */
export type DeploymentAction =
  | { type: 'createReplicaSet'; rs: ReplicaSet }
  | { type: 'updateReplicaSet'; rs: ReplicaSet; replicas: { from: number; to: number } }
  | { type: 'deleteReplicaSet'; name: string; uid: string }
  | { type: 'setDeploymentRevision'; revision: string }
  | { type: 'updateStatus'; status: apps.DeploymentStatus };

export interface DeploymentInputs {
  readonly deployment: Deployment;
  /** Every ReplicaSet in the Deployment's namespace, from the cache. */
  readonly replicaSets: readonly ReplicaSet[];
  /** Pods by the uid of the ReplicaSet controlling them (Recreate waits for old ones to go). */
  readonly podsByReplicaSet: ReadonlyMap<string, readonly Pod[]>;
  readonly now: number;
}

/** A ReplicaSet as this sync plans it: `rs` is a private copy; `original` is the cached object (absent if created now). */
interface Planned {
  readonly original: ReplicaSet | undefined;
  readonly rs: ReplicaSet;
}

const replicasOf = (p: Planned): number => p.rs.spec?.replicas ?? 1;
const availableOf = (p: Planned): number => p.rs.status?.availableReplicas ?? 0;
const revisionOf = (rs: ReplicaSet): number => {
  const v = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
  return Number.isInteger(v) && v > 0 ? v : 0;
};
const createdAt = (p: Planned): number => timestampMs(p.rs.metadata?.creationTimestamp) ?? Infinity;
const byName = (a: Planned, b: Planned): number => {
  const x = a.rs.metadata?.name ?? '';
  const y = b.rs.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};
/** Oldest first; ReplicaSets created by this sync count as newest. */
const byCreation = (a: Planned, b: Planned): number => createdAt(a) - createdAt(b) || byName(a, b);

/**
 * One reconcile of a Deployment (see README.md): claims its ReplicaSets, finds or creates
 * the one matching the current template, makes one step of the rollout strategy (or a
 * proportional scale), cleans up history once complete, and computes the status. Pure.
 */
export function planDeployment(input: DeploymentInputs): DeploymentAction[] {
  return new Planner(input).plan();
}

class Planner {
  private readonly d: Deployment;
  private readonly desired: number;
  private readonly rolling: boolean;
  private readonly surge: number;
  private readonly maxUnavailable: number;
  private readonly owned: Planned[] = [];
  private readonly released: ReplicaSet[] = [];
  private newRs: Planned | undefined;
  private old: Planned[] = [];
  private readonly deletes: ReplicaSet[] = [];
  private progressing: Condition | undefined;

  constructor(private readonly input: DeploymentInputs) {
    this.d = input.deployment;
    this.desired = this.d.spec?.replicas ?? 1;
    this.rolling = (this.d.spec?.strategy?.type ?? 'RollingUpdate') !== 'Recreate';
    if (this.rolling) {
      const f = resolveFenceposts(this.d.spec?.strategy?.rollingUpdate?.maxSurge, this.d.spec?.strategy?.rollingUpdate?.maxUnavailable, this.desired);
      this.surge = f.surge;
      this.maxUnavailable = Math.min(f.unavailable, this.desired);
    } else {
      this.surge = 0;
      this.maxUnavailable = 0;
    }
  }

  plan(): DeploymentAction[] {
    const deleting = !!this.d.metadata?.deletionTimestamp;
    this.claim(deleting);
    this.splitNewAndOld();
    if (deleting) return this.finish();
    this.syncRevision();
    this.checkPaused();
    if (this.d.spec?.paused || this.isScalingEvent()) {
      this.scale();
      if (this.d.spec?.paused) this.cleanup();
      return this.finish();
    }
    if (this.rolling) this.rolloutRolling();
    else this.rolloutRecreate();
    return this.finish(true);
  }

  // ---- ownership ----

  /** Controlled ReplicaSets still matching the selector, plus adopted orphans; the rest of ours are released. */
  private claim(deleting: boolean): void {
    const uid = this.d.metadata?.uid ?? '';
    const selector = selectorFromLabelSelector(this.d.spec?.selector);
    for (const rs of this.input.replicaSets) {
      const matches = selector.matches(rs.metadata?.labels);
      if (isControlledBy(rs.metadata, uid)) {
        if (matches) this.owned.push({ original: rs, rs: structuredClone(rs) });
        else if (!deleting) {
          const copy = structuredClone(rs);
          copy.metadata!.ownerReferences = (copy.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
          this.released.push(copy);
        }
      } else if (!controllerRef(rs.metadata) && matches && !deleting && !rs.metadata?.deletionTimestamp) {
        const copy = structuredClone(rs);
        copy.metadata = { ...copy.metadata, ownerReferences: [...(copy.metadata?.ownerReferences ?? []), this.ownerRef()] };
        this.owned.push({ original: rs, rs: copy });
      }
    }
  }

  private ownerRef(): OwnerReference {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: this.d.metadata?.name ?? '',
      uid: this.d.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  /** The new ReplicaSet is the oldest one whose template equals the Deployment's (hash label aside). */
  private splitNewAndOld(): void {
    const sorted = [...this.owned].sort(byCreation);
    this.newRs = sorted.find((p) => templatesEqual(p.rs.spec?.template, this.d.spec?.template));
    this.old = sorted.filter((p) => p !== this.newRs);
  }

  private nextRevision(): number {
    return Math.max(0, ...this.old.map((p) => revisionOf(p.rs))) + 1;
  }

  /** The new ReplicaSet carries the highest revision (a rollback renumbers it) and the Deployment's minReadySeconds. */
  private syncRevision(): void {
    const nr = this.newRs;
    if (!nr) return;
    const next = this.nextRevision();
    if (revisionOf(nr.rs) < next) this.annotate(nr, REVISION_ANNOTATION, String(next));
    const minReady = this.d.spec?.minReadySeconds ?? 0;
    if ((nr.rs.spec?.minReadySeconds ?? 0) !== minReady) nr.rs.spec = { ...nr.rs.spec, minReadySeconds: minReady };
    if (!getCondition(this.d.status, 'Progressing')) {
      this.progressing = { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${nr.rs.metadata?.name ?? ''}"` };
    }
  }

  private annotate(p: Planned, key: string, value: string): void {
    p.rs.metadata = { ...p.rs.metadata, annotations: { ...p.rs.metadata?.annotations, [key]: value } };
  }

  /** Sets a ReplicaSet's size together with the desired/max-replicas annotations proportional scaling reads. */
  private setReplicas(p: Planned, replicas: number): void {
    p.rs.spec = { ...p.rs.spec, replicas };
    this.annotate(p, DESIRED_REPLICAS_ANNOTATION, String(this.desired));
    this.annotate(p, MAX_REPLICAS_ANNOTATION, String(this.desired + this.surge));
  }

  private all(): Planned[] {
    return this.newRs ? [this.newRs, ...this.old] : [...this.old];
  }

  private sumReplicas(ps: readonly Planned[]): number {
    return ps.reduce((n, p) => n + replicasOf(p), 0);
  }

  /** Builds the ReplicaSet for the current template, named `<deployment>-<hash>`, avoiding names already taken. */
  private createNewRs(replicas: number): void {
    const name = this.d.metadata?.name ?? '';
    const taken = new Set(this.input.replicaSets.map((rs) => rs.metadata?.name));
    let hash = podTemplateHash(this.d.spec?.template);
    for (let c = 1; taken.has(`${name}-${hash}`); c++) {
      if (c > MAX_COLLISIONS) throw new Error(`deployment ${name}: no free ReplicaSet name after ${MAX_COLLISIONS} hash collisions`);
      hash = podTemplateHash(this.d.spec?.template, c);
    }
    const template = structuredClone(this.d.spec?.template ?? {});
    const labels = { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
    template.metadata = { ...template.metadata, labels };
    const selector = structuredClone(this.d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace: this.d.metadata?.namespace ?? '',
        labels: { ...labels },
        annotations: { [REVISION_ANNOTATION]: String(this.nextRevision()) },
        ownerReferences: [this.ownerRef()],
      },
      spec: { replicas: 0, minReadySeconds: this.d.spec?.minReadySeconds ?? 0, selector, template },
    };
    this.newRs = { original: undefined, rs };
    this.setReplicas(this.newRs, replicas);
    this.progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rs.metadata?.name ?? ''}"` };
  }

  // ---- pause and proportional scaling ----

  private checkPaused(): void {
    const cur = getCondition(this.d.status, 'Progressing');
    if (this.d.spec?.paused && cur?.reason !== 'DeploymentPaused') {
      this.progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' };
    } else if (!this.d.spec?.paused && cur?.reason === 'DeploymentPaused') {
      this.progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' };
    }
  }

  /** Some active ReplicaSet was sized for a different spec.replicas than the current one. */
  private isScalingEvent(): boolean {
    return this.all().some((p) => {
      if (replicasOf(p) === 0) return false;
      const v = p.rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      return v !== undefined && Number(v) !== this.desired;
    });
  }

  private scale(): void {
    const single = this.activeOrLatest();
    if (single) {
      if (replicasOf(single) !== this.desired) this.setReplicas(single, this.desired);
      return;
    }
    const nr = this.newRs;
    if (nr && this.isSaturated(nr)) {
      for (const p of this.old) if (replicasOf(p) > 0) this.setReplicas(p, 0);
      return;
    }
    if (!this.rolling) return;
    const active = this.all().filter((p) => replicasOf(p) > 0);
    const allowed = this.desired > 0 ? this.desired + this.surge : 0;
    const toAdd = allowed - this.sumReplicas(active);
    // Larger first; among equals the newer when growing, the older when shrinking.
    const sorted = [...active].sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)));
    const sizes = new Map<Planned, number>();
    let added = 0;
    for (const p of sorted) {
      const share = toAdd === 0 ? 0 : this.proportion(p, toAdd, added);
      sizes.set(p, replicasOf(p) + share);
      added += share;
    }
    sorted.forEach((p, i) => {
      let size = sizes.get(p) ?? replicasOf(p);
      if (i === 0 && toAdd !== 0) size = Math.max(size + (toAdd - added), 0);
      this.setReplicas(p, size);
    });
  }

  /** With one active ReplicaSet (or none: the new one, else the latest), that one; undefined when several are active. */
  private activeOrLatest(): Planned | undefined {
    if (!this.newRs && this.old.length === 0) return undefined;
    const active = this.all().filter((p) => replicasOf(p) > 0);
    if (active.length === 1) return active[0];
    if (active.length > 1) return undefined;
    return this.newRs ?? [...this.old].sort((a, b) => byCreation(b, a))[0];
  }

  private isSaturated(p: Planned): boolean {
    const desiredAnn = Number(p.rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION] ?? NaN);
    return replicasOf(p) === this.desired && desiredAnn === this.desired && availableOf(p) === this.desired;
  }

  /** This ReplicaSet's share of `toAdd`, by its size relative to the size it was scaled for (max-replicas). */
  private proportion(p: Planned, toAdd: number, added: number): number {
    if (replicasOf(p) === 0 || toAdd === added) return 0;
    let fraction: number;
    if (this.desired === 0) fraction = -replicasOf(p);
    else {
      const ann = p.rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION];
      const annotated = ann !== undefined && Number.isInteger(Number(ann)) ? Number(ann) : (this.d.status?.replicas ?? 0);
      fraction = annotated === 0 ? 0 : Math.round((replicasOf(p) * (this.desired + this.surge)) / annotated) - replicasOf(p);
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  // ---- strategies ----

  /** One step: scale the new ReplicaSet up within maxSurge, else old ones down within maxUnavailable. */
  private rolloutRolling(): void {
    if (!this.newRs) this.createNewRs(this.newRsReplicas(0));
    const nr = this.newRs!;
    const cur = replicasOf(nr);
    if (cur !== this.desired) {
      const target = cur > this.desired ? this.desired : this.newRsReplicas(cur);
      if (target !== cur) {
        this.setReplicas(nr, target);
        return;
      }
    }
    if (this.reconcileOld()) return;
    this.cleanupIfComplete();
  }

  private newRsReplicas(current: number): number {
    const total = this.sumReplicas(this.old) + (this.newRs ? replicasOf(this.newRs) : 0);
    const maxTotal = this.desired + this.surge;
    if (total >= maxTotal) return current;
    return current + Math.min(maxTotal - total, this.desired - current);
  }

  /** Scales old ReplicaSets down: first their unavailable pods, then available ones above the minimum. */
  private reconcileOld(): boolean {
    if (this.sumReplicas(this.old) === 0) return false;
    const nr = this.newRs!;
    const minAvailable = this.desired - this.maxUnavailable;
    const newUnavailable = replicasOf(nr) - availableOf(nr);
    const maxScaledDown = this.sumReplicas(this.all()) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;

    const oldest = [...this.old].sort(byCreation);
    let cleaned = 0;
    for (const p of oldest) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = replicasOf(p) - availableOf(p);
      if (replicasOf(p) === 0 || unhealthy <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      this.setReplicas(p, replicasOf(p) - down);
      cleaned += down;
    }

    let scaled = 0;
    const available = this.all().reduce((n, p) => n + availableOf(p), 0);
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const p of oldest) {
        if (scaled >= total) break;
        if (replicasOf(p) === 0) continue;
        const down = Math.min(replicasOf(p), total - scaled);
        this.setReplicas(p, replicasOf(p) - down);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  /** Old ReplicaSets to zero; once none of their pods is left, the new one to full size. */
  private rolloutRecreate(): void {
    let scaledDown = false;
    for (const p of this.old) {
      if (replicasOf(p) > 0) {
        this.setReplicas(p, 0);
        scaledDown = true;
      }
    }
    if (scaledDown || this.oldPodsRunning()) return;
    if (!this.newRs) this.createNewRs(this.desired);
    else if (replicasOf(this.newRs) !== this.desired) this.setReplicas(this.newRs, this.desired);
    this.cleanupIfComplete();
  }

  private oldPodsRunning(): boolean {
    if (this.old.some((p) => (p.rs.status?.replicas ?? 0) > 0)) return true;
    return this.old.some((p) =>
      (this.input.podsByReplicaSet.get(p.rs.metadata?.uid ?? '') ?? []).some((pod) => pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded'),
    );
  }

  // ---- history ----

  private cleanupIfComplete(): void {
    if (isComplete(this.d, this.counts())) this.cleanup();
  }

  /** Deletes the oldest (by revision) idle old ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(): void {
    const limit = this.d.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const cleanable = this.old.filter((p) => p.original && !p.rs.metadata?.deletionTimestamp);
    const excess = cleanable.length - limit;
    if (excess <= 0) return;
    cleanable.sort((a, b) => revisionOf(a.rs) - revisionOf(b.rs) || byCreation(a, b));
    for (const p of cleanable.slice(0, excess)) {
      const idle =
        (p.rs.status?.replicas ?? 0) === 0 &&
        replicasOf(p) === 0 &&
        (p.rs.metadata?.generation ?? 0) <= (p.rs.status?.observedGeneration ?? 0);
      if (idle) this.deletes.push(p.rs);
    }
  }

  // ---- output ----

  private counts(): apps.DeploymentStatus {
    return countStatus(this.d, this.all().map((p) => p.rs), this.newRs?.rs);
  }

  private finish(rollout = false): DeploymentAction[] {
    const actions: DeploymentAction[] = [];
    const deleted = new Set(this.deletes.map((rs) => rs.metadata?.uid));
    if (this.newRs && !this.newRs.original) actions.push({ type: 'createReplicaSet', rs: this.newRs.rs });
    for (const rs of this.released) actions.push({ type: 'updateReplicaSet', rs, replicas: { from: rs.spec?.replicas ?? 1, to: rs.spec?.replicas ?? 1 } });
    for (const p of this.all()) {
      if (!p.original || deleted.has(p.rs.metadata?.uid)) continue;
      if (canonicalJson([p.original.metadata, p.original.spec]) === canonicalJson([p.rs.metadata, p.rs.spec])) continue;
      actions.push({ type: 'updateReplicaSet', rs: p.rs, replicas: { from: p.original.spec?.replicas ?? 1, to: replicasOf(p) } });
    }
    for (const rs of this.deletes) actions.push({ type: 'deleteReplicaSet', name: rs.metadata?.name ?? '', uid: rs.metadata?.uid ?? '' });

    const revision = this.newRs?.rs.metadata?.annotations?.[REVISION_ANNOTATION];
    if (revision !== undefined && !this.d.metadata?.deletionTimestamp && this.d.metadata?.annotations?.[REVISION_ANNOTATION] !== revision) {
      actions.push({ type: 'setDeploymentRevision', revision });
    }

    const status = this.status(rollout);
    if (canonicalJson(status) !== canonicalJson(this.d.status ?? {})) actions.push({ type: 'updateStatus', status });
    return actions;
  }

  /** Counts plus conditions: Available always; Progressing as the rollout moves (or is created, found, paused). */
  private status(rollout: boolean): apps.DeploymentStatus {
    const now = this.input.now;
    const s = this.counts();
    let conditions = this.d.status?.conditions ?? [];
    const minAvailable = this.desired - this.maxUnavailable;
    conditions = setCondition(
      conditions,
      (s.availableReplicas ?? 0) >= minAvailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
    );
    if (this.progressing) conditions = setCondition(conditions, this.progressing, now);
    if (rollout) {
      const cur = conditions.find((c) => c.type === 'Progressing');
      const done = s.replicas === s.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
      const name = this.newRs?.rs.metadata?.name ?? '';
      if (!done && isComplete(this.d, s)) {
        conditions = setCondition(
          conditions,
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` },
          now,
        );
      } else if (!done && isProgressing(this.d.status, s)) {
        conditions = setCondition(
          conditions,
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}" is progressing.` },
          now,
        );
      }
    }
    if (conditions.length > 0) s.conditions = conditions;
    return s;
  }
}
