// Builds the node agent's native byte mover (packages/node-agent/native/forwarder.c), a
// Node-API module in one C file. A compiler call is all it needs: Node-API modules link
// against nothing, and node-gyp would want to download headers this machine already has.
// Without a C compiler or Node's headers the agent falls back to its JavaScript forwarder
// (slower), so a failed build is a warning, not an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'packages/node-agent/native/forwarder.c');
const out = join(root, 'packages/node-agent/dist/native/kemu-forwarder.node');
const candidates = [
  process.env.KEMU_NODE_INCLUDE,
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));

if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
if (!include) {
  console.warn(`build-native: Node's headers (node_api.h) not found in ${candidates.join(', ')}; the node agent will use its JavaScript forwarder`);
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const cc = process.env.CC ?? 'cc';
const args = ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC', '-shared', '-pthread',
  `-I${include}`, '-DNODE_GYP_MODULE_NAME=kemu_forwarder', '-DNAPI_VERSION=8', '-o', out, src];
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.error || r.status !== 0) {
  console.warn(`build-native: ${cc} failed (${r.error?.message ?? `exit ${r.status}`}); the node agent will use its JavaScript forwarder`);
}
