import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpsServer } from './ops-server.js';

test('healthz, readyz and metrics report the checks', async () => {
  let ready = false;
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    health: { alive: () => undefined },
    ready: { raft: () => (ready ? undefined : 'no leader') },
  });
  try {
    const base = `http://127.0.0.1:${ops.address().port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /\[-\]raft failed: no leader/);
    ready = true;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /process_cpu_user_seconds_total/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await ops.close();
  }
});

test('two servers on one registry (health and metrics on two addresses) both start and serve the same metrics', async () => {
  const a = await startOpsServer({ host: '127.0.0.1', port: 0 });
  const b = await startOpsServer({ host: '127.0.0.1', port: 0, registry: a.registry });
  try {
    for (const s of [a, b]) assert.match(await (await fetch(`http://127.0.0.1:${s.address().port}/metrics`)).text(), /process_cpu_user_seconds_total/);
  } finally {
    await a.close();
    await b.close();
  }
});
