import {
  FieldPath,
  fieldErrors,
  selectorFromLabelSelector,
  type Deployment,
  type FieldError,
  type LabelSelector,
  type ReplicaSet,
  type apps,
  type core,
} from '@kemu/api';
import { go, goIntOrString, goLabelSelector, goQuote, goStringMap } from './go-format.js';
import {
  FIELD_IMMUTABLE,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import { isValidPercent, nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './pod.js';
import { semanticEqual } from './semantic-equal.js';

/** Kubernetes' apps/v1 Deployment and ReplicaSet validation. */

const spec = FieldPath.root('spec');
const STRATEGY_TYPES = ['Recreate', 'RollingUpdate'];
const metaRules = { namespaced: true, nameFn: nameIsDNSSubdomain, kubeFinalizers: true } as const;

/**
 * Whether Kubernetes could turn the selector into a labels.Selector. When it cannot,
 * the template is not checked against it.
 */
function selectorUsable(sel: LabelSelector | undefined): boolean {
  return sel === undefined || validateLabelSelector(sel, spec.child('selector')).length === 0;
}

function validateSelector(sel: LabelSelector | undefined): FieldError[] {
  const p = spec.child('selector');
  if (!sel) return [fieldErrors.required(p)];
  const errs = validateLabelSelector(sel, p);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    // Kubernetes says "deployment" for ReplicaSets too.
    errs.push(fieldErrors.invalid(p, go(goLabelSelector(sel)), 'empty selector is invalid for deployment'));
  }
  return errs;
}

/** The template must carry the selector's labels and always restart its pods. */
function validateTemplateForSelector(sel: LabelSelector | undefined, t: core.PodTemplateSpec | undefined): FieldError[] {
  const p = spec.child('template');
  const errs: FieldError[] = [];
  if (!selectorUsable(sel)) {
    errs.push(fieldErrors.invalid(spec.child('selector'), go(goLabelSelector(sel!)), 'invalid label selector'));
    return errs;
  }
  // An absent selector matches nothing, so no template matches it; an empty one is not checked.
  const selector = selectorFromLabelSelector(sel);
  if (!selector.isEverything() && !selector.matches(t?.metadata?.labels)) {
    errs.push(fieldErrors.invalid(p.child('metadata', 'labels'), go(goStringMap(t?.metadata?.labels)), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(t, p));
  const rp = t?.spec?.restartPolicy ?? '';
  if (rp !== 'Always') errs.push(fieldErrors.notSupported(p.child('spec', 'restartPolicy'), rp, ['Always']));
  return errs;
}

function percentValue(v: number | string | undefined): number | undefined {
  return typeof v === 'string' && isValidPercent(v).length === 0 ? Number(v.slice(0, -1)) : undefined;
}

/** intstr's IntValue(): a string that is not a number counts as 0. */
function intOrPercentValue(v: number | string | undefined): number {
  const pct = percentValue(v);
  if (pct !== undefined) return pct;
  if (typeof v === 'string') return /^[+-]?\d+$/.test(v) ? Number(v) : 0;
  return v ?? 0;
}

function validatePositiveIntOrPercent(v: number | string | undefined, p: FieldPath): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => fieldErrors.invalid(p, go(goIntOrString(v)), m));
  return validateNonnegative(v ?? 0, p);
}

function validateRollingUpdate(ru: apps.RollingUpdateDeployment, p: FieldPath): FieldError[] {
  const errs = validatePositiveIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable'));
  errs.push(...validatePositiveIntOrPercent(ru.maxSurge, p.child('maxSurge')));
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    errs.push(fieldErrors.invalid(p.child('maxUnavailable'), go(goIntOrString(ru.maxUnavailable)), 'may not be 0 when `maxSurge` is 0'));
  }
  const pct = percentValue(ru.maxUnavailable);
  if (pct !== undefined && pct > 100) {
    errs.push(fieldErrors.invalid(p.child('maxUnavailable'), go(goIntOrString(ru.maxUnavailable)), 'must not be greater than 100%'));
  }
  return errs;
}

