import { ApiError } from '@kemu/api';

/** What a response body should be, from the request's Accept header. */
export type Representation = { kind: 'json' } | { kind: 'table'; apiVersion: string };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim());
      const p: Record<string, string> = {};
      for (const kv of params) {
        const i = kv.indexOf('=');
        if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim().replace(/^"|"$/g, '');
      }
      return { type: type.toLowerCase(), params: p };
    })
    .filter((m) => m.type !== '');
}

const jsonish = (t: string): boolean => t === 'application/json' || t === '*/*' || t === 'application/*';

/**
 * Content negotiation for object and list responses, as kubectl uses it: `application/json;
 * as=Table;g=meta.k8s.io;v=v1` (or v1beta1) asks for server-side printing, plain JSON (or
 * no Accept at all) for objects. Anything else only (protobuf, CBOR) is 406 NotAcceptable.
 * `tableAllowed` is false where Kubernetes has no Table form (subresources, discovery).
 */
export function negotiate(accept: string | undefined, tableAllowed: boolean): Representation {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const m of parseMediaRanges(accept)) {
    if (m.params['as'] === 'Table') {
      const group = m.params['g'];
      const version = m.params['v'];
      if (tableAllowed && jsonish(m.type) && group === 'meta.k8s.io' && (version === 'v1' || version === 'v1beta1')) {
        return { kind: 'table', apiVersion: `meta.k8s.io/${version}` };
      }
      continue;
    }
    if (m.params['as'] !== undefined) continue;
    if (jsonish(m.type)) return { kind: 'json' };
  }
  throw new ApiError({
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io`,
    reason: 'NotAcceptable',
    code: 406,
  });
}

/** A request body's format, from Content-Type. */
export type BodyFormat = 'json' | 'yaml' | 'protobuf';

export type PatchFormat = 'json-patch' | 'merge-patch' | 'strategic-merge-patch';

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function unsupported(got: string, accepted: readonly string[]): ApiError {
  return new ApiError({
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `the body of the request was in an unknown format${got ? ` (${got})` : ''} - accepted media types include: ${accepted.join(', ')}`,
    reason: 'UnsupportedMediaType',
    code: 415,
  });
}

/** POST, PUT and DELETE bodies: JSON (the default when unset), YAML or Kubernetes protobuf. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const t = mediaType(contentType);
  if (t === '' || t === 'application/json') return 'json';
  if (t === 'application/yaml') return 'yaml';
  if (t === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw unsupported(t, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
}

/** PATCH bodies: the three patch types kemu applies (server-side apply is not among them). */
export function patchFormat(contentType: string | undefined): PatchFormat {
  switch (mediaType(contentType)) {
    case 'application/json-patch+json':
      return 'json-patch';
    case 'application/merge-patch+json':
      return 'merge-patch';
    case 'application/strategic-merge-patch+json':
      return 'strategic-merge-patch';
    default:
      throw unsupported(mediaType(contentType), [
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
      ]);
  }
}
