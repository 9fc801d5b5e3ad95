import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * An error's message as a person should read it: gRPC's "Resolution note:" tail and the
 * repeated "No connection established. Last error: Error:" prefix dropped, so that
 * "connect ECONNREFUSED 127.0.2.1:6443" is what is left of a refused connection; a call
 * that ran out of its `timeoutMs` deadline is "no answer within N s".
 */
export function grpcMessage(err: unknown, timeoutMs?: number): string {
  const e = err as { code?: number; details?: string; message?: string };
  if (timeoutMs !== undefined && e.code === GrpcStatus.DEADLINE_EXCEEDED) return `no answer within ${timeoutMs / 1_000} s`;
  const raw = e.details ?? e.message ?? String(err);
  return raw
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/No connection established\. Last error: (Error: )?/g, '')
    .replace(/\.\s*$/, '')
    .trim();
}
