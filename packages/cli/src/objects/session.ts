import { ApiError, type KubeClient } from '@kemu/api';
import { CliError, openContext } from '../context.js';
import { connectionProblem, formatApiError } from './api-errors.js';
import { TargetError, UnknownKindError } from './kinds.js';
import { ManifestSyntaxError } from './manifest.js';

/** The flags every object command takes (see cli-options.ts). */
export interface ConnectionFlags {
  stateDir: string;
  server?: string;
  token?: string;
  namespace?: string;
}

/** An open connection to the cluster, for one command. */
export interface Session {
  client: KubeClient;
  /** the apiserver addresses tried, for error messages */
  servers: readonly string[];
  /** -n, or "default" */
  namespace: string;
  /** whether -n was given (apply refuses objects of another namespace then) */
  namespaceExplicit: boolean;
}

export const DEFAULT_NAMESPACE = 'default';

/**
 * Runs `fn` with a client for the cluster of the flags, then closes it. Every failure
 * leaves as a CliError with kubectl's wording: an unreachable apiserver names the
 * address(es) tried, an apiserver error is printed as the server sent it.
 */
export async function withSession<T>(flags: ConnectionFlags, fn: (s: Session) => Promise<T>): Promise<T> {
  const ctx = openContext({ stateDir: flags.stateDir, server: flags.server, token: flags.token });
  const session: Session = {
    client: ctx.client,
    servers: ctx.servers,
    namespace: flags.namespace || DEFAULT_NAMESPACE,
    namespaceExplicit: flags.namespace !== undefined && flags.namespace !== '',
  };
  try {
    return await fn(session);
  } catch (err) {
    throw toCliError(err, ctx.servers);
  } finally {
    ctx.client.close();
  }
}

/** The CliError a failure is shown as; errors that are not the user's are passed on. */
export function toCliError(err: unknown, servers: readonly string[]): unknown {
  if (err instanceof CliError) return err;
  const conn = connectionProblem(err, servers);
  if (conn) return new CliError(conn, 1, { cause: err });
  if (err instanceof ApiError) return new CliError(formatApiError(err), 1, { cause: err });
  if (err instanceof UnknownKindError || err instanceof TargetError || err instanceof ManifestSyntaxError) {
    return new CliError(`error: ${err.message}`, 1, { cause: err });
  }
  return err;
}

/** Writes a line to stderr (errors and notes that are not the command's output). */
export const warn = (line: string): void => void process.stderr.write(`${line}\n`);