function validateStrategy(st: apps.DeploymentStrategy | undefined): FieldError[] {
  const p = spec.child('strategy');
  const type = st?.type ?? '';
  switch (type) {
    case 'Recreate':
      return st?.rollingUpdate ? [fieldErrors.forbidden(p.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate':
      return st?.rollingUpdate
        ? validateRollingUpdate(st.rollingUpdate, p.child('rollingUpdate'))
        : [fieldErrors.required(p.child('rollingUpdate'), 'this should be defaulted and never be nil')];
    default: {
      // A set rollingUpdate prints as a pointer, whose address cannot be reproduced.
      const ru = st?.rollingUpdate ? '(*apps.RollingUpdateDeployment)(0xc000000000)' : '(*apps.RollingUpdateDeployment)(nil)';
      return [fieldErrors.notSupported(p, go(`apps.DeploymentStrategy{Type:${goQuote(type)}, RollingUpdate:${ru}}`), STRATEGY_TYPES)];
    }
  }
}

function validateDeploymentSpec(s: apps.DeploymentSpec | undefined): FieldError[] {
  const d = s ?? {};
  const errs = validateNonnegative(d.replicas ?? 0, spec.child('replicas'));
  errs.push(...validateSelector(d.selector));
  errs.push(...validateTemplateForSelector(d.selector, d.template));
  errs.push(...validateStrategy(d.strategy));
  errs.push(...validateNonnegative(d.minReadySeconds ?? 0, spec.child('minReadySeconds')));
  if (d.revisionHistoryLimit !== undefined) errs.push(...validateNonnegative(d.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  if (d.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonnegative(d.progressDeadlineSeconds, spec.child('progressDeadlineSeconds')));
    if (d.progressDeadlineSeconds <= (d.minReadySeconds ?? 0)) {
      errs.push(fieldErrors.invalid(spec.child('progressDeadlineSeconds'), d.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateReplicaSetSpec(s: apps.ReplicaSetSpec | undefined): FieldError[] {
  const r = s ?? {};
  const errs = validateNonnegative(r.replicas ?? 0, spec.child('replicas'));
  errs.push(...validateNonnegative(r.minReadySeconds ?? 0, spec.child('minReadySeconds')));
  errs.push(...validateSelector(r.selector));
  errs.push(...validateTemplateForSelector(r.selector, r.template));
  return errs;
}

/** apps/v1 forbids changing a controller's selector (empty and absent lists count as equal). */
function validateSelectorUnchanged(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  if (semanticEqual(sel ?? null, old ?? null) && (sel === undefined) === (old === undefined)) return [];
  return [fieldErrors.invalid(spec.child('selector'), sel ? go(goLabelSelector(sel)) : null, FIELD_IMMUTABLE)];
}

export function validateDeployment(d: Deployment): FieldError[] {
  return [...validateObjectMeta(d.metadata, metaRules), ...validateDeploymentSpec(d.spec)];
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  return [
    ...validateObjectMetaUpdate(d.metadata, old.metadata, true),
    ...validateDeploymentSpec(d.spec),
    ...validateSelectorUnchanged(d.spec?.selector, old.spec?.selector),
  ];
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  return [...validateObjectMeta(rs.metadata, metaRules), ...validateReplicaSetSpec(rs.spec)];
}

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  return [
    ...validateObjectMetaUpdate(rs.metadata, old.metadata, true),
    ...validateReplicaSetSpec(rs.spec),
    ...validateSelectorUnchanged(rs.spec?.selector, old.spec?.selector),
  ];
}

const statusPath = FieldPath.root('status');

/** Counts must be non-negative and no larger than the ones they are part of. */
function validateCounts(counts: Record<string, number | undefined>, order: readonly string[], partOfReplicas: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of order) errs.push(...validateNonnegative(counts[f] ?? 0, statusPath.child(f)));
  const replicas = counts['replicas'] ?? 0;
  for (const f of partOfReplicas) {
    if ((counts[f] ?? 0) > replicas) errs.push(fieldErrors.invalid(statusPath.child(f), counts[f] ?? 0, 'cannot be greater than status.replicas'));
  }
  if ((counts['availableReplicas'] ?? 0) > (counts['readyReplicas'] ?? 0)) {
    errs.push(fieldErrors.invalid(statusPath.child('availableReplicas'), counts['availableReplicas'] ?? 0, 'cannot be greater than readyReplicas'));
  }
  return errs;
}

export function validateDeploymentStatusUpdate(d: Deployment, old: Deployment): FieldError[] {
  const s = d.status ?? {};
  const counts = {
    observedGeneration: s.observedGeneration,
    replicas: s.replicas,
    updatedReplicas: s.updatedReplicas,
    readyReplicas: s.readyReplicas,
    availableReplicas: s.availableReplicas,
    unavailableReplicas: s.unavailableReplicas,
  };
  return [
    ...validateObjectMetaUpdate(d.metadata, old.metadata, true),
    ...validateCounts(
      counts,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'],
      ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  ];
}

export function validateReplicaSetStatusUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  const s = rs.status ?? {};
  const counts = {
    replicas: s.replicas,
    fullyLabeledReplicas: s.fullyLabeledReplicas,
    readyReplicas: s.readyReplicas,
    availableReplicas: s.availableReplicas,
    observedGeneration: s.observedGeneration,
  };
  return [
    ...validateObjectMetaUpdate(rs.metadata, old.metadata, true),
    ...validateCounts(
      counts,
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  ];
}
