// Generates TypeScript for every .proto under proto/ into packages/api/src/gen with
// buf + ts-proto (offline: buf's binary ships in its npm package). Generated files are
// build output: never edit them, never commit them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const gen = `${root}packages/api/src/gen`;

// Generation takes most of an up-to-date build (three buf runs), and `npm start` builds
// first: skip it when nothing it reads has changed since the last complete run. The stamp
// is written last, inside the directory removed first, so a run cut short leaves none.
const stamp = join(gen, '.inputs-sha256');
const inputs = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const hash = createHash('sha256');
for (const f of [
  ...inputs(`${root}proto`),
  ...['buf.yaml', 'buf.gen.etcd.yaml', 'buf.gen.kemu.yaml', 'scripts/gen.mjs', 'scripts/gen-api.mjs'].map((f) => root + f),
  ...['@bufbuild/buf', 'ts-proto', 'ts-proto-descriptors'].map((m) => `${root}node_modules/${m}/package.json`),
].sort()) {
  hash.update(relative(root, f)).update('\0');
  try {
    hash.update(readFileSync(f));
  } catch {
    hash.update('missing');
  }
}
const digest = hash.digest('hex');
try {
  if (readFileSync(stamp, 'utf8') === digest) {
    console.log('gen: generated code is up to date');
    process.exit(0);
  }
} catch {
  // no stamp: generate
}

rmSync(gen, { recursive: true, force: true });
for (const [template, ...paths] of [
  ['buf.gen.etcd.yaml', 'proto/etcd'],
  ['buf.gen.kemu.yaml', 'proto/kemu/raftpb', 'proto/kemu/apiserver'],
]) {
  const r = spawnSync(`${root}node_modules/.bin/buf`, ['generate', '--template', template, ...paths.flatMap((p) => ['--path', p])], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`buf generate failed for ${paths.join(', ')}`);
    process.exit(r.status ?? 1);
  }
}
// Kubernetes object types: a generator of our own (see its header for why).
const api = spawnSync(process.execPath, [`${root}scripts/gen-api.mjs`], { stdio: 'inherit' });
if (api.status !== 0) process.exit(api.status ?? 1);
writeFileSync(stamp, digest);
