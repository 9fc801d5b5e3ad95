import { errors, type ApiError } from './errors.js';
import { schema } from './gen/kemu/api/schema.js';
import { resourceInfo, type ResourceName, type ResourceTypes } from './resources.js';
import type { FieldKind } from './schema-types.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const GO_TYPE: Record<string, string> = {
  string: 'string',
  bool: 'bool',
  int32: 'int32',
  int64: 'int64',
  time: 'v1.Time',
  intOrString: 'intstr.IntOrString',
};

/**
 * Strict decoding of a Kubernetes object from parsed JSON/YAML, against the schema in
 * proto/kemu/api. Like kube-apiserver's strict field validation it refuses fields kemu
 * does not know (`unknown field "spec.foo"`) and values of the wrong type, so nothing a
 * user wrote is silently dropped. JSON nulls mean "not set" and are removed, as Go does.
 * Returns a fresh object; the input is not modified.
 */
export function decodeObject<R extends ResourceName>(resource: R, value: unknown): ResourceTypes[R] {
  const info = resourceInfo(resource);
  const fail = (why: string): ApiError =>
    errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${info.kind}`);
  }
  const obj = value as Record<string, unknown>;
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== info.apiVersion) {
    throw errors.badRequest(
      `the API version in the data (${JSON.stringify(obj['apiVersion'])}) does not match the expected API version (${info.apiVersion})`,
    );
  }
  if (obj['kind'] !== undefined && obj['kind'] !== info.kind) {
    throw errors.badRequest(`the kind in the data (${JSON.stringify(obj['kind'])}) does not match the expected kind (${info.kind})`);
  }
  const unknown: string[] = [];
  const typeErrors: string[] = [];
  const out = decodeMessage(info.schema, obj, '', unknown, typeErrors) as ResourceTypes[R];
  if (typeErrors.length) throw fail(typeErrors[0]!);
  if (unknown.length) throw fail(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  out.apiVersion = info.apiVersion;
  out.kind = info.kind;
  return out;
}

function decodeMessage(
  name: string,
  obj: Record<string, unknown>,
  path: string,
  unknown: string[],
  typeErrors: string[],
): Record<string, unknown> {
  const fields = schema[name];
  if (!fields) throw new Error(`decode: no schema for ${name}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(obj)) {
    const p = path ? `${path}.${key}` : key;
    const kind = fields[key];
    if (!kind) {
      unknown.push(p);
      continue;
    }
    if (v === null || v === undefined) continue;
    const d = decodeValue(kind, v, p, shortName(name), unknown, typeErrors);
    if (d !== undefined) out[key] = d;
  }
  return out;
}

function decodeValue(
  kind: FieldKind,
  v: unknown,
  path: string,
  owner: string,
  unknown: string[],
  typeErrors: string[],
): unknown {
  const mismatch = (goType: string): undefined => {
    typeErrors.push(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${owner}.${stripIndexes(path)} of type ${goType}`);
    return undefined;
  };
  switch (kind.k) {
    case 'string':
      return typeof v === 'string' ? v : mismatch('string');
    case 'bool':
      return typeof v === 'boolean' ? v : mismatch('bool');
    case 'int32':
      return typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? v : mismatch('int32');
    case 'int64':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : mismatch('int64');
    case 'time':
      if (typeof v !== 'string') return mismatch(GO_TYPE['time']!);
      if (!RFC3339.test(v) || Number.isNaN(Date.parse(v))) {
        typeErrors.push(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse (field ${path})`);
        return undefined;
      }
      return v;
    case 'intOrString':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return v;
      return mismatch(GO_TYPE['intOrString']!);
    case 'message':
      if (typeof v !== 'object' || Array.isArray(v)) return mismatch(`v1.${shortName(kind.ref)}`);
      return decodeMessage(kind.ref, v as Record<string, unknown>, path, unknown, typeErrors);
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) return mismatch('map[string]string');
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === null) continue;
        const d = decodeValue(kind.of, x, `${path}[${k}]`, owner, unknown, typeErrors);
        if (d !== undefined) m[k] = d;
      }
      return m;
    }
    case 'list': {
      if (!Array.isArray(v)) return mismatch(`[]${kind.of.k === 'message' ? `v1.${shortName(kind.of.ref)}` : kind.of.k}`);
      return v.map((x, i) => decodeValue(kind.of, x, `${path}[${i}]`, owner, unknown, typeErrors));
    }
  }
}

const shortName = (full: string): string => full.slice(full.lastIndexOf('.') + 1);
const stripIndexes = (p: string): string => p.replace(/\[[^\]]*\]/g, '');

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}
