import { isDeepStrictEqual } from 'node:util';
import { errors } from '@kemu/api';
import { fieldKind, messageOf, patchStrategy } from './patch-meta.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';

/**
 * Kubernetes strategic merge patch (application/strategic-merge-patch+json), applied to
 * `original` whose schema is the message `rootMessage`. Maps merge key by key and null
 * deletes; lists with a merge strategy merge element by element (by their merge key, or
 * as a set for primitives), every other list is replaced. The directives kubectl sends
 * are honoured: `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>`
 * and `$deleteFromPrimitiveList/<list>`. Pure: returns a new value, inputs untouched.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, rootMessage: string): unknown {
  if (!isMap(patch)) throw errors.badRequest('invalid JSON document: a strategic merge patch must be a JSON object');
  return mergeMap(isMap(original) ? original : {}, patch, rootMessage);
}

function mergeMap(original: JsonMap, patch: JsonMap, message: string | undefined): JsonMap {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'replace') return mergeMap({}, withoutKey(patch, DIRECTIVE), message);
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw errors.badRequest(`Unable to merge: unknown patch type: ${JSON.stringify(directive)}`);
  }
  const out: JsonMap = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw errors.badRequest('Unable to merge: $retainKeys must be a list of field names');
    }
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_PRIMITIVES)) {
      const field = key.slice(DELETE_PRIMITIVES.length);
      if (!Array.isArray(value)) throw errors.badRequest(`Unable to merge: ${key} must be a list`);
      const cur = out[field];
      if (Array.isArray(cur)) {
        const kept = cur.filter((x) => !value.some((d) => isDeepStrictEqual(d, x)));
        if (kept.length) out[field] = kept;
        else delete out[field];
      }
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const kind = fieldKind(message, key);
    if (Array.isArray(value)) {
      const strategy = patchStrategy(message, key);
      const order = patch[`${SET_ORDER}${key}`];
      if (strategy?.strategy === 'merge') {
        const cur = Array.isArray(out[key]) ? (out[key] as unknown[]) : [];
        out[key] = mergeList(cur, value, strategy.mergeKey, messageOf(kind), order);
      } else {
        out[key] = (value as unknown[]).map((e) => (isMap(e) ? mergeMap({}, e, messageOf(kind)) : e));
      }
    } else if (isMap(value)) {
      const sub = kind?.k === 'message' ? kind.ref : undefined;
      out[key] = mergeMap(isMap(out[key]) ? out[key] : {}, value, sub);
    } else {
      out[key] = value;
    }
  }
  // An order for a list the patch does not otherwise touch still reorders it.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    if (Object.hasOwn(patch, field) || !Array.isArray(out[field])) continue;
    out[field] = reorder(out[field] as unknown[], order, patchStrategy(message, field)?.strategy === 'merge' ? mergeKeyOf(message, field) : undefined);
  }
  return out;
}

function mergeKeyOf(message: string | undefined, field: string): string | undefined {
  const s = patchStrategy(message, field);
  return s?.strategy === 'merge' ? s.mergeKey : undefined;
}

function withoutKey(m: JsonMap, key: string): JsonMap {
  const { [key]: _drop, ...rest } = m;
  return rest;
}

/** A list with a merge strategy: by merge key for maps, as a set for primitives. */
function mergeList(original: unknown[], patch: unknown[], mergeKey: string | undefined, elem: string | undefined, order: unknown): unknown[] {
  if (mergeKey === undefined) {
    const out = [...original];
    for (const x of patch) {
      if (isMap(x)) throw errors.badRequest('Unable to merge: a map in a list of primitives');
      if (!out.some((y) => isDeepStrictEqual(x, y))) out.push(x);
    }
    return reorder(out, order, undefined);
  }
  const deletes: unknown[] = [];
  const items: JsonMap[] = [];
  let replace = false;
  for (const e of patch) {
    if (!isMap(e)) throw errors.badRequest(`Unable to merge: found a non-map element in a list merged by ${JSON.stringify(mergeKey)}`);
    const directive = e[DIRECTIVE];
    if (directive === undefined || directive === 'merge') {
      items.push(directive === undefined ? e : withoutKey(e, DIRECTIVE));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'delete') {
      if (!Object.hasOwn(e, mergeKey)) throw errors.badRequest(`Unable to merge: delete directive without merge key ${JSON.stringify(mergeKey)}`);
      deletes.push(e[mergeKey]);
    } else {
      throw errors.badRequest(`Unable to merge: unknown patch type: ${JSON.stringify(directive)}`);
    }
  }
  if (replace) return items.map((e) => mergeMap({}, e, elem));
  const out = original.filter((o) => !(isMap(o) && deletes.some((d) => isDeepStrictEqual(o[mergeKey], d))));
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) {
      throw errors.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    }
    const i = out.findIndex((o) => isMap(o) && isDeepStrictEqual(o[mergeKey], item[mergeKey]));
    if (i >= 0) out[i] = mergeMap(out[i] as JsonMap, item, elem);
    else out.push(mergeMap({}, item, elem));
  }
  return reorder(out, order, mergeKey);
}

/**
 * `$setElementOrder`: elements the order names come in that order; elements it does not
 * name (present only on the server) follow, in their existing relative order.
 */
function reorder(list: unknown[], order: unknown, mergeKey: string | undefined): unknown[] {
  if (order === undefined) return list;
  if (!Array.isArray(order)) throw errors.badRequest('Unable to merge: $setElementOrder must be a list');
  const keyOf = (e: unknown): unknown => (mergeKey !== undefined && isMap(e) ? e[mergeKey] : e);
  const wanted = order.map(keyOf);
  const pos = (e: unknown): number => wanted.findIndex((w) => isDeepStrictEqual(w, keyOf(e)));
  const named = list.filter((e) => pos(e) >= 0).sort((a, b) => pos(a) - pos(b));
  return [...named, ...list.filter((e) => pos(e) < 0)];
}
