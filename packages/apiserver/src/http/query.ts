import { errors } from '@kemu/api';
import type { IncludeObject } from './table.js';
import type { FieldValidation } from './unknown-fields.js';

/** ListOptions from a query string (metav1.ListOptions' parameters). */
export interface ListParams {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  limit: number;
  continue: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  /** Seconds after which the server ends a watch; undefined: the server's default. */
  timeoutSeconds: number | undefined;
  includeObject: IncludeObject;
}

function bool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be true or false`);
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  }
  return Number(v);
}

export function listParams(q: URLSearchParams): ListParams {
  const include = q.get('includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
    throw errors.badRequest(`includeObject: Unsupported value: ${JSON.stringify(include)}: supported values: "Metadata", "None", "Object"`);
  }
  const match = q.get('resourceVersionMatch') ?? '';
  if (match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
  }
  const limit = int(q, 'limit') ?? 0;
  const timeout = int(q, 'timeoutSeconds');
  return {
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    resourceVersion: q.get('resourceVersion') ?? '',
    limit: limit > 0 ? limit : 0,
    continue: q.get('continue') ?? '',
    watch: bool(q, 'watch') ?? false,
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks') ?? false,
    sendInitialEvents: bool(q, 'sendInitialEvents'),
    timeoutSeconds: timeout !== undefined && timeout > 0 ? timeout : undefined,
    includeObject: include,
  };
}

export interface WriteParams {
  dryRun: boolean;
  fieldValidation: FieldValidation;
}

export function writeParams(q: URLSearchParams): WriteParams {
  const dry = q.getAll('dryRun');
  for (const d of dry) if (d !== 'All') throw errors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(d)}: supported values: "All"`);
  const fv = q.get('fieldValidation') ?? 'Warn';
  // kube-apiserver accepts the directive in any case ("strict" works like "Strict").
  const norm = fv.charAt(0).toUpperCase() + fv.slice(1).toLowerCase();
  if (norm !== 'Strict' && norm !== 'Warn' && norm !== 'Ignore') {
    throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  return { dryRun: dry.length > 0, fieldValidation: norm };
}

export interface DeleteParams {
  /** -1: the resource's default. */
  gracePeriodSeconds: number;
  propagationPolicy: 'Background' | 'Foreground' | 'Orphan';
  uid: string;
  resourceVersion: string;
  dryRun: boolean;
}

/**
 * DeleteOptions from the query string and the (optional) DeleteOptions body; the body
 * wins where both say something, as in kube-apiserver.
 */
export function deleteParams(q: URLSearchParams, body: unknown): DeleteParams {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (b['kind'] !== undefined && b['kind'] !== 'DeleteOptions') {
    throw errors.badRequest(`the body of a delete must be a DeleteOptions, not ${JSON.stringify(b['kind'])}`);
  }
  const grace = typeof b['gracePeriodSeconds'] === 'number' ? b['gracePeriodSeconds'] : (int(q, 'gracePeriodSeconds') ?? -1);
  let policy = (typeof b['propagationPolicy'] === 'string' ? b['propagationPolicy'] : q.get('propagationPolicy')) ?? '';
  const orphan = typeof b['orphanDependents'] === 'boolean' ? b['orphanDependents'] : bool(q, 'orphanDependents');
  if (orphan !== undefined) {
    if (policy) throw errors.badRequest('orphanDependents and propagationPolicy: Invalid value: both may not be set');
    policy = orphan ? 'Orphan' : 'Background';
  }
  if (policy === '') policy = 'Background';
  if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
    throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const pre = (typeof b['preconditions'] === 'object' && b['preconditions'] !== null ? b['preconditions'] : {}) as Record<string, unknown>;
  const dry = Array.isArray(b['dryRun']) ? (b['dryRun'] as unknown[]) : q.getAll('dryRun');
  if (grace < -1 || !Number.isSafeInteger(grace)) throw errors.badRequest(`gracePeriodSeconds: Invalid value: ${grace}: must be >= 0`);
  return {
    gracePeriodSeconds: grace,
    propagationPolicy: policy,
    uid: typeof pre['uid'] === 'string' ? pre['uid'] : '',
    resourceVersion: typeof pre['resourceVersion'] === 'string' ? pre['resourceVersion'] : '',
    dryRun: dry.length > 0,
  };
}
