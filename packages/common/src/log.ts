import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (one line per event), with the component name on every
 * line. Level from KEMU_LOG_LEVEL (default info).
 */
export function createLogger(component: string, fields: Record<string, unknown> = {}): Logger {
  return pino({
    level: process.env['KEMU_LOG_LEVEL'] ?? 'info',
    base: { component, pid: process.pid, ...fields },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
