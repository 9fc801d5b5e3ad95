import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerCommand } from './container-command.js';

const rt = { nodePath: '/usr/bin/node', workloadsMain: '/kemu/dist/workloads/main.js' };

test('built-in images run the workload program with any tag', () => {
  assert.deepEqual(containerCommand({ name: 'c', image: 'kemu/echo:2', args: ['--port', '$(PORT)'] }, new Map([['PORT', '8080']]), rt), {
    ok: true,
    file: '/usr/bin/node',
    args: ['/kemu/dist/workloads/main.js', 'echo', '--port', '8080'],
  });
});

test('command replaces the entrypoint and args follow it, both expanded', () => {
  const vars = new Map([['MSG', 'hi']]);
  assert.deepEqual(containerCommand({ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo $(MSG)'], args: ['$(NOPE)'] }, vars, rt), {
    ok: true,
    file: 'sh',
    args: ['-c', 'echo hi', '$(NOPE)'],
  });
  assert.deepEqual(containerCommand({ name: 'c', image: 'kemu/echo', command: ['sleep', '5'] }, vars, rt), { ok: true, file: 'sleep', args: ['5'] });
});

test('any other image without a command cannot run', () => {
  const r = containerCommand({ name: 'c', image: 'nginx:1.27' }, new Map(), rt);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'ErrImagePull' && r.message.includes('kemu cannot pull image "nginx:1.27"') && r.message.includes('"command"'));
});
