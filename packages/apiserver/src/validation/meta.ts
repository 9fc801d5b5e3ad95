import { FieldError, FieldErrorType, FieldPath, fieldErrors, type LabelSelector, type ObjectMeta, type OwnerReference } from '@kemu/api';
import { compareGo, go, goQuote, goStrings, goTime } from './go-format.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, type NameValidator } from './names.js';

/** Kubernetes' messages shared across kinds. */
export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NEGATIVE = 'must be greater than or equal to 0';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10);
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export const sortedKeys = (m: Readonly<Record<string, string>>): string[] => Object.keys(m).sort(compareGo);

export function tooLong(p: FieldPath, max: number): FieldError {
  return new FieldError(FieldErrorType.TooLong, String(p), undefined, `may not be more than ${max} bytes`);
}

export function validateNonnegative(value: number, p: FieldPath): FieldError[] {
  return value < 0 ? [fieldErrors.invalid(p, value, IS_NEGATIVE)] : [];
}

export function validateDNS1123Label(value: string, p: FieldPath): FieldError[] {
  return isDNS1123Label(value).map((m) => fieldErrors.invalid(p, value, m));
}

export function validateDNS1123Subdomain(value: string, p: FieldPath): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => fieldErrors.invalid(p, value, m));
}

export function validateQualifiedName(value: string, p: FieldPath): FieldError[] {
  return isQualifiedName(value).map((m) => fieldErrors.invalid(p, value, m));
}

/** Label keys and values, all errors reported at the map's own path. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const k of sortedKeys(labels)) {
    errs.push(...validateQualifiedName(k, p));
    for (const m of isValidLabelValue(labels[k]!)) errs.push(fieldErrors.invalid(p, labels[k], m));
  }
  return errs;
}

export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  let size = 0;
  for (const k of sortedKeys(annotations)) {
    // Annotation keys are qualified names, except that case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(p, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(annotations[k]!);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(p, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateLabelSelector(s: LabelSelector | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!s) return errs;
  errs.push(...validateLabels(s.matchLabels, p.child('matchLabels')));
  (s.matchExpressions ?? []).forEach((e, i) => {
    const ep = p.child('matchExpressions').index(i);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(fieldErrors.required(ep.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(fieldErrors.forbidden(ep.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        }
        break;
      default:
        errs.push(fieldErrors.invalid(ep.child('operator'), e.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateQualifiedName(e.key ?? '', ep.child('key')));
  });
  return errs;
}

/** schema.FromAPIVersionAndKind's version: empty unless apiVersion is "v" or "g/v". */
function versionOf(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: '', version: '' };
}

function goOwnerReference(r: OwnerReference): string {
  const ptr = (b: boolean | undefined): string => (b === undefined ? '(*bool)(nil)' : '(*bool)(0xc000000000)');
  return (
    `v1.OwnerReference{APIVersion:${goQuote(r.apiVersion ?? '')}, Kind:${goQuote(r.kind ?? '')}, Name:${goQuote(r.name ?? '')}, ` +
    `UID:${goQuote(r.uid ?? '')}, Controller:${ptr(r.controller)}, BlockOwnerDeletion:${ptr(r.blockOwnerDeletion)}}`
  );
}

