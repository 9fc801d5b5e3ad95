// kemu up, down, ps: the local cluster's processes.
import { Option, type Command } from 'commander';
import { APISERVER_ADDR, COMPONENTS, DNS_ADDR, down, tokens, up, type Component } from '../cluster.js';
import { runDemo } from '../demo.js';
import { planEtcdCluster } from '@kemu/etcd';
import { readProcesses, isAlive } from '../processes.js';
import { say, stateDirOption } from './common.js';

export function registerClusterCommands(program: Command): void {
  program
    .command('up')
    .description('start the local cluster as separate processes on loopback')
    .addOption(stateDirOption())
    .addOption(new Option('--components <list>', 'components to start (comma separated)').default(COMPONENTS.join(',')))
    .addOption(new Option('--etcd-ip-prefix <a.b.c>', 'first three octets of the etcd members\' loopback addresses').default('127.0.1'))
    .addOption(new Option('--nodes <n>', 'node agents to start (node-N on 127.0.10.N, zones a/b/c)').default('3'))
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--demo', 'start a demo and stay attached (implies --foreground)')
    .action(async (o: { stateDir: string; components: string; etcdIpPrefix: string; nodes: string; foreground?: boolean; demo?: boolean }) => {
      const components = o.components.split(',').map((c) => c.trim());
      const nodes = Number(o.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 200) program.error(`--nodes: want a number from 1 to 200, got "${o.nodes}"`);
      for (const c of components) {
        if (!(COMPONENTS as readonly string[]).includes(c)) program.error(`unknown component "${c}" (known: ${COMPONENTS.join(', ')})`);
      }
      try {
        await up({ stateDir: o.stateDir, components: components as Component[], etcdIpPrefix: o.etcdIpPrefix, nodes, onProgress: say });
      } catch (err) {
        say(`kemu up failed: ${(err as Error).message}`);
        say(`logs are in ${o.stateDir}/logs; stopping what was started`);
        await down(o.stateDir);
        process.exit(1);
      }
      // host:port, not http:// URLs: see packages/etcd/README.md (etcdctl's per-endpoint commands).
      const endpoints = planEtcdCluster({ stateDir: o.stateDir, ipPrefix: o.etcdIpPrefix }).map((m) => m.clientUrl.replace('http://', '')).join(',');
      say('');
      say('etcd is up. Try it with etcdctl (Debian package etcd-client):');
      say(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}`);
      say('  etcdctl get /registry --prefix --keys-only');
      say('  etcdctl endpoint status -w table');
      if (components.includes('apiserver')) {
        say(`The apiserver serves gRPC on ${APISERVER_ADDR}; the admin bearer token is in ${o.stateDir}/tokens.json.`);
      }
      if (components.includes('dns')) {
        const [dnsHost, dnsPort] = DNS_ADDR.split(':') as [string, string];
        say('Cluster DNS answers the cluster.local zone (dig is in Debian package dnsutils):');
        say(`  dig @${dnsHost} -p ${dnsPort} kubernetes.default.svc.cluster.local`);
        say(`  dig @${dnsHost} -p ${dnsPort} dns-version.cluster.local TXT`);
      }
      say('');
      if (o.demo && components.includes('controller-manager') && components.includes('node')) {
        try {
          await runDemo(APISERVER_ADDR, tokens(o.stateDir).admin, nodes);
        } catch (err) {
          say(`demo failed: ${(err as Error).message}`);
        }
        say('');
      }
      if (o.foreground || o.demo) {
        say('Press Ctrl-C to stop the cluster.');
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          say('\nstopping...');
          void down(o.stateDir, say).then(() => process.exit(0));
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        setInterval(() => undefined, 1 << 30);
      } else {
        say(`Stop it with: kemu down --state-dir ${o.stateDir}`);
      }
    });


  program
    .command('down')
    .description('stop every process of the local cluster (SIGTERM, then SIGKILL)')
    .addOption(stateDirOption())
    .action(async (o: { stateDir: string }) => {
      await down(o.stateDir, say);
    });

  program
    .command('ps')
    .description('list the processes of the local cluster')
    .addOption(stateDirOption())
    .action((o: { stateDir: string }) => {
      for (const r of readProcesses(o.stateDir)) say(`${r.name.padEnd(12)} ${String(r.pid).padEnd(8)} ${isAlive(r.pid) ? 'running' : 'exited'}  ${r.logFile}`);
    });
}
