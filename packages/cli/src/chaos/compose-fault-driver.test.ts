import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComposeFaultDriver, composeProjectName, parseContainerList, parseNetworks, type EngineCli } from './compose-fault-driver.js';
import { FaultError, perform } from './fault-driver.js';

test('the project\'s containers come from docker ps lines; the demo job is not a target', () => {
  const list = parseContainerList('a1\tkemu_etcd-0_1\tetcd-0\trunning\tzone-a\nb2\tkemu_node-2_1\tnode-2\tExited\t<no value>\n\nc3\tstray\t\trunning\n');
  assert.deepEqual(list, [
    { id: 'a1', name: 'kemu_etcd-0_1', service: 'etcd-0', state: 'running', zone: 'zone-a' },
    { id: 'b2', name: 'kemu_node-2_1', service: 'node-2', state: 'exited', zone: '' },
  ]);
  assert.deepEqual(parseNetworks('{"kemu_kemu":{"IPAddress":"172.30.0.52","Gateway":"172.30.0.1"}}'), [{ network: 'kemu_kemu', ip: '172.30.0.52' }]);
  assert.deepEqual(parseNetworks('{}'), []);
  assert.throws(() => parseNetworks('not json'), FaultError);
  assert.equal(composeProjectName('My.Kemu Checkout'), 'mykemucheckout');
});

const STATUS_AFTER = { kill: 'exited', stop: 'exited', start: 'running', pause: 'paused', unpause: 'running' } as const;

/** A docker CLI that keeps the state of a few containers and records every call. */
function engine(): { cli: EngineCli; calls: string[]; states: Map<string, { status: string; health: string; nets: Record<string, string> }> } {
  const calls: string[] = [];
  const states = new Map<string, { status: string; health: string; nets: Record<string, string> }>([
    ['p_node-2_1', { status: 'running', health: 'healthy', nets: { p_kemu: '172.30.0.52' } }],
    ['p_etcd-1_1', { status: 'running', health: 'healthy', nets: { p_kemu: '172.30.0.12' } }],
  ]);
  const cli: EngineCli = async (args) => {
    calls.push(args.join(' '));
    const name = args.at(-1) ?? '';
    const s = states.get(name);
    switch (args[0]) {
      case 'ps':
        return 'n2\tp_node-2_1\tnode-2\trunning\tzone-b\ne1\tp_etcd-1_1\tetcd-1\trunning\tzone-b\nd0\tp_demo_1\tdemo\texited\t\n';
      case 'inspect':
        if (!s) throw new FaultError(`no such container ${name}`);
        if (args[2]?.includes('Networks')) return JSON.stringify(Object.fromEntries(Object.entries(s.nets).map(([n, ip]) => [n, { IPAddress: ip }])));
        return `${s.status} ${s.status === 'running' || s.status === 'paused'} ${s.health}\n`;
      case 'kill':
      case 'stop':
      case 'start':
      case 'pause':
      case 'unpause':
        s!.status = STATUS_AFTER[args[0]];
        if (args[0] === 'start') s!.health = 'healthy';
        return '';
      case 'network':
        if (args[1] === 'disconnect') delete s!.nets[args[2]!];
        else s!.nets[args.at(-2)!] = args[2] === '--ip' ? args[3]! : '';
        return '';
      default:
        throw new FaultError(`unexpected call ${args.join(' ')}`);
    }
  };
  return { cli, calls, states };
}

test('a partition takes the container off its network; the heal puts it back with the same address', async () => {
  const e = engine();
  const driver = new ComposeFaultDriver({ project: 'p', cli: e.cli });
  await driver.refresh();
  assert.deepEqual(driver.targets(), ['etcd-1', 'node-2']);
  const cut = await perform(driver, 'partition', 'etcd-1');
  assert.equal(cut.detail, 'docker network disconnect p_kemu (172.30.0.12) p_etcd-1_1');
  assert.deepEqual(e.states.get('p_etcd-1_1')!.nets, {});
  await perform(driver, 'unpartition', 'etcd-1');
  assert.deepEqual(e.states.get('p_etcd-1_1')!.nets, { p_kemu: '172.30.0.12' });
  assert.ok(e.calls.includes('network connect --ip 172.30.0.12 p_kemu p_etcd-1_1'));
  await assert.rejects(driver.unpartition('etcd-1'), /was not partitioned by this run/);
});

test('kill, pause and restart act on the container; a restart of a paused one unpauses first and waits until healthy', async () => {
  const e = engine();
  const driver = new ComposeFaultDriver({ project: 'p', cli: e.cli });
  assert.match((await driver.kill('node-2')).detail, /^docker kill p_node-2_1 \(SIGKILL to every process in it, the node agent and its pods\)$/);
  assert.equal((await driver.kill('node-2')).detail, 'node-2 (p_node-2_1) was not running');
  assert.match((await driver.restart('node-2')).detail, /^docker start p_node-2_1: healthy after \d+\.\d s$/);

  await driver.stop('etcd-1');
  assert.equal(e.states.get('p_etcd-1_1')!.status, 'paused');
  const r = await driver.restart('etcd-1');
  assert.match(r.detail, /^docker kill p_etcd-1_1; docker start p_etcd-1_1: healthy/);
  const order = e.calls.filter((c) => c.endsWith('p_etcd-1_1') && !c.startsWith('inspect'));
  assert.deepEqual(order, ['pause p_etcd-1_1', 'unpause p_etcd-1_1', 'kill --signal KILL p_etcd-1_1', 'start p_etcd-1_1']);
  assert.match((await driver.term('etcd-1')).detail, /^docker stop p_etcd-1_1 \(SIGTERM, SIGKILL after 10 s\): stopped after/);
});

test('an unknown service is named with the known ones; a project without containers says how to start it', async () => {
  const e = engine();
  const driver = new ComposeFaultDriver({ project: 'p', cli: e.cli });
  await assert.rejects(driver.kill('etcd-7'), /no service named "etcd-7" in compose project p \(known: etcd-1, node-2, etcd-leader, controller-manager-active\)/);
  const empty = new ComposeFaultDriver({ project: 'none', cli: async () => '' });
  await assert.rejects(empty.kill('node-1'), /compose project none has no containers: bring it up with docker-compose up -d/);
});

test('a zone\'s members are the containers labelled with it, nodes left to their Node objects', async () => {
  const e = engine();
  const driver = new ComposeFaultDriver({ project: 'p', cli: e.cli });
  assert.deepEqual(await driver.zoneMembers(), new Map([['zone-b', ['etcd-1']]]));
  assert.match(e.calls[0] ?? '', /--format .*\{\{\.Label "io\.kemu\.zone"\}\}/);
});
