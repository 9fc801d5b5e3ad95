import { objectSchema, type FieldKind } from '@kemu/api';
import { KUBE_MAJOR, KUBE_MINOR } from './discovery.js';
import { groupVersions, gvPath, resourcesOf, type GroupVersion, type HttpResourceInfo } from './kinds.js';
import { PATCH_STRATEGIES } from './patch-meta.js';

/**
 * The OpenAPI documents kubectl reads: v2 (`/openapi/v2`; kubectl <= 1.26 validates
 * manifests against it and `kubectl explain` reads it) and v3 (`/openapi/v3` plus one
 * document per group/version; newer kubectl checks there that PATCH takes
 * `fieldValidation`, so it leaves validation to the server, and explains from it).
 * Both describe exactly kemu's schema (proto/kemu/api), under Kubernetes' definition
 * names, with the group-version-kind and patch-strategy extensions Kubernetes publishes.
 * Pure: built from the schema tables alone.
 */

export type JsonSchema = Record<string, unknown>;

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/** Kubernetes' definition name for a kemu message: kemu.api.core.v1.Pod -> io.k8s.api.core.v1.Pod. */
export function definitionName(message: string): string {
  const m = /^kemu\.api\.([a-z]+)\.(v[0-9a-z]+)\.(\w+)$/.exec(message);
  if (!m) return message;
  const [, pkg, version, name] = m;
  return pkg === 'meta' ? `io.k8s.apimachinery.pkg.apis.meta.${version}.${name}` : `io.k8s.api.${pkg}.${version}.${name}`;
}

type RefStyle = (name: string) => string;
const V2_REF: RefStyle = (n) => `#/definitions/${n}`;
const V3_REF: RefStyle = (n) => `#/components/schemas/${n}`;

function gvkExtension(group: string, version: string, kind: string): { group: string; kind: string; version: string } {
  return { group, kind, version };
}

function fieldSchema(kind: FieldKind, ref: RefStyle): JsonSchema {
  switch (kind.k) {
    case 'string':
      return { type: 'string' };
    case 'bool':
      return { type: 'boolean' };
    case 'int32':
      return { type: 'integer', format: 'int32' };
    case 'int64':
      return { type: 'integer', format: 'int64' };
    case 'time':
      return { $ref: ref(TIME) };
    case 'intOrString':
      return { $ref: ref(INT_OR_STRING) };
    case 'message':
      return { $ref: ref(definitionName(kind.ref)) };
    case 'map':
      return { type: 'object', additionalProperties: fieldSchema(kind.of, ref) };
    case 'list':
      return { type: 'array', items: fieldSchema(kind.of, ref) };
  }
}

function messageSchema(message: string, ref: RefStyle): JsonSchema {
  const fields = objectSchema[message] ?? {};
  const properties: Record<string, JsonSchema> = {};
  for (const [name, kind] of Object.entries(fields)) {
    const s = fieldSchema(kind, ref);
    const strategy = PATCH_STRATEGIES[`${message}.${name}`];
    if (strategy?.strategy === 'merge') {
      if (strategy.mergeKey) s['x-kubernetes-patch-merge-key'] = strategy.mergeKey;
      s['x-kubernetes-patch-strategy'] = 'merge';
    } else if (strategy?.strategy === 'retainKeys') {
      s['x-kubernetes-patch-strategy'] = 'retainKeys';
    }
    properties[name] = s;
  }
  return { type: 'object', properties };
}

/** Every message reachable from the served resources. */
function reachableMessages(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (m: string): void => {
    if (seen.has(m) || !objectSchema[m]) return;
    seen.add(m);
    const walk = (k: FieldKind): void => {
      if (k.k === 'message') visit(k.ref);
      else if (k.k === 'map' || k.k === 'list') walk(k.of);
    };
    for (const k of Object.values(objectSchema[m])) walk(k);
  };
  roots.forEach(visit);
  return [...seen];
}

function allResources(): HttpResourceInfo[] {
  return groupVersions().flatMap(resourcesOf);
}

/** The definitions both documents share, keyed by Kubernetes' names. */
export function definitions(ref: RefStyle): Record<string, JsonSchema> {
  const resources = allResources();
  const out: Record<string, JsonSchema> = {};
  for (const m of reachableMessages(resources.map((r) => r.schema))) out[definitionName(m)] = messageSchema(m, ref);
  for (const r of resources) {
    const d = out[definitionName(r.schema)]!;
    d['description'] = `${r.kind} (${r.apiVersion}): the fields kemu serves; any other field is rejected or dropped with a warning.`;
    d['x-kubernetes-group-version-kind'] = [gvkExtension(r.group, r.version, r.kind)];
  }
  out[INT_OR_STRING] = { type: 'string', format: 'int-or-string', description: 'A number or a string (a port number or a port name).' };
  out[TIME] = { type: 'string', format: 'date-time', description: 'An RFC 3339 timestamp.' };
  out[SCALE] = {
    type: 'object',
    description: 'Scale represents a scaling request for a resource.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: ref(definitionName('kemu.api.meta.v1.ObjectMeta')) },
      spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
      status: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' }, selector: { type: 'string' } } },
    },
    'x-kubernetes-group-version-kind': [gvkExtension('autoscaling', 'v1', 'Scale')],
  };
  return out;
}

const info = (): JsonSchema => ({ title: 'Kubernetes', version: `v${KUBE_MAJOR}.${KUBE_MINOR}.0-kemu` });

