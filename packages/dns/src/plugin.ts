import type { Answer } from './wire/message.js';
import type { Query } from './wire/parse.js';

/** One query as the handler chain sees it. */
export interface Request {
  query: Query;
  transport: 'udp' | 'tcp';
  remoteAddress: string;
  remotePort: number;
  /** Set by the server: when the query arrived (performance.now()). */
  startedAt: number;
}

/**
 * A version that changes whenever the data an answer was built from changes. An answer
 * built from data that still has the versions it had then is still the right answer:
 * this is how the cache keeps Kubernetes answers current without waiting out their TTL.
 */
export class Version {
  value = 0;
  bump(): void {
    this.value++;
  }
}

/** What a handler gives back: an answer to encode, or a reply already on the wire. */
export type Result =
  | { kind: 'answer'; answer: Answer; deps?: readonly Version[] }
  | { kind: 'wire'; wire: Buffer };

export type Next = (req: Request) => Result | Promise<Result>;

/**
 * A handler in the chain, in the manner of a CoreDNS plugin: it answers, or passes the
 * request to `next`, or wraps what `next` gives (cache, log, metrics).
 */
export interface Plugin {
  readonly name: string;
  serve(req: Request, next: Next): Result | Promise<Result>;
  /** Called once before the server listens (informers start here). */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Readiness: undefined when ready, or why not. */
  ready?(): string | undefined;
  /** Sees every reply the server sends, after it is sent (metrics, query log). */
  observe?(req: Request, wire: Buffer): void;
}

/** Composes plugins in order; the last `next` is `terminal`. */
export function chain(plugins: readonly Plugin[], terminal: Next): Next {
  let next = terminal;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const p = plugins[i]!;
    const after = next;
    next = (req) => p.serve(req, after);
  }
  return next;
}
