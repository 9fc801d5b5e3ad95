import { readFileSync } from 'node:fs';
import type { EtcdTestCluster } from './etcd-cluster.js';

/** One structured (pino JSON) line of a member's log; `msg` is the event. */
export interface LogRecord {
  msg?: string;
  [field: string]: unknown;
}

/**
 * Every JSON record in `name`'s log file, across restarts (the file is appended to).
 * Lines that are not JSON (a crash trace) are skipped.
 */
export function memberLog(cluster: EtcdTestCluster, name: string): LogRecord[] {
  let text: string;
  try {
    text = readFileSync(cluster.member(name).logFile, 'utf8');
  } catch {
    return [];
  }
  const out: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch {
      /* partial last line */
    }
  }
  return out;
}

/** Polls `name`'s log until a record after position `from` satisfies `pred`. */
export async function waitLogRecord(
  cluster: EtcdTestCluster,
  name: string,
  from: number,
  pred: (r: LogRecord) => boolean,
  timeoutMs: number,
): Promise<LogRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = memberLog(cluster, name).slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${name}: no matching log record within ${timeoutMs} ms\n${cluster.tail(name, 40)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
