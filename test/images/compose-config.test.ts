// docker-compose.yml and the image's entry point against the processes they start, without
// a container engine: every KEMU_* variable a service sets is a flag its process reads, and
// the node role runs with the node agent's own V8 flags.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'yaml';
import { NODE_AGENT_V8_FLAGS } from '@kemu/node-agent';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ROLE_MAIN: Record<string, string> = {
  etcd: 'packages/etcd/dist/main.js',
  apiserver: 'packages/apiserver/dist/main.js',
  'controller-manager': 'packages/controller-manager/dist/main.js',
  dns: 'packages/dns/dist/main.js',
  node: 'packages/node-agent/dist/main.js',
};

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  labels?: Record<string, string>;
}

/** The compose file with ${VAR:-default} left as written: only the keys matter here. */
function services(): Record<string, Service> {
  const doc = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  return doc.services;
}

test('every KEMU_* variable docker-compose.yml sets is a flag of the process the service runs', () => {
  const envOf = new Map<string, Set<string>>();
  for (const [role, main] of Object.entries(ROLE_MAIN)) {
    const help = spawnSync(process.execPath, [`${root}${main}`, '--help'], { encoding: 'utf8' });
    envOf.set(role, new Set([...`${help.stdout}${help.stderr}`.matchAll(/env (KEMU_[A-Z0-9_]+)/g)].map((m) => m[1]!)));
    assert.ok(envOf.get(role)!.size > 3, `${main} --help lists its variables`);
  }
  const all = services();
  const roles = new Set<string>();
  for (const [name, s] of Object.entries(all)) {
    const role = s.command?.[0] ?? '';
    if (role === 'kemu') continue;
    assert.ok(envOf.has(role), `${name}: role ${role} is one of ${[...envOf.keys()].join(', ')}`);
    roles.add(role);
    for (const key of Object.keys(s.environment ?? {})) {
      assert.ok(envOf.get(role)!.has(key), `${name}: ${key} is not a flag of ${role} (known: ${[...envOf.get(role)!].join(', ')})`);
    }
  }
  assert.deepEqual([...roles].sort(), Object.keys(ROLE_MAIN).sort(), 'every role runs');
  assert.equal(Object.keys(all).filter((n) => all[n]!.command?.[0] === 'node').length, 3, 'three nodes');
});

test('the image runs the node agent with the V8 flags kemu up gives it', () => {
  const entry = readFileSync(`${root}scripts/containers/entrypoint.sh`, 'utf8');
  const line = entry.split('\n').find((l) => l.includes('node-agent/dist/main.js'));
  assert.ok(line, 'the entry point has a node role');
  assert.ok(line.includes(`exec node ${NODE_AGENT_V8_FLAGS.join(' ')} "$dist/node-agent/dist/main.js"`), line);
});

test('the entry point names the roles it knows when given another', () => {
  const r = spawnSync('sh', [`${root}scripts/containers/entrypoint.sh`, 'nosuch'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown role "nosuch"; the first argument is one of: etcd, apiserver, controller-manager, dns, node, kemu/);
});

test('every process sits in a zone (a node in its own), and losing any one zone leaves an etcd quorum and one of each role', () => {
  const all = Object.entries(services()).filter(([, s]) => s.command?.[0] !== 'kemu');
  const zoneOf = new Map(all.map(([name, s]) => [name, s.labels?.['io.kemu.zone'] ?? '']));
  for (const [name, s] of all) {
    assert.match(zoneOf.get(name)!, /^zone-[a-c]$/, `${name} has an io.kemu.zone label`);
    if (s.command?.[0] === 'node') assert.equal(s.environment?.['KEMU_ZONE'], zoneOf.get(name), `${name}: the label is the Node's zone`);
  }
  for (const lost of new Set(zoneOf.values())) {
    const left = all.filter(([name]) => zoneOf.get(name) !== lost);
    const count = (role: string): number => left.filter(([, s]) => s.command?.[0] === role).length;
    assert.ok(count('etcd') >= 2, `without ${lost}: ${count('etcd')} etcd members of 3`);
    for (const role of Object.keys(ROLE_MAIN)) assert.ok(count(role) >= 1, `without ${lost}: no ${role} left`);
  }
});
