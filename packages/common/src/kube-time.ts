/** Kubernetes `metav1.Time`: RFC 3339 with whole seconds, as the kubelet writes it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Kubernetes `metav1.MicroTime` (Lease renewTime): RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined if absent or unreadable. */
export function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}
