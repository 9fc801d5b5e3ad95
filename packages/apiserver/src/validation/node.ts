import { FieldError, FieldErrorType, FieldPath, fieldErrors, type Node, type core } from '@kemu/api';
import { go, goQuote, goStrings, goTaint } from './go-format.js';
import { validateCIDR } from './ip-errors.js';
import { parseCIDR } from './ip.js';
import { validateObjectMeta, validateObjectMetaUpdate, validateQualifiedName } from './meta.js';
import { isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import { validateTaintEffect } from './pod.js';

/** Kubernetes' Node validation. */

// Kubernetes reports taints under "metadata" (sic): metadata.taints[0].effect.
const taintsPath = FieldPath.root('metadata', 'taints');

function validateTaints(taints: readonly core.Taint[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  (taints ?? []).forEach((t, i) => {
    const p = taintsPath.index(i);
    const key = t.key ?? '';
    const effect = t.effect ?? '';
    errs.push(...validateQualifiedName(key, p.child('key')));
    const bad = isValidLabelValue(t.value ?? '');
    if (bad.length) errs.push(fieldErrors.invalid(p.child('value'), t.value ?? '', bad.join(';')));
    errs.push(...validateTaintEffect(effect, false, p.child('effect')));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      errs.push(new FieldError(FieldErrorType.Duplicate, String(p), go(goTaint(t)), 'taints must be unique by key and effect pair'));
      return;
    }
    keys.add(key);
    seen.set(effect, keys);
  });
  return errs;
}

function validatePodCIDRs(cidrs: readonly string[] | undefined): FieldError[] {
  const list = cidrs ?? [];
  if (list.length === 0) return [];
  const p = FieldPath.root('spec', 'podCIDRs');
  const errs: FieldError[] = [];
  list.forEach((c, i) => errs.push(...validateCIDR(p.index(i), c)));
  if (list.length > 1) {
    const families = new Set(list.map((c) => parseCIDR(c)?.network.family));
    if (!(families.has('IPv4') && families.has('IPv6')) || list.length > 2) {
      errs.push(fieldErrors.invalid(p, go(goStrings(list)), 'may specify no more than one CIDR for each IP family'));
    }
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErrors.duplicate(p.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain, kubeFinalizers: true });
  errs.push(...validateTaints(node.spec?.taints));
  errs.push(...validatePodCIDRs(node.spec?.podCIDRs));
  return errs;
}

/** Also used for status updates, as Kubernetes does. */
export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata, true);
  const seen = new Set<string>();
  (node.status?.addresses ?? []).forEach((a, i) => {
    const key = `${a.type ?? ''}\n${a.address ?? ''}`;
    if (seen.has(key)) {
      const text = `core.NodeAddress{Type:${goQuote(a.type ?? '')}, Address:${goQuote(a.address ?? '')}}`;
      errs.push(fieldErrors.duplicate(FieldPath.root('status', 'addresses').index(i), go(text)));
    }
    seen.add(key);
  });
  const before = old.spec?.podCIDRs ?? [];
  const after = node.spec?.podCIDRs ?? [];
  if (before.length > 0) {
    const msg = 'node updates may not change podCIDR except from "" to valid';
    const p = FieldPath.root('spec', 'podCIDRs');
    if (before.length !== after.length) errs.push(fieldErrors.forbidden(p, msg));
    else before.forEach((c, i) => c !== after[i] && errs.push(fieldErrors.forbidden(p, msg)));
  }
  errs.push(...validateTaints(node.spec?.taints));
  return errs;
}
