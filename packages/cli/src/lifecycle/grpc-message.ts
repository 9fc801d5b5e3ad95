/**
 * An error's message as a person should read it: gRPC's "Resolution note:" tail and the
 * repeated "No connection established. Last error: Error:" prefix dropped, so that
 * "connect ECONNREFUSED 127.0.2.1:6443" is what is left of a refused connection.
 */
export function grpcMessage(err: unknown): string {
  const e = err as { details?: string; message?: string };
  const raw = e.details ?? e.message ?? String(err);
  return raw
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/No connection established\. Last error: (Error: )?/g, '')
    .replace(/\.\s*$/, '')
    .trim();
}
