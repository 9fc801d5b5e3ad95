import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { WORKLOAD_MAIN } from './workload-image.js';

function runMain(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WORKLOAD_MAIN, ...args], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env['PATH'] ?? '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('main.js command line', () => {
  for (const workload of ['echo', 'tcp-echo', 'udp-echo', 'client']) {
    test(`${workload}: an unknown flag exits 2 naming it`, () => {
      const r = runMain(workload, '--colour', 'red');
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `${workload}: unknown flag --colour\n`);
      assert.equal(r.stdout, '');
    });
  }

  test('a bad value exits 2 naming the flag', () => {
    const r = runMain('tcp-echo', '--port', '70000');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^tcp-echo: --port: invalid value "70000"/);
  });

  test('client without --url, or with a non-http one, exits 2', () => {
    assert.deepEqual([runMain('client').status, runMain('client').stderr], [2, 'client: --url is required\n']);
    const r = runMain('client', '--url', 'https://127.77.1.5/');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--url: only http:\/\/ is supported/);
  });

  test('a missing or unknown workload exits 2; --help exits 0 with usage', () => {
    assert.equal(runMain().status, 2);
    const r = runMain('nginx');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown workload "nginx"/);
    const h = runMain('echo', '--help');
    assert.equal(h.status, 0);
    assert.match(h.stdout, /--port <port>/);
  });

  test('a port already taken exits 1 with the reason', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.77.1.5', () => r()));
    try {
      const port = String((server.address() as { port: number }).port);
      const r = runMain('echo', '--host', '127.77.1.5', '--port', port);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /EADDRINUSE/);
    } finally {
      server.close();
    }
  });
});
