import { FieldPath, fieldErrors, type FieldError, type Namespace } from '@kemu/api';
import { validateKubeFinalizerName, validateObjectMeta, validateObjectMetaUpdate, validateQualifiedName } from './meta.js';
import { nameIsDNSLabel } from './names.js';

/** Kubernetes' Namespace validation. */

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameFn: nameIsDNSLabel, kubeFinalizers: true });
  // Kubernetes reports these at the list's path, without an index.
  const p = FieldPath.root('spec', 'finalizers');
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateQualifiedName(f, p), ...validateKubeFinalizerName(f, p));
  return errs;
}

export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata, true);
}

export function validateNamespaceStatusUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata, true);
  const phase = ns.status?.phase ?? '';
  const p = FieldPath.root('status', 'Phase');
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active') errs.push(fieldErrors.invalid(p, phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(fieldErrors.invalid(p, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

/** The namespaces/finalize subresource: spec.finalizers may change, each name checked. */
export function validateNamespaceFinalizeUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata, true);
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    const p = FieldPath.root('spec', 'finalizers').index(i);
    errs.push(...validateQualifiedName(f, p), ...validateKubeFinalizerName(f, p));
  });
  return errs;
}
