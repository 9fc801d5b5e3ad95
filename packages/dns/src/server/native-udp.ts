import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Opaque handle of a native UDP server. */
export type NativeServer = { readonly __brand: 'kemu-dns-udp' };

/** The native UDP fast path (native/udp.c); see its header for the contract. */
export interface NativeUdp {
  start(host: string, port: number, onMiss: (packet: Buffer, address: string, port: number) => void): NativeServer;
  port(s: NativeServer): number;
  send(s: NativeServer, reply: Buffer, address: string, port: number): void;
  set(s: NativeServer, key: Buffer, reply: Buffer, ttlMs: number): void;
  clear(s: NativeServer): void;
  stats(s: NativeServer): Float64Array;
  stop(s: NativeServer): void;
}

const modulePath = fileURLToPath(new URL('../native/kemu-dns-udp.node', import.meta.url));
let loaded: NativeUdp | null | undefined;

/**
 * The native UDP path, or undefined when it was not built (no C compiler or Node's headers
 * at build time) or KEMU_DNS_UDP=js asks for Node's UDP sockets.
 */
export function loadNativeUdp(): NativeUdp | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.env['KEMU_DNS_UDP'] === 'js' || !existsSync(modulePath)) return undefined;
  loaded = createRequire(import.meta.url)(modulePath) as NativeUdp;
  return loaded;
}

/** Where replies the fast path may give without asking JS are put, and dropped. */
export interface FastTable {
  set(key: Buffer, reply: Buffer, ttlMs: number): void;
  clear(): void;
}
