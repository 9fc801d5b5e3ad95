import { ApiError, Reason, STATUS_TRAILER } from '@kemu/api';

/** gRPC status codes the transport reports when it never reached a server. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

interface TransportCause {
  code: number;
  details: string;
  metadata?: { get(key: string): unknown[] };
}

function transportCause(err: ApiError): TransportCause | undefined {
  const c = err.cause as Partial<TransportCause> | undefined;
  if (!c || typeof c !== 'object' || typeof c.code !== 'number' || typeof c.details !== 'string') return undefined;
  // A Status trailer means a server answered: its error is the server's, not the transport's.
  if ((c.metadata?.get(STATUS_TRAILER).length ?? 0) > 0) return undefined;
  return c as TransportCause;
}

/**
 * The message for an apiserver that could not be reached, naming the address(es) tried, or
 * undefined if `err` came from a server.
 */
export function connectionProblem(err: unknown, servers: readonly string[]): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const c = transportCause(err);
  if (!c) return undefined;
  const where = servers.join(', ');
  if (c.code === GRPC_UNAVAILABLE) {
    if (/ECONNREFUSED/.test(c.details)) return `The connection to the server ${where} was refused - is the cluster up? (kemu up)`;
    return `Unable to connect to the server ${where}: ${c.details || 'unavailable'} - is the cluster up? (kemu up)`;
  }
  if (c.code === GRPC_DEADLINE_EXCEEDED) return `Unable to connect to the server ${where}: no answer before the deadline (is the apiserver stopped or overloaded?)`;
  return undefined;
}

/** Where a request came from, for "error when creating "app.yaml": ...". */
export interface ErrorContext {
  verb: 'creating' | 'applying' | 'patching' | 'deleting' | 'retrieving current configuration of';
  source: string;
}

/**
 * An apiserver error as kubectl prints it:
 * - Invalid: `The Service "web" is invalid: spec.ports[0].port: Invalid value: 0: ...`, one
 *   cause per `* ` line when there are several;
 * - Unauthorized: `error: You must be logged in to the server (Unauthorized)`;
 * - anything else: `Error from server (NotFound): pods "x" not found`, with
 *   `error when creating "app.yaml": ` before the message when it came from a manifest.
 */
export function formatApiError(err: ApiError, ctx?: ErrorContext): string {
  const s = err.status;
  if (err.reason === Reason.Invalid && s.details) {
    const head = s.details.kind || s.details.name ? `The ${s.details.kind ?? ''} ${JSON.stringify(s.details.name ?? '')} is invalid` : 'The request is invalid';
    const causes = (s.details.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
    if (causes.length === 0) return head;
    if (causes.length === 1) return `${head}: ${causes[0]}`;
    return `${head}:\n${causes.map((c) => `* ${c}`).join('\n')}`;
  }
  if (err.reason === Reason.Unauthorized) return `error: You must be logged in to the server (${s.message ?? 'Unauthorized'})`;
  const message = ctx ? `error when ${ctx.verb} ${JSON.stringify(ctx.source)}: ${err.message}` : err.message;
  return s.reason ? `Error from server (${s.reason}): ${message}` : `Error from server: ${message}`;
}

/** Either kind of failure: the connection problem if there was one, else the server's error. */
export function describeFailure(err: unknown, servers: readonly string[], ctx?: ErrorContext): string | undefined {
  const conn = connectionProblem(err, servers);
  if (conn) return conn;
  if (err instanceof ApiError) return formatApiError(err, ctx);
  return undefined;
}
