import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `${opsUrl}/readyz` answers 200, for at most `timeoutMs`; rejects early when
 * `alive()` says the process is gone. The error names the last failing checks.
 */
export async function waitUntilReady(opsUrl: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process exited before it became ready (${opsUrl}/readyz)`);
    try {
      const res = await fetch(`${opsUrl}/readyz?verbose`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
      last = (await res.text()).trim().split('\n').filter((l) => l.startsWith('[-]')).join('; ') || `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1_000} s: ${last}`);
}
