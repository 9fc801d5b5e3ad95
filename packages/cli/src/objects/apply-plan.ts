import { deepEqual, isJsonObject as isObj, toJson, type Json, type JsonObject } from './json.js';

/**
 * `kemu apply`'s decision, as pure data: what to send for a manifest given the live object.
 *
 * Like kubectl's client-side apply, the manifest last applied is kept in the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, and the object sent is a
 * three-way merge of the live object, the new manifest and that last one:
 * - fields the manifest sets win;
 * - fields the manifest leaves out keep their live value (server defaults, allocated
 *   clusterIP and nodePorts, replicas changed by `kemu scale`, controllers' annotations),
 *   except those the last applied manifest had set, which the user has removed;
 * - lists of objects are merged element by element, matched by a key (name, port,
 *   containerPort...) as strategic merge patch does, so a Service port keeps its nodePort;
 *   lists of scalars are replaced;
 * - `null` in the manifest removes the field.
 * Status and system metadata always come from the live object.
 *
 * Invariant: applying the same manifest twice gives "unchanged" the second time (the
 * merge of live and manifest is the live object itself).
 */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export type ApplyPlan =
  | { action: 'create'; object: JsonObject }
  | { action: 'configure'; object: JsonObject; missingAnnotation: boolean }
  | { action: 'unchanged' };

/** Metadata only the server sets: never taken from a manifest. */
const SYSTEM_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

export function planApply(manifest: Record<string, unknown>, live: Record<string, unknown> | undefined): ApplyPlan {
  const desired = cleanManifest(manifest);
  const lastApplied = canonicalJson(desired);
  const meta = (desired['metadata'] ??= {}) as JsonObject;
  meta['annotations'] = { ...((meta['annotations'] as JsonObject | undefined) ?? {}), [LAST_APPLIED]: lastApplied };
  if (!live) return { action: 'create', object: withoutNulls(desired) as JsonObject };

  const liveJson = toJson(live) as JsonObject;
  const annotations = ((liveJson['metadata'] as JsonObject | undefined)?.['annotations'] ?? {}) as JsonObject;
  const lastText = annotations[LAST_APPLIED];
  let last: Json | undefined;
  if (typeof lastText === 'string') {
    try {
      last = JSON.parse(lastText) as Json;
    } catch {
      last = undefined;
    }
  }
  const merged = mergeValue(liveJson, desired, last) as JsonObject;
  if ('status' in liveJson) merged['status'] = liveJson['status']!;
  else delete merged['status'];
  if (deepEqual(merged, liveJson)) return { action: 'unchanged' };
  return { action: 'configure', object: merged, missingAnnotation: typeof lastText !== 'string' };
}

/** The manifest as JSON without status and system metadata (never the user's to set). */
function cleanManifest(manifest: Record<string, unknown>): JsonObject {
  const m = toJson(manifest) as JsonObject;
  delete m['status'];
  const meta = m['metadata'];
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    for (const k of SYSTEM_METADATA) delete meta[k];
    const ann = meta['annotations'];
    if (ann && typeof ann === 'object' && !Array.isArray(ann)) {
      delete ann[LAST_APPLIED];
      if (Object.keys(ann).length === 0) delete meta['annotations'];
    }
  }
  return m;
}

/** JSON with keys sorted at every level and a final newline, as kubectl stores the annotation. */
export function canonicalJson(v: Json): string {
  const sort = (x: Json): Json => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) out[k] = sort(x[k]!);
      return out;
    }
    return x;
  };
  return `${JSON.stringify(sort(v))}\n`;
}


function mergeValue(live: Json | undefined, mine: Json, last: Json | undefined): Json {
  if (isObj(mine)) return isObj(live) ? mergeObjects(live, mine, isObj(last) ? last : undefined) : (withoutNulls(mine));
  if (Array.isArray(mine)) return Array.isArray(live) ? mergeLists(live, mine, Array.isArray(last) ? last : undefined) : (withoutNulls(mine));
  return mine;
}

function mergeObjects(live: JsonObject, mine: JsonObject, last: JsonObject | undefined): JsonObject {
  const out: JsonObject = { ...live };
  for (const [k, v] of Object.entries(mine)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(live[k], v, last?.[k]);
  }
  for (const k of Object.keys(last ?? {})) if (!(k in mine)) delete out[k];
  return out;
}

/** Keys that identify an element of a list of objects, in order of preference. */
const MERGE_KEYS = ['name', 'containerPort', 'port', 'mountPath', 'ip', 'type', 'key'];

function mergeLists(live: Json[], mine: Json[], last: Json[] | undefined): Json[] {
  if (!mine.every(isObj)) return withoutNulls(mine) as Json[];
  const objs = mine;
  const key = MERGE_KEYS.find((k) => {
    const values = objs.map((o) => o[k]);
    return values.every((v) => v !== undefined && v !== null && typeof v !== 'object') && new Set(values).size === values.length;
  });
  const find = (list: Json[] | undefined, el: JsonObject, i: number): JsonObject | undefined => {
    const hit = key === undefined ? list?.[i] : list?.find((x) => isObj(x) && x[key] === el[key]);
    return isObj(hit) ? hit : undefined;
  };
  return objs.map((el, i) => {
    const l = find(live, el, i);
    return l ? mergeObjects(l, el, find(last, el, i)) : (withoutNulls(el));
  });
}

/** A copy without null-valued object members (a null in a manifest means "not set"). */
function withoutNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObj(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}

