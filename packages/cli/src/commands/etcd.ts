// kemu etcd ...: look at (and back up) the etcd members.
import { Option, type Command } from 'commander';
import { planEtcdCluster } from '@kemu/etcd';
import { etcdStatus, formatStatus } from '../etcd-status.js';
import { say } from './common.js';

export function registerEtcdCommands(program: Command): void {
  const etcd = program.command('etcd').description('look at the etcd members');
  etcd
    .command('status')
    .description('members, leader, Raft term and index, store revision, db size')
    .addOption(new Option('--etcd-ip-prefix <a.b.c>', 'first three octets of the etcd members\' loopback addresses').default('127.0.1'))
    .option('--endpoints <list>', 'host:port list (default: the local cluster)')
    .action(async (o: { etcdIpPrefix: string; endpoints?: string }) => {
      const endpoints = o.endpoints
        ? o.endpoints.split(',').map((e) => e.trim().replace(/^https?:\/\//, ''))
        : planEtcdCluster({ stateDir: '.', ipPrefix: o.etcdIpPrefix }).map((m) => m.clientUrl.replace('http://', ''));
      const rows = await etcdStatus(endpoints);
      say(formatStatus(rows));
      const leaders = rows.filter((r) => r.leader).length;
      if (rows.every((r) => r.error)) {
        say('no member answers: is the cluster up? (kemu up)');
        process.exitCode = 1;
      } else if (leaders !== 1) {
        say(leaders === 0 ? 'no leader: fewer than two members can talk to each other' : 'more than one member claims to lead');
        process.exitCode = 1;
      }
    });
}
