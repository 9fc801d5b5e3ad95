import { isDeepStrictEqual } from 'node:util';
import { ApiError, errors } from '@kemu/api';

type Op =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; path: string; from: string };

/**
 * Parses an RFC 6902 JSON patch document. A malformed document is a 400 BadRequest, as
 * kube-apiserver answers it.
 */
export function parseJsonPatch(doc: unknown): Op[] {
  if (!Array.isArray(doc)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return doc.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw errors.badRequest(`json patch operation ${i} is not an object`);
    }
    const o = raw as Record<string, unknown>;
    const path = o['path'];
    if (typeof path !== 'string') throw errors.badRequest(`json patch operation ${i}: missing or invalid "path"`);
    switch (o['op']) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.hasOwn(o, 'value')) throw errors.badRequest(`json patch operation ${i} (${o['op']}): missing "value"`);
        return { op: o['op'], path, value: o['value'] };
      case 'remove':
        return { op: 'remove', path };
      case 'move':
      case 'copy':
        if (typeof o['from'] !== 'string') throw errors.badRequest(`json patch operation ${i} (${o['op']}): missing "from"`);
        return { op: o['op'], path, from: o['from'] };
      default:
        throw errors.badRequest(`Unexpected kind: ${JSON.stringify(o['op'] ?? '')}`);
    }
  });
}

/**
 * Applies RFC 6902 operations in order to a copy of `doc`. An operation that does not
 * apply (missing path, failed test) is a 422 whose cause carries the reason, the way
 * kube-apiserver reports a JSON patch it could not apply.
 */
export function applyJsonPatch(doc: unknown, ops: readonly Op[]): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        root = add(root, op.path, structuredClone(op.value), 'add');
        break;
      case 'remove':
        root = remove(root, op.path).root;
        break;
      case 'replace':
        root = replace(root, op.path, structuredClone(op.value));
        break;
      case 'move': {
        if (op.path.startsWith(`${op.from}/`)) fail(`move operation: the "from" location ${op.from} is a prefix of "path"`);
        const taken = remove(root, op.from);
        root = add(taken.root, op.path, taken.value, 'move');
        break;
      }
      case 'copy':
        root = add(root, op.path, structuredClone(get(root, op.from, 'copy')), 'copy');
        break;
      case 'test':
        if (!isDeepStrictEqual(get(root, op.path, 'test'), op.value)) fail(`testing value ${op.path} failed: test failed`);
        break;
    }
  }
  return root;
}

function fail(why: string): never {
  throw new ApiError({
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: { causes: [{ reason: 'UnexpectedServerResponse', message: why }] },
    code: 422,
  });
}

/** RFC 6901 pointer to its reference tokens. */
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) fail(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];
type JsonMap = Record<string, unknown>;
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

function index(arr: unknown[], tok: string, allowEnd: boolean, path: string): number {
  if (allowEnd && tok === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(tok)) fail(`doc is missing path: ${JSON.stringify(path)}: invalid array index ${JSON.stringify(tok)}`);
  const i = Number(tok);
  if (i > arr.length || (!allowEnd && i === arr.length)) fail(`doc is missing path: ${JSON.stringify(path)}: index out of range`);
  return i;
}

/** The parent of the value at `path`, and the last token. */
function parent(root: unknown, path: string, what: string): { container: Container; last: string } {
  const toks = tokens(path);
  const last = toks.pop();
  if (last === undefined) fail(`${what} operation does not apply: the whole document is not a path`);
  let cur: unknown = root;
  for (const t of toks) {
    if (Array.isArray(cur)) cur = cur[index(cur, t, false, path)];
    else if (isContainer(cur) && Object.hasOwn(cur, t)) cur = (cur as JsonMap)[t];
    else fail(`${what} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  }
  if (!isContainer(cur)) fail(`${what} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
  return { container: cur, last };
}

function get(root: unknown, path: string, what: string): unknown {
  if (path === '') return root;
  const { container, last } = parent(root, path, what);
  if (Array.isArray(container)) return container[index(container, last, false, path)];
  if (!Object.hasOwn(container, last)) fail(`${what} operation does not apply: doc is missing key: ${path}: missing value`);
  return container[last];
}

function add(root: unknown, path: string, value: unknown, what: string): unknown {
  if (path === '') return value;
  const { container, last } = parent(root, path, what);
  if (Array.isArray(container)) container.splice(index(container, last, true, path), 0, value);
  else container[last] = value;
  return root;
}

function replace(root: unknown, path: string, value: unknown): unknown {
  get(root, path, 'replace');
  if (path === '') return value;
  const { container, last } = parent(root, path, 'replace');
  if (Array.isArray(container)) container[index(container, last, false, path)] = value;
  else container[last] = value;
  return root;
}

function remove(root: unknown, path: string): { root: unknown; value: unknown } {
  if (path === '') fail('remove operation does not apply: cannot remove the whole document');
  const { container, last } = parent(root, path, 'remove');
  if (Array.isArray(container)) {
    const i = index(container, last, false, path);
    return { root, value: container.splice(i, 1)[0] };
  }
  if (!Object.hasOwn(container, last)) fail(`Unable to remove nonexistent key: ${last}: missing value`);
  const value = container[last];
  delete container[last];
  return { root, value };
}
