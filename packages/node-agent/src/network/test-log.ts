import { createLogger, type Logger } from '@kemu/common';

/** A real logger that prints nothing unless KEMU_LOG_LEVEL is set. */
export function testLogger(name: string): Logger {
  const log = createLogger(name);
  if (process.env['KEMU_LOG_LEVEL'] === undefined) log.level = 'silent';
  return log;
}
