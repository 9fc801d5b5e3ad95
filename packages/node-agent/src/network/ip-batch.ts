import { execFile, spawn } from 'node:child_process';

// Runs iproute2: a whole burst of changes as one `ip -force -batch -` process (one spawn,
// one netlink socket, whatever the number of lines), and single read commands.

/** The `ip` process could not run, timed out, or aborted a batch part way. */
export class IpCommandError extends Error {
  override readonly name = 'IpCommandError';
  constructor(
    readonly command: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${command}: ${reason}`, options);
  }
}

export interface BatchErrors {
  /** 1-based script line -> ip's message for that line. */
  readonly failures: ReadonlyMap<number, string>;
  /** Messages after the last "Command failed" marker: ip stopped before naming a line. */
  readonly unattributed: readonly string[];
}

const FAILED_LINE = /^Command failed .*:(\d+)\s*$/;

/**
 * Attributes `ip -force -batch` stderr to script lines. Contract (iproute2): a failing
 * line prints its message(s), then `Command failed <file>:<line>`, and the batch goes on;
 * a malformed line prints a message and exits without a marker.
 */
export function attributeBatchErrors(stderr: string): BatchErrors {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = FAILED_LINE.exec(line);
    if (m) {
      failures.set(Number(m[1]), pending.length > 0 ? pending.join('; ') : 'failed without a message');
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return { failures, unattributed: pending };
}

export const DEFAULT_IP_TIMEOUT_MS = 60_000;

/**
 * Feeds `lines` to one `ip ... -force -batch -` process. Resolves with the per-line
 * failures (empty when every line worked); rejects with IpCommandError when ip could not
 * be started, timed out, or aborted without naming the failed line (the device state is
 * then unknown).
 */
export function runIpBatch(ipCommand: readonly string[], lines: readonly string[], timeoutMs = DEFAULT_IP_TIMEOUT_MS): Promise<ReadonlyMap<number, string>> {
  const [file, ...base] = ipCommand;
  const args = [...base, '-force', '-batch', '-'];
  const command = [file ?? '', ...args].join(' ');
  return new Promise((resolve, reject) => {
    if (file === undefined) {
      reject(new IpCommandError(command, 'empty ip command'));
      return;
    }
    const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    // ip may exit before reading all of stdin (a malformed line): the close event reports it.
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      spawnError = err;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (spawnError) {
        reject(new IpCommandError(command, spawnError.message, { cause: spawnError }));
        return;
      }
      if (timedOut) {
        reject(new IpCommandError(command, `timed out after ${timeoutMs} ms with ${lines.length} lines`));
        return;
      }
      const { failures, unattributed } = attributeBatchErrors(stderr);
      if (code === 0) {
        resolve(failures);
        return;
      }
      if (unattributed.length > 0 || failures.size === 0) {
        const why = unattributed.join('; ') || stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`);
        reject(new IpCommandError(command, `batch aborted: ${why}`));
        return;
      }
      resolve(failures);
    });
    child.stdin.end(lines.length > 0 ? lines.join('\n') + '\n' : '');
  });
}

/** Runs one read-only ip command and resolves with its stdout. */
export function runIp(ipCommand: readonly string[], args: readonly string[], timeoutMs = DEFAULT_IP_TIMEOUT_MS): Promise<string> {
  const [file, ...base] = ipCommand;
  const all = [...base, ...args];
  const command = [file ?? '', ...all].join(' ');
  return new Promise((resolve, reject) => {
    if (file === undefined) {
      reject(new IpCommandError(command, 'empty ip command'));
      return;
    }
    execFile(file, all, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new IpCommandError(command, stderr.trim() || err.message, { cause: err }));
      else resolve(stdout);
    });
  });
}
