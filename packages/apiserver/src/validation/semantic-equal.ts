/**
 * Kubernetes' semantic equality for API objects, as its update rules use it: empty and
 * absent lists and maps are equal, and so are a zero value and an absent field (which Go's
 * non-pointer fields cannot tell apart). Key order does not matter.
 */

/** A canonical text of a value, for comparing specs: keys sorted, empty lists and maps as absent. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.length ? x.map(norm) : undefined;
    if (x !== null && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const n = norm((x as Record<string, unknown>)[k]);
        if (n !== undefined) out[k] = n;
      }
      return Object.keys(out).length ? out : undefined;
    }
    return x === '' || x === 0 || x === false ? undefined : x;
  };
  return JSON.stringify(norm(v) ?? null);
}

export const semanticEqual = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);
