// Runs every compiled test file (`*.test.js` under packages/*/dist and test/dist) with
// Node's built-in test runner. Files named `*.alone.test.js` load the machine on purpose
// (the dns fuzzer, the CLI's end-to-end clusters): they run after the others, one at a
// time, so that the timing-sensitive tests beside them keep their CPU.
//
// Container tests (test/dist/containers) need a container engine behind the docker CLI
// (DOCKER_HOST; scripts/containers/setup-podman.sh makes one on a machine without Docker).
// They run last, one file at a time. KEMU_CONTAINER_TESTS picks: "auto" (default, npm test)
// runs them when an engine answers and says loudly that they were skipped when none does;
// "only" (npm run test:containers) runs just them and fails without an engine; "0" skips them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const containerMode = process.env.KEMU_CONTAINER_TESTS ?? 'auto';
if (!['auto', 'only', '0'].includes(containerMode)) {
  console.error(`KEMU_CONTAINER_TESTS: "${containerMode}" is not one of auto, only, 0`);
  process.exit(2);
}
const filter = process.argv.slice(2);

/** Why no container engine can be used, or undefined when one answers. */
function engineProblem() {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `the docker CLI cannot be run (${r.error.message})`;
  if (r.status !== 0) return `no engine answers the docker CLI at ${process.env.DOCKER_HOST ?? 'the default socket'} (${(r.stderr || '').trim().split('\n')[0]})`;
  return undefined;
}

function collect(dir, out) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'node_modules') continue;
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
const isContainerTest = (f) => f.includes(`${join('test', 'dist', 'containers')}/`);
let containers = selected.filter(isContainerTest);
const rest = containerMode === 'only' ? [] : selected.filter((f) => !isContainerTest(f));
if (containerMode === '0') containers = [];
if (containers.length > 0) {
  const problem = engineProblem();
  if (problem && containerMode === 'only') {
    console.error(`container tests: ${problem}. Run scripts/containers/setup-podman.sh (or start Docker) and export DOCKER_HOST.`);
    process.exit(1);
  }
  if (problem) {
    const bar = '!'.repeat(100);
    console.error(`\n${bar}\n!! SKIPPED ${containers.length} container test file(s): ${problem}.\n!! Run scripts/containers/setup-podman.sh (or start Docker), export DOCKER_HOST, then npm run test:containers.\n${bar}\n`);
    containers = [];
  }
}
const concurrency = process.env.KEMU_TEST_CONCURRENCY ?? '2';
const alone = rest.filter((f) => f.endsWith('.alone.test.js'));
const together = rest.filter((f) => !f.endsWith('.alone.test.js'));
let status = 0;
for (const [batch, n] of [[together, concurrency], [alone, '1'], [containers, '1']]) {
  if (batch.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${n}`, ...batch], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
