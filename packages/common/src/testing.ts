// Helpers for tests that make a process or a peer misbehave (`@kemu/common/testing`).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';

/** Holds the event loop for `ms`, as a hypervisor that stops the process for a while does. */
export function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: no callback runs meanwhile
  }
}

/**
 * An address whose connects get no answer at all, like one of a host that vanished (a
 * killed container's IP): a listener in a stopped process, its accept queue filled, so
 * Linux drops every further SYN. Loopback only. close() kills the process.
 */
export async function blackhole(host = '127.0.0.1'): Promise<{ endpoint: string; host: string; port: number; close(): void }> {
  const code = `const s=require('net').createServer().listen({port:0,host:${JSON.stringify(host)},backlog:1},()=>console.log(s.address().port))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: Socket[] = [];
  const close = (): void => {
    for (const f of fillers) f.destroy();
    child.kill('SIGKILL');
  };
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    child.kill('SIGSTOP');
    for (let i = 0; i < 20; i++) fillers.push(createConnection({ host, port }).on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 200));
    return { endpoint: `${host}:${port}`, host, port, close };
  } catch (err) {
    close();
    throw err;
  }
}
