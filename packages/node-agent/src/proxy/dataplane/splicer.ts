import type { Socket } from 'node:net';

export type SpliceEnd = 'done' | 'client-reset' | 'backend-reset' | 'closed' | 'error';

export interface SpliceResult {
  /** Bytes the client sent that reached the backend. */
  toBackend: number;
  /** Bytes the backend sent that reached the client. */
  toClient: number;
  end: SpliceEnd;
}

/** A live client<->backend pair; close() ends it (both sides closed). */
export interface Splice {
  close(): void;
}

/**
 * Moves bytes both ways between an accepted client socket and its connected backend socket,
 * honouring half-close (a FIN is passed on, the other direction keeps flowing) and passing a
 * reset on as a reset.
 * Contract: both sockets are connected and paused (nothing read by JS yet); the splicer owns
 * them from the call on. onEnd is called exactly once, after both are closed.
 */
export interface Splicer {
  readonly kind: 'native' | 'js';
  splice(client: Socket, backend: Socket, onEnd: (r: SpliceResult) => void): Splice;
  /** Pairs currently open. */
  readonly active: number;
  /** Ends every pair; their onEnd callbacks still run. */
  stop(): void;
}
