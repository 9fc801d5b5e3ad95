import { FieldPath, fieldErrors, type FieldError, type Lease } from '@kemu/api';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';

/** Kubernetes' coordination.k8s.io/v1 Lease validation (generic metadata rules only). */

function validateLeaseSpec(lease: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const s = lease.spec ?? {};
  const p = FieldPath.root('spec');
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) {
    errs.push(fieldErrors.invalid(p.child('leaseDurationSeconds'), s.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) {
    errs.push(fieldErrors.invalid(p.child('leaseTransitions'), s.leaseTransitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateLease(lease: Lease): FieldError[] {
  return [...validateObjectMeta(lease.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain, kubeFinalizers: false }), ...validateLeaseSpec(lease)];
}

export function validateLeaseUpdate(lease: Lease, old: Lease): FieldError[] {
  return [...validateObjectMetaUpdate(lease.metadata, old.metadata, false), ...validateLeaseSpec(lease)];
}
