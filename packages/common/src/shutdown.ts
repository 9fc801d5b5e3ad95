import type { Logger } from 'pino';

/**
 * Graceful stop on SIGTERM/SIGINT: runs `stop` once, then exits 0; a second signal or a
 * stop that outlasts `timeoutMs` exits 1 at once. A Node process running as PID 1 in a
 * container ignores SIGTERM unless it installs a handler, so every kemu process calls this.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>, timeoutMs = 10_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
