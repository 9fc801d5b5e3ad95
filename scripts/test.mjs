// Runs every compiled test file (`*.test.js` under packages/*/dist and test/dist) with
// Node's built-in test runner. Container tests (test/dist/containers) need a container
// engine and run only with KEMU_CONTAINER_TESTS=1. Files named `*.alone.test.js` load the
// machine on purpose (the dns fuzzer): they run after the others, one at a time, so that
// the timing-sensitive tests beside them keep their CPU.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const withContainers = process.env.KEMU_CONTAINER_TESTS === '1';
const filter = process.argv.slice(2);

function collect(dir, out) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'node_modules' || (name === 'containers' && !withContainers)) continue;
      collect(p, out);
    } else if (name.endsWith('.test.js')) {
      out.push(p);
    }
  }
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'dist'), files);
collect(join(root, 'test', 'dist'), files);
const selected = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const concurrency = process.env.KEMU_TEST_CONCURRENCY ?? '2';
const alone = selected.filter((f) => f.endsWith('.alone.test.js'));
const together = selected.filter((f) => !f.endsWith('.alone.test.js'));
let status = 0;
for (const [batch, n] of [[together, concurrency], [alone, '1']]) {
  if (batch.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${n}`, ...batch], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
