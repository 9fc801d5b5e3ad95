// `kemu` as a user runs it without a cluster: every help page answers, and unknown commands,
// unknown flags, missing arguments and bad values fail with commander's clear messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEMU_CLI, kemuSync, type KemuRun } from '../harness/index.js';

/** The subcommand names a help page lists under "Commands:" (first name of `status|ps`), without `help`. */
function listedCommands(help: string): string[] {
  const section = help.split('\nCommands:\n')[1];
  if (section === undefined) return [];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (line.trim() === '') break;
    const m = /^ {2}(\S+)/.exec(line);
    if (m) names.push(m[1]!.split('|')[0]!);
  }
  return names.filter((n) => n !== 'help');
}

/** Every command reachable from `kemu --help` and its help page, read in turn (each must exit 0). */
function helpPages(): Array<{ path: string[]; page: string }> {
  const out: Array<{ path: string[]; page: string }> = [];
  const visit = (path: string[]): void => {
    const r = kemuSync([...path, '--help']);
    assert.equal(r.status, 0, `kemu ${path.join(' ')} --help:\n${r.out}`);
    assert.equal(r.stderr, '', `kemu ${path.join(' ')} --help writes nothing to stderr`);
    out.push({ path, page: r.stdout });
    for (const name of listedCommands(r.stdout)) visit([...path, name]);
  };
  visit([]);
  return out;
}