// Errors name the list itself, not an index: Kubernetes' own quirk.
export function validateOwnerReferences(refs: readonly OwnerReference[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const r of refs ?? []) {
    const gv = versionOf(r.apiVersion ?? '');
    if (gv.version === '') errs.push(fieldErrors.invalid(p.child('apiVersion'), r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) errs.push(fieldErrors.invalid(p.child('kind'), r.kind ?? '', 'must not be empty'));
    if (!r.name) errs.push(fieldErrors.invalid(p.child('name'), r.name ?? '', 'must not be empty'));
    if (!r.uid) errs.push(fieldErrors.invalid(p.child('uid'), r.uid ?? '', 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && r.kind === 'Event') {
      errs.push(fieldErrors.invalid(p, go(goOwnerReference(r)), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (r.controller) {
      const name = `${r.kind ?? ''}/${r.name ?? ''}`;
      if (firstController) {
        errs.push(
          fieldErrors.invalid(
            p,
            go(`[]v1.OwnerReference{${(refs ?? []).map(goOwnerReference).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      } else {
        firstController = name;
      }
    }
  }
  return errs;
}

/**
 * metadata.finalizers: qualified names (reported at the list's path), "orphan" and
 * "foregroundDeletion" not both, and (for core kinds) a name without a '/' must be a
 * standard one (reported at the item's index).
 */
export function validateFinalizers(finalizers: readonly string[] | undefined, p: FieldPath, kubeNames: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) errs.push(...validateQualifiedName(f, p));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(fieldErrors.invalid(p, go(goStrings(list)), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  if (kubeNames) list.forEach((f, i) => errs.push(...validateKubeFinalizerName(f, p.index(i))));
  return errs;
}

export function validateKubeFinalizerName(name: string, p: FieldPath): FieldError[] {
  if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name)) {
    return [fieldErrors.invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export interface MetaRules {
  readonly namespaced: boolean;
  readonly nameFn: NameValidator;
  /** Core-group kinds also require unqualified finalizer names to be standard ones. */
  readonly kubeFinalizers: boolean;
}

/** metadata on create. Name generation from generateName has already happened. */
export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules, p = FieldPath.root('metadata')): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of rules.nameFn(m.generateName, true)) errs.push(fieldErrors.invalid(p.child('generateName'), m.generateName, msg));
  }
  if (!m.name) errs.push(fieldErrors.required(p.child('name'), 'name or generateName is required'));
  else for (const msg of rules.nameFn(m.name, false)) errs.push(fieldErrors.invalid(p.child('name'), m.name, msg));
  errs.push(...validateMetaCommon(m, rules, p));
  return errs;
}

function validateMetaCommon(m: ObjectMeta, rules: MetaRules, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (rules.namespaced) {
    if (!m.namespace) errs.push(fieldErrors.required(p.child('namespace')));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(fieldErrors.invalid(p.child('namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldErrors.forbidden(p.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation ?? 0, p.child('generation')));
  errs.push(...validateLabels(m.labels, p.child('labels')));
  errs.push(...validateAnnotations(m.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, p.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, p.child('finalizers'), rules.kubeFinalizers));
  return errs;
}

/**
 * metadata on update. The caller has already done what Kubernetes' store does first:
 * an unconditional update (no resourceVersion) carries the stored resourceVersion, and
 * uid, creationTimestamp and deletion fields left empty are copied from the stored object.
 */
export function validateObjectMetaUpdate(
  meta: ObjectMeta | undefined,
  old: ObjectMeta | undefined,
  kubeFinalizers: boolean,
  p = FieldPath.root('metadata'),
): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const before = new Set(o.finalizers ?? []);
    const extra = [...new Set((m.finalizers ?? []).filter((f) => !before.has(f)))].sort(compareGo);
    if (extra.length) {
      errs.push(
        fieldErrors.forbidden(
          p.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(extra)}`,
        ),
      );
    }
  }
  if (!m.resourceVersion) errs.push(fieldErrors.invalid(p.child('resourceVersion'), m.resourceVersion ?? '', 'must be specified for an update'));
  if ((m.generation ?? 0) < (o.generation ?? 0)) errs.push(fieldErrors.invalid(p.child('generation'), m.generation ?? 0, 'must not be decremented'));
  for (const f of ['name', 'namespace', 'uid'] as const) {
    if ((m[f] ?? '') !== (o[f] ?? '')) errs.push(fieldErrors.invalid(p.child(f), m[f] ?? '', FIELD_IMMUTABLE));
  }
  if ((m.creationTimestamp ?? '') !== (o.creationTimestamp ?? '')) {
    errs.push(fieldErrors.invalid(p.child('creationTimestamp'), go(goTime(m.creationTimestamp ?? '')), FIELD_IMMUTABLE));
  }
  if (m.deletionTimestamp !== o.deletionTimestamp) {
    const v = m.deletionTimestamp === undefined ? null : go(goTime(m.deletionTimestamp));
    errs.push(fieldErrors.invalid(p.child('deletionTimestamp'), v, FIELD_IMMUTABLE));
  }
  if (m.deletionGracePeriodSeconds !== o.deletionGracePeriodSeconds) {
    errs.push(fieldErrors.invalid(p.child('deletionGracePeriodSeconds'), m.deletionGracePeriodSeconds ?? null, FIELD_IMMUTABLE));
  }
  errs.push(...validateLabels(m.labels, p.child('labels')));
  errs.push(...validateAnnotations(m.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, p.child('ownerReferences')));
  if (kubeFinalizers) (m.finalizers ?? []).forEach((f, i) => errs.push(...validateKubeFinalizerName(f, p.child('finalizers').index(i))));
  return errs;
}
