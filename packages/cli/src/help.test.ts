// The `kemu` command tree as a user meets it in --help: every command, option and argument
// described and listed, and the commands and flags of issue 6 spelt as the issue spells them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Argument, Command, Option } from 'commander';
import { RESOURCES } from '@kemu/api';
import { SCENARIO_NAMES } from './chaos/scenarios.js';
import { PROFILES } from './plan.js';
import { buildProgram } from './program.js';

/** Every command below `cmd`, with the words that reach it (`['etcd', 'snapshot', 'save']`). */
function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command; parent: Command | undefined }> {
  const out: Array<{ path: string[]; cmd: Command; parent: Command | undefined }> = [];
  const visit = (c: Command, p: string[], parent: Command | undefined): void => {
    out.push({ path: p, cmd: c, parent });
    for (const sub of c.commands) visit(sub, [...p, sub.name()], c);
  };
  visit(cmd, path, undefined);
  return out;
}

const program = buildProgram();
const all = walk(program);
const label = (path: string[]): string => ['kemu', ...path].join(' ');

function command(...path: string[]): Command {
  const found = all.find((c) => c.path.join(' ') === path.join(' '));
  assert.ok(found, `${label(path)} exists`);
  return found.cmd;
}

function option(cmd: Command, flags: string): Option {
  const o = cmd.options.find((x) => x.flags === flags || x.long === flags || x.short === flags);
  assert.ok(o, `${label([cmd.name()])} has ${flags} (has ${cmd.options.map((x) => x.flags).join(', ')})`);
  return o;
}

const args = (cmd: Command): readonly Argument[] => cmd.registeredArguments;

test('the tree is whole: every command, option and argument has a description', () => {
  assert.ok(all.length > 30, `only ${all.length} commands`);
  for (const { path, cmd } of all) {
    assert.notEqual(cmd.description().trim(), '', `${label(path)} has a description`);
    for (const o of cmd.options) assert.notEqual(o.description.trim(), '', `${label(path)} ${o.flags} has a description`);
    for (const a of args(cmd)) assert.notEqual(a.description.trim(), '', `${label(path)} <${a.name()}> has a description`);
  }
});

test("every command appears in its parent's help, with its description", () => {
  for (const { path, cmd, parent } of all) {
    if (!parent) continue;
    const help = parent.helpInformation();
    const help0 = parent.createHelp();
    const term = help0.subcommandTerm(cmd);
    assert.ok(help.includes(`  ${term}`), `${label(path.slice(0, -1))} --help lists "${term}":\n${help}`);
    // The first words of the description (the rest may be wrapped onto following lines).
    const firstWords = help0.subcommandDescription(cmd).split(' ').slice(0, 2).join(' ');
    assert.ok(help.includes(firstWords), `${label(path.slice(0, -1))} --help describes ${cmd.name()}`);
  }
});

test('every command help shows its options and arguments', () => {
  for (const { path, cmd } of all) {
    const help = cmd.helpInformation();
    assert.match(help, new RegExp(`^Usage: ${['kemu', ...path.slice(0, -1)].join(' ').replace(/[|]/g, '\\|')}`), `${label(path)} --help starts with its usage`);
    for (const o of cmd.options) assert.ok(help.includes(o.flags), `${label(path)} --help shows ${o.flags}`);
    for (const a of args(cmd)) assert.ok(help.includes(a.name()), `${label(path)} --help shows <${a.name()}>`);
  }
});

test('issue 6: kemu up and the cluster commands', () => {
  const up = command('up');
  for (const f of ['--nodes', '--zones', '--apiservers', '--state-dir', '--demo']) option(up, f);
  assert.deepEqual(option(up, '--profile').argChoices, ['default', 'fast-recovery', 'stable-network', 'unreliable-network']);
  assert.deepEqual([...PROFILES], option(up, '--profile').argChoices);
  command('down');
  command('status');
  const logs = command('logs');
  assert.deepEqual(
    args(logs).map((a) => [a.name(), a.required]),
    [['process', true]],
  );
  assert.equal(option(logs, '-f').long, '--follow');
  for (const name of ['up', 'down', 'status', 'logs']) option(command(name), '--state-dir');
});

test('issue 6: the object commands in kubectl spellings', () => {
  assert.equal(option(command('apply'), '-f').long, '--filename');
  const get = command('get');
  const o = option(get, '-o');
  assert.equal(o.long, '--output');
  for (const f of ['wide', 'yaml', 'json']) assert.ok(o.argChoices?.includes(f), `-o ${f}`);
  assert.equal(option(get, '-l').long, '--selector');
  assert.equal(option(get, '-n').long, '--namespace');
  assert.equal(option(get, '-A').long, '--all-namespaces');
  assert.equal(option(get, '-w').long, '--watch');
  assert.deepEqual(
    args(get).map((a) => [a.name(), a.required, a.variadic]),
    [
      ['kind', true, false],
      ['names', false, true],
    ],
  );
  command('describe');
  command('delete');
  option(command('scale'), '--replicas');
  const expose = command('expose');
  option(expose, '--port');
  option(expose, '--target-port');
  assert.deepEqual(option(expose, '--type').argChoices, ['ClusterIP', 'NodePort', 'LoadBalancer']);
  command('rollout', 'status');
});

test('issue 6: the emulator commands', () => {
  command('etcd', 'status');
  assert.deepEqual(args(command('etcd', 'snapshot', 'save')).map((a) => [a.name(), a.required]), [['file', true]]);
  assert.deepEqual(args(command('etcd', 'snapshot', 'restore')).map((a) => [a.name(), a.required]), [['file', true]]);
  assert.equal(option(command('proxy', 'rules'), '--node').mandatory, true);
  assert.deepEqual(
    args(command('dns', 'query')).map((a) => [a.name(), a.required]),
    [
      ['name', true],
      ['type', false],
    ],
  );
  assert.deepEqual(
    args(command('exec')).map((a) => [a.name(), a.required, a.variadic]),
    [
      ['node', true, false],
      ['command', true, true],
    ],
  );
  for (const signal of ['kill', 'stop', 'cont', 'restart']) {
    assert.deepEqual(args(command('chaos', signal)).map((a) => [a.name(), a.required]), [['process', true]]);
  }
  const scenario = args(command('chaos', 'run'))[0];
  assert.equal(scenario?.name(), 'scenario');
  assert.deepEqual(scenario.argChoices, SCENARIO_NAMES);
  // The scenarios: kill a node, kill the etcd leader, pause an etcd member, kill the
  // active controller-manager, lose a whole zone.
  for (const s of ['node-kill', 'etcd-leader-kill', 'etcd-member-pause', 'controller-manager-kill', 'zone-loss']) assert.ok(SCENARIO_NAMES.includes(s as never), s);
});

test('every command with subcommands has a help command that takes a path of commands', () => {
  for (const { path, cmd } of all) {
    if (cmd.commands.length === 0) continue;
    const help = cmd.commands.find((c) => c.name() === 'help');
    assert.ok(help, `${label(path)} has a help command`);
    assert.equal(args(help)[0]?.variadic, true);
  }
});

// The help names what the implementation accepts.
test('the help lists what the implementation accepts', () => {
  const kinds = command('get').description();
  for (const r of Object.keys(RESOURCES)) assert.ok(kinds.includes(r), `kemu get --help names ${r}`);
});
