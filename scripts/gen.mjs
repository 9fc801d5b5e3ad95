// Generates TypeScript for every .proto under proto/ into packages/api/src/gen with
// buf + ts-proto (offline: buf's binary ships in its npm package). Generated files are
// build output: never edit them, never commit them.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}packages/api/src/gen`, { recursive: true, force: true });
for (const [template, ...paths] of [
  ['buf.gen.etcd.yaml', 'proto/etcd'],
  ['buf.gen.kemu.yaml', 'proto/kemu/raftpb', 'proto/kemu/apiserver'],
]) {
  const r = spawnSync('npx', ['--no-install', 'buf', 'generate', '--template', template, ...paths.flatMap((p) => ['--path', p])], {
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
