import { objectSchema, resourceInfo, type FieldKind, type ResourceName } from '@kemu/api';

/** kube-apiserver's `?fieldValidation=` directive for writes. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Pruned {
  /** The object without the fields kemu's schema does not have. */
  value: unknown;
  /** Paths of the dropped fields that carried a value (`spec.template.spec.containers[0].foo`). */
  unknown: string[];
}

/**
 * Removes the fields of `value` that kemu's schema for `resource` does not have. Fields
 * whose value is empty (null, {}, [] or objects of those) carry nothing and are dropped
 * without a report: kubectl's own generators emit `resources: {}` and `strategy: {}`, and
 * kemu rejecting them would reject what Kubernetes takes as "unset". The rest are listed
 * in `unknown`, with the paths kemu's strict decoder names. Pure; `value` is not modified.
 */
export function pruneUnknownFields(resource: ResourceName, value: unknown): Pruned {
  const unknown: string[] = [];
  const out = pruneMessage(resourceInfo(resource).schema, value, '', unknown);
  return { value: out, unknown };
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.every(isEmpty);
  if (typeof v === 'object') return Object.values(v).every(isEmpty);
  return false;
}

function pruneMessage(message: string, value: unknown, path: string, unknown: string[]): unknown {
  const fields = objectSchema[message];
  if (!fields || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const p = path ? `${path}.${key}` : key;
    const kind = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!kind) {
      if (!isEmpty(v)) unknown.push(p);
      continue;
    }
    out[key] = pruneValue(kind, v, p, unknown);
  }
  return out;
}

function pruneValue(kind: FieldKind, v: unknown, path: string, unknown: string[]): unknown {
  switch (kind.k) {
    case 'message':
      return pruneMessage(kind.ref, v, path, unknown);
    case 'list':
      return Array.isArray(v) ? v.map((x, i) => pruneValue(kind.of, x, `${path}[${i}]`, unknown)) : v;
    case 'map':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pruneValue(kind.of, x, `${path}[${k}]`, unknown)]));
    default:
      return v;
  }
}

/** A Warning header value as kube-apiserver sends it (RFC 7234 warn-code 299, agent "-"). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