/** A usage error: non-zero exit, the message on stderr, nothing on stdout, no stack trace. */
function assertUsageError(r: KemuRun, message: string | RegExp, what: string): void {
  assert.notEqual(r.status, 0, `${what} exits non-zero:\n${r.out}`);
  assert.equal(r.stdout, '', `${what} writes nothing to stdout`);
  if (typeof message === 'string') assert.ok(r.stderr.includes(message), `${what} says "${message}":\n${r.stderr}`);
  else assert.match(r.stderr, message, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what} prints no stack trace`);
}

test('kemu --help and every subcommand --help exit 0 with their usage, and kemu help PATH shows the same page', () => {
  const root = kemuSync(['--help']);
  assert.equal(root.status, 0, root.out);
  assert.equal(root.stderr, '');
  assert.match(root.stdout, /^Usage: kemu \[options\] \[command\]/);
  for (const name of ['up', 'down', 'status', 'logs', 'apply', 'get', 'describe', 'delete', 'scale', 'expose', 'rollout', 'etcd', 'proxy', 'dns', 'exec', 'chaos']) {
    assert.ok(listedCommands(root.stdout).includes(name), `kemu --help lists ${name}`);
  }
  const pages = helpPages();
  for (const path of [['etcd', 'snapshot', 'save'], ['etcd', 'snapshot', 'restore'], ['rollout', 'status'], ['proxy', 'rules'], ['dns', 'query'], ['chaos', 'run'], ['chaos', 'kill']]) {
    assert.ok(pages.some((p) => p.path.join(' ') === path.join(' ')), `kemu ${path.join(' ')} is reachable from kemu --help`);
  }
  for (const { path, page } of pages.filter((p) => p.path.length > 0)) {
    assert.match(page, new RegExp(`^Usage: kemu ${path.join(' ')}(\\|\\S+)? `), `kemu ${path.join(' ')} --help names its command`);
  }
  for (const path of [['get'], ['ps'], ['etcd'], ['etcd', 'snapshot', 'save'], ['chaos', 'run']]) {
    const viaHelp = kemuSync(['help', ...path]);
    assert.equal(viaHelp.status, 0, viaHelp.out);
    assert.equal(viaHelp.stdout, kemuSync([...path, '--help']).stdout, `kemu help ${path.join(' ')} is kemu ${path.join(' ')} --help`);
  }
});

test('an unknown command fails and names it, with a suggestion when one is close', () => {
  assertUsageError(kemuSync(['nosuch']), "error: unknown command 'nosuch'", 'kemu nosuch');
  const typo = kemuSync(['stauts']);
  assertUsageError(typo, "error: unknown command 'stauts'", 'kemu stauts');
  assert.ok(typo.stderr.includes('(Did you mean status?)'), typo.stderr);
  assertUsageError(kemuSync(['etcd', 'nosuch']), "error: unknown command 'nosuch'", 'kemu etcd nosuch');
  assertUsageError(kemuSync(['help', 'nosuch']), "error: unknown command 'nosuch'", 'kemu help nosuch');
  assertUsageError(kemuSync(['help', 'etcd', 'snapshot', 'nosuch']), "error: unknown command 'nosuch'", 'kemu help etcd snapshot nosuch');
});

test('an unknown flag fails and names it, with a suggestion when one is close', () => {
  assertUsageError(kemuSync(['get', 'pods', '--nosuch']), "error: unknown option '--nosuch'", 'kemu get pods --nosuch');
  const typo = kemuSync(['get', 'pods', '--namespac', 'x']);
  assertUsageError(typo, "error: unknown option '--namespac'", 'kemu get pods --namespac x');
  assert.ok(typo.stderr.includes('(Did you mean --namespace?)'), typo.stderr);
  assertUsageError(kemuSync(['--nosuch']), "error: unknown option '--nosuch'", 'kemu --nosuch');
  assertUsageError(kemuSync(['chaos', 'kill', 'node-1', '-x']), "error: unknown option '-x'", 'kemu chaos kill node-1 -x');
});

test('a missing argument, a missing required flag or a flag without its value fails and says which', () => {
  assertUsageError(kemuSync(['logs']), "error: missing required argument 'process'", 'kemu logs');
  assertUsageError(kemuSync(['get']), "error: missing required argument 'kind'", 'kemu get');
  assertUsageError(kemuSync(['dns', 'query']), "error: missing required argument 'name'", 'kemu dns query');
  assertUsageError(kemuSync(['exec']), "error: missing required argument 'node'", 'kemu exec');
  assertUsageError(kemuSync(['etcd', 'snapshot', 'save']), "error: missing required argument 'file'", 'kemu etcd snapshot save');
  assertUsageError(kemuSync(['chaos', 'kill']), "error: missing required argument 'process'", 'kemu chaos kill');
  assertUsageError(kemuSync(['proxy', 'rules']), "error: required option '--node <name>' not specified", 'kemu proxy rules');
  assertUsageError(kemuSync(['scale', 'deployment/x', '--replicas']), "error: option '--replicas <count>' argument missing", 'kemu scale deployment/x --replicas');
});

test('a value outside a flag or argument choices fails and lists the choices', () => {
  assertUsageError(
    kemuSync(['up', '--profile', 'nope']),
    "error: option '--profile <name>' argument 'nope' is invalid. Allowed choices are default, fast-recovery, stable-network, unreliable-network.",
    'kemu up --profile nope',
  );
  assertUsageError(kemuSync(['get', 'pods', '-o', 'xml']), "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are wide, yaml, json, name.", 'kemu get pods -o xml');
  assertUsageError(
    kemuSync(['expose', 'deployment', 'x', '--type', 'External']),
    "error: option '--type <type>' argument 'External' is invalid. Allowed choices are ClusterIP, NodePort, LoadBalancer.",
    'kemu expose --type External',
  );
  assertUsageError(
    kemuSync(['chaos', 'run', 'nope']),
    "error: command-argument value 'nope' is invalid for argument 'scenario'. Allowed choices are node-kill, etcd-leader-kill, etcd-member-pause, controller-manager-kill, zone-loss, kill, stop, pause, restart, partition.",
    'kemu chaos run nope',
  );
});

test('bad values the commands check themselves fail before touching a cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-help-'));
  try {
    const sd = ['--state-dir', dir];
    assertUsageError(kemuSync(['up', '--nodes', 'x', ...sd]), 'error: --nodes: want a whole number, got "x"', 'kemu up --nodes x');
    assertUsageError(kemuSync(['up', '--zones', '30', ...sd]), 'error: --zones: want a number from 1 to 26, got "30"', 'kemu up --zones 30');
    assertUsageError(kemuSync(['up', '--components', 'etcd,nope', ...sd]), 'error: unknown component "nope"', 'kemu up --components etcd,nope');
    assertUsageError(kemuSync(['logs', 'etcd-0', '--tail', 'x', ...sd]), 'error: --tail: want a number of lines or -1, got "x"', 'kemu logs --tail x');
    assertUsageError(kemuSync(['dns', 'query', 'hello', 'BOGUS', ...sd]), 'error: unknown record type "BOGUS"', 'kemu dns query hello BOGUS');
    assertUsageError(kemuSync(['chaos', 'run', 'node-kill', '--rate', '0', ...sd]), 'error: --rate: want a positive number, got "0"', 'kemu chaos run --rate 0');
    assertUsageError(kemuSync(['chaos', 'run', 'node-kill', '--duration', 'soon', ...sd]), 'error: --duration: invalid duration "soon"', 'kemu chaos run --duration soon');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every command that needs a cluster says so, naming the state dir, when there is none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kemu-help-'));
  try {
    const sd = ['--state-dir', dir];
    const cases: Array<[string[], string]> = [
      [['status', ...sd], `no cluster in ${dir}`],
      [['logs', 'etcd-0', ...sd], `kemu logs: no cluster in ${dir}`],
      [['etcd', 'status', ...sd], `no cluster in ${dir}`],
      [['etcd', 'snapshot', 'save', join(dir, 'snap.db'), ...sd], `no cluster in ${dir}`],
      [['dns', 'query', 'kubernetes.default', ...sd], `no cluster in ${dir}`],
      [['exec', 'node-1', ...sd, '--', 'true'], `no cluster in ${dir}`],
      [['chaos', 'kill', 'node-1', ...sd], `no cluster in ${dir}`],
      [['chaos', 'run', 'node-kill', ...sd], `no cluster in ${dir}`],
      [['get', 'pods', ...sd], `no credentials: ${join(dir, 'tokens.json')} does not exist`],
      [['proxy', 'rules', '--node', 'node-1', ...sd], `no credentials: ${join(dir, 'tokens.json')} does not exist`],
    ];
    for (const [args, message] of cases) {
      const r = kemuSync(args);
      const what = `kemu ${args.join(' ')}`;
      assert.equal(r.status, 1, `${what}:\n${r.out}`);
      assert.ok(r.stderr.includes(message), `${what} says "${message}":\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what} prints no stack trace`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A resolve hook that names every file module the CLI loads, one "kemu-load URL" line each on stderr.
const HOOK = 'export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) process.stderr.write("kemu-load " + r.url + "\\n"); return r; }';
const REGISTER = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));`;

// The light data modules other kemu packages export for this (their package.json "exports"
// subpaths): the resource table and the DNS numbers, no code behind them.
const LIGHT_MODULES = ['/api/dist/resources.js', '/dns/dist/wire/constants.js'];

test('help loads the command definitions only: no command implementation, no other kemu package', () => {
  for (const args of [['--help'], ['get', '--help'], ['chaos', 'run', '--help'], ['nosuch']]) {
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, KEMU_CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    const loaded = [...r.stderr.matchAll(/^kemu-load (\S+)$/gm)].map((m) => m[1]!);
    assert.ok(loaded.some((u) => u.endsWith('/program.js')), `the hook saw the CLI load:\n${r.stderr}`);
    const implementation = /-(action|command)\.js$|\/cli\/dist\/(context|cluster|processes)\.js$/;
    const unexpected = loaded.filter(
      (u) => !u.includes('/node_modules/commander/') && !LIGHT_MODULES.some((m) => u.endsWith(`/packages${m}`)) && (!u.includes('/cli/dist/') || implementation.test(u)),
    );
    assert.deepEqual(unexpected, [], `kemu ${args.join(' ')} loads only definitions`);
  }
});