/** GET /openapi/v2 (Swagger 2.0; kubectl reads the definitions, not the paths). */
export function openApiV2(): JsonSchema {
  return { swagger: '2.0', info: info(), paths: {}, definitions: definitions(V2_REF) };
}

/** The key of a group/version in the /openapi/v3 index: "api/v1", "apis/apps/v1". */
export function v3Key(gv: GroupVersion): string {
  return gvPath(gv).slice(1);
}

/** GET /openapi/v3: where each group/version's document is; `hashOf` names its version. */
export function openApiV3Index(hashOf: (gv: GroupVersion) => string): JsonSchema {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) paths[v3Key(gv)] = { serverRelativeURL: `/openapi/v3/${v3Key(gv)}?hash=${hashOf(gv)}` };
  return { paths };
}

const queryParam = (name: string, type = 'string'): JsonSchema => ({ name, in: 'query', schema: { type, uniqueItems: true } });
const pathParam = (name: string): JsonSchema => ({ name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });

const WRITE_PARAMS = [queryParam('dryRun'), queryParam('fieldManager'), queryParam('fieldValidation')];
const LIST_PARAMS = [
  queryParam('allowWatchBookmarks', 'boolean'),
  queryParam('continue'),
  queryParam('fieldSelector'),
  queryParam('labelSelector'),
  queryParam('limit', 'integer'),
  queryParam('resourceVersion'),
  queryParam('resourceVersionMatch'),
  queryParam('sendInitialEvents', 'boolean'),
  queryParam('timeoutSeconds', 'integer'),
  queryParam('watch', 'boolean'),
];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

function operation(
  id: string,
  action: string,
  gvk: ReturnType<typeof gvkExtension>,
  schemaRef: string,
  params: JsonSchema[],
  body?: readonly string[],
): JsonSchema {
  const op: JsonSchema = {
    operationId: id,
    parameters: params,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: V3_REF(schemaRef) } } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  };
  if (body) {
    op['requestBody'] = { content: Object.fromEntries(body.map((t) => [t, { schema: { $ref: V3_REF(schemaRef) } }])), required: true };
  }
  return op;
}

function opId(verb: string, gv: GroupVersion, r: HttpResourceInfo, suffix = ''): string {
  const group = gv.group ? gv.group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase()) : 'Core';
  const ns = r.namespaced ? 'Namespaced' : '';
  return `${verb}${group}${gv.version.toUpperCase()}${ns}${r.kind}${suffix}`;
}

function resourcePaths(gv: GroupVersion, r: HttpResourceInfo): Record<string, JsonSchema> {
  const base = gvPath(gv);
  const gvk = gvkExtension(r.group, r.version, r.kind);
  const def = definitionName(r.schema);
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
  const nsParams = r.namespaced ? [pathParam('namespace')] : [];
  const out: Record<string, JsonSchema> = {
    [collection]: {
      parameters: nsParams,
      get: operation(opId('list', gv, r), 'list', gvk, def, LIST_PARAMS),
      post: operation(opId('create', gv, r), 'post', gvk, def, WRITE_PARAMS, ['application/json', 'application/yaml']),
      delete: operation(opId('deletecollection', gv, r), 'deletecollection', gvk, def, LIST_PARAMS),
    },
    [`${collection}/{name}`]: {
      parameters: [pathParam('name'), ...nsParams],
      get: operation(opId('read', gv, r), 'get', gvk, def, []),
      put: operation(opId('replace', gv, r), 'put', gvk, def, WRITE_PARAMS, ['application/json', 'application/yaml']),
      patch: operation(opId('patch', gv, r), 'patch', gvk, def, [...WRITE_PARAMS, queryParam('force', 'boolean')], PATCH_TYPES),
      delete: operation(opId('delete', gv, r), 'delete', gvk, def, [queryParam('dryRun'), queryParam('gracePeriodSeconds', 'integer'), queryParam('propagationPolicy')]),
    },
  };
  if (r.namespaced) out[`${base}/${r.resource}`] = { get: operation(opId('list', gv, { ...r, namespaced: false }, 'ForAllNamespaces'), 'list', gvk, def, LIST_PARAMS) };
  for (const sub of r.subresources) {
    const subGvk = sub === 'scale' ? gvkExtension('autoscaling', 'v1', 'Scale') : gvk;
    const subDef = sub === 'scale' ? SCALE : def;
    const suffix = sub === 'scale' ? 'Scale' : 'Status';
    out[`${collection}/{name}/${sub}`] = {
      parameters: [pathParam('name'), ...nsParams],
      get: operation(opId('read', gv, r, suffix), 'get', subGvk, subDef, []),
      put: operation(opId('replace', gv, r, suffix), 'put', subGvk, subDef, WRITE_PARAMS, ['application/json']),
      patch: operation(opId('patch', gv, r, suffix), 'patch', subGvk, subDef, [...WRITE_PARAMS, queryParam('force', 'boolean')], PATCH_TYPES),
    };
  }
  return out;
}

/** GET /openapi/v3/<api/v1 | apis/group/version>. */
export function openApiV3(gv: GroupVersion): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  for (const r of resourcesOf(gv)) Object.assign(paths, resourcePaths(gv, r));
  return { openapi: '3.0.0', info: info(), paths, components: { schemas: definitions(V3_REF) } };
}
