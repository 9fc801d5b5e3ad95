import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Why the native engine ended a pair (native/forwarder.c END_*). */
export const EndReason = {
  done: 0,
  clientReset: 1,
  backendReset: 2,
  closedByAgent: 3,
  error: 4,
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

declare const engineBrand: unique symbol;
export type EngineHandle = { readonly [engineBrand]: true };

/** The Node-API module built from native/forwarder.c (see scripts/build-native.mjs). */
export interface NativeForwarder {
  /** Records of 5 numbers: [0, slot, toBackend, toClient, reason] or [1, listenerId, clientFd, clientIPv4, clientPort]. */
  create(onEvents: (records: Float64Array) => void, threads?: number): EngineHandle;
  /** `owned`: the client fd is one the engine accepted and passes to it (else it is dup()ed). */
  add(engine: EngineHandle, slot: number, clientFd: number, backendFd: number, owned?: boolean): void;
  close(engine: EngineHandle, slot: number): void;
  /** The engine accepts on this listening fd and reports clients under `id` (never reused). */
  watch(engine: EngineHandle, id: number, fd: number): void;
  /** Stops accepting and closes the listening fd. */
  unwatch(engine: EngineHandle, id: number, fd: number): void;
  /** Resets and closes an accepted client the agent will not serve. */
  reset(fd: number): void;
  stop(engine: EngineHandle): void;
  /** A bound (and, for TCP, listening) socket with SO_REUSEPORT; returns its fd. */
  listen(ip: string, port: number, udp: boolean): number;
  /** Raises the soft open-file limit to the hard one; returns the limit now in force. */
  raiseNofile(): number;
}

const modulePath = fileURLToPath(new URL('../../native/kemu-forwarder.node', import.meta.url));
let loaded: NativeForwarder | null | undefined;

/**
 * The native forwarder, or undefined when it was not built (no C compiler or Node headers at
 * build time) or KEMU_FORWARDER=js asks for the JavaScript one.
 */
export function loadNative(): NativeForwarder | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.env.KEMU_FORWARDER === 'js' || !existsSync(modulePath)) return undefined;
  loaded = createRequire(import.meta.url)(modulePath) as NativeForwarder;
  return loaded;
}

export function nativeModulePath(): string {
  return modulePath;
}
