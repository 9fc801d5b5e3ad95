// Builds kemu's Node-API modules, each one C file: the node agent's byte mover
// (packages/node-agent/native/forwarder.c) and the dns server's UDP fast path
// (packages/dns/native/udp.c). A compiler call is all each needs: Node-API modules link
// against nothing, and node-gyp would want to download headers this machine already has.
// Without a C compiler or Node's headers the agent and the dns server fall back to
// JavaScript (slower), so a failed build is a warning, not an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const MODULES = [
  { src: 'packages/node-agent/native/forwarder.c', out: 'packages/node-agent/dist/native/kemu-forwarder.node', name: 'kemu_forwarder', who: 'the node agent will use its JavaScript forwarder' },
  { src: 'packages/dns/native/udp.c', out: 'packages/dns/dist/native/kemu-dns-udp.node', name: 'kemu_dns_udp', who: 'the dns server will use Node\'s UDP sockets' },
];
const candidates = [
  process.env.KEMU_NODE_INCLUDE,
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));

for (const m of MODULES) {
  const src = join(root, m.src);
  const out = join(root, m.out);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
  if (!include) {
    console.warn(`build-native: Node's headers (node_api.h) not found in ${candidates.join(', ')}; ${m.who}`);
    continue;
  }
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const args = ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC', '-shared', '-pthread',
    `-I${include}`, `-DNODE_GYP_MODULE_NAME=${m.name}`, '-DNAPI_VERSION=8', '-o', out, src];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) console.warn(`build-native: ${cc} failed (${r.error?.message ?? `exit ${r.status}`}); ${m.who}`);
}
