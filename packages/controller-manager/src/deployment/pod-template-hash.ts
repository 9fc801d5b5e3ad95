import type { core } from '@kemu/api';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Kubernetes' SafeEncodeString alphabet: no vowels (no words) and no look-alikes (0/o, 1/l). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a. */
export function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Maps each character to the safe alphabet, as Kubernetes renders the hash of a template. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * JSON with object keys sorted and "empty" values (undefined, null, [], {}) left out, so two
 * templates that mean the same thing serialise identically whichever optional fields
 * were spelled out.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? '';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = canonical((value as Record<string, unknown>)[k]);
      if (v === undefined || v === null) continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
      out[k] = v;
    }
    return out;
  }
  return value;
}

/** The template without the pod-template-hash label, which the hash must not depend on. */
export function withoutHashLabel(template: core.PodTemplateSpec | undefined): core.PodTemplateSpec {
  const t = template ?? {};
  const labels = { ...t.metadata?.labels };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...t, metadata: { ...t.metadata, labels } };
}

/**
 * The pod-template-hash of a Deployment's template: FNV-32a over the canonical JSON of the
 * template (hash label removed), followed by the collision count as 4 little-endian bytes
 * when it is non-zero, rendered as the decimal digits mapped through the safe alphabet
 * (Kubernetes does the same over its own serialisation). Deterministic across processes.
 */
export function podTemplateHash(template: core.PodTemplateSpec | undefined, collisionCount = 0): string {
  const body = new TextEncoder().encode(canonicalJson(withoutHashLabel(template)));
  let bytes = body;
  if (collisionCount > 0) {
    bytes = new Uint8Array(body.length + 4);
    bytes.set(body);
    new DataView(bytes.buffer).setUint32(body.length, collisionCount >>> 0, true);
  }
  return safeEncode(String(fnv32a(bytes)));
}

/** Whether two templates are the same apart from the pod-template-hash label. */
export function templatesEqual(a: core.PodTemplateSpec | undefined, b: core.PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}
