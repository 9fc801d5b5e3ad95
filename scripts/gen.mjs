// Generates TypeScript for every .proto under proto/ into packages/api/src/gen with
// buf + ts-proto (offline: buf's binary ships in its npm package). Generated files are
// build output: never edit them, never commit them.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}packages/api/src/gen`, { recursive: true, force: true });
for (const [template, path] of [
  ['buf.gen.etcd.yaml', 'proto/etcd'],
  ['buf.gen.kemu.yaml', 'proto/kemu'],
]) {
  const r = spawnSync('npx', ['--no-install', 'buf', 'generate', '--template', template, '--path', path], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`buf generate failed for ${path}`);
    process.exit(r.status ?? 1);
  }
}
