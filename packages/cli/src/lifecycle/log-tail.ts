import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The last n lines of a text (all of it when n < 0); a final newline ends the last line. */
export function lastLines(text: string, n: number): string {
  if (n < 0) return text;
  if (n === 0) return '';
  let end = text.endsWith('\n') ? text.length - 1 : text.length;
  let at = end;
  for (let i = 0; i < n; i++) {
    const nl = text.lastIndexOf('\n', at - 1);
    if (nl < 0) return text;
    at = nl;
    end = nl;
  }
  return text.slice(end + 1);
}

/**
 * The last n lines of a file (every line when n < 0) and the file size they end at.
 * Reads backwards in chunks, so a large log costs only what is printed.
 */
export function readLastLines(file: string, n: number): { text: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = 64 * 1024;
    let start = size;
    let buf = Buffer.alloc(0);
    // Invariant: buf holds bytes [start, size) of the file.
    while (start > 0) {
      const from = Math.max(0, start - chunk);
      const part = Buffer.alloc(start - from);
      readSync(fd, part, 0, part.length, from);
      buf = Buffer.concat([part, buf]);
      start = from;
      if (n >= 0 && countNewlines(buf) > n) break;
    }
    return { text: lastLines(buf.toString('utf8'), n), size };
  } finally {
    closeSync(fd);
  }
}

function countNewlines(b: Buffer): number {
  let c = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) c++;
  return c;
}

/**
 * Writes what is appended to the file from `offset` on, checking every `intervalMs`,
 * until the signal aborts. A file that shrank (truncated) is read again from its start.
 */
export async function followFile(file: string, offset: number, write: (chunk: string) => void, signal: AbortSignal, intervalMs = 250): Promise<void> {
  let at = offset;
  while (!signal.aborted) {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < at) at = 0;
    if (size > at) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(size - at);
        const n = readSync(fd, buf, 0, buf.length, at);
        at += n;
        write(buf.subarray(0, n).toString('utf8'));
      } finally {
        closeSync(fd);
      }
    }
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const t = setTimeout(wake, intervalMs);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

/** Names of the processes that have a log in <state-dir>/logs. */
export function loggedProcesses(stateDir: string): string[] {
  const dir = join(stateDir, 'logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -'.log'.length));
}
