// kemu etcd ...: look at, back up and restore the etcd members. Definitions only: each
// action loads its implementation when it runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command } from 'commander';
import { CliError } from '../cli-error.js';
import { loadPlan } from '../plan.js';
import { say, stateDirOption } from './common.js';

/** --endpoints as given (http:// dropped), or the members of the state dir's plan. */
function endpointsOf(o: { endpoints?: string; stateDir: string }): string[] {
  if (o.endpoints) return o.endpoints.split(',').map((e) => e.trim().replace(/^https?:\/\//, '')).filter(Boolean);
  const plan = loadPlan(o.stateDir);
  if (!plan) throw new CliError(`no cluster in ${resolve(o.stateDir)} (kemu up --state-dir ${o.stateDir}, or give --endpoints host:port,...)`);
  return plan.etcd.map((m) => m.client);
}

export function registerEtcdCommands(program: Command): void {
  const etcd = program.command('etcd').description('look at, back up and restore the etcd members');
  etcd
    .command('status')
    .description('members, leader, Raft term and index, store revision, db size (like etcdctl endpoint status)')
    .option('--endpoints <list>', 'host:port list (default: the members of the cluster in --state-dir)')
    .addOption(stateDirOption())
    .addHelpText('after', '\nExits 1 when no member answers or the members do not agree on exactly one leader.')
    .action(async (o: { endpoints?: string; stateDir: string }) => {
      const { etcdStatus, formatStatus } = await import('../etcd-status.js');
      const rows = await etcdStatus(endpointsOf(o));
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

  const snapshot = etcd.command('snapshot').description('back up the whole cluster state to a file, restore it, or check a file');
  snapshot
    .command('save')
    .description('write a snapshot of the etcd keyspace (every Kubernetes object) to FILE')
    .argument('<file>', 'where to write it (replaced if it exists)')
    .option('--endpoint <host:port>', "the member to ask (default: the leader of the cluster in --state-dir, else the first member that answers)")
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        "Streams the member's Maintenance.Snapshot (what `etcdctl snapshot save` does): an etcd",
        'bbolt database with a sha256 trailer, readable by `etcdctl snapshot status` and by',
        '`kemu etcd snapshot restore`. The file is written as FILE.part and renamed once whole',
        'and checked, so a failed save leaves no FILE behind.',
      ].join('\n'),
    )
    .action(async (file: string, o: { endpoint?: string; stateDir: string }) => {
      const [{ pickMember, saveSnapshot }, { snapshotFailure }] = await Promise.all([import('../lifecycle/etcd-snapshot.js'), import('./snapshot-failure.js')]);
      try {
        const endpoint = o.endpoint ?? (await pickMember(endpointsOf({ stateDir: o.stateDir })));
        const { bytes, keyspace } = await saveSnapshot(endpoint, file);
        say(`Snapshot saved at ${file}: ${bytes} bytes from ${endpoint}, revision ${keyspace.revision}, ${keyspace.keys.length} keys, ${keyspace.leases.length} leases`);
      } catch (err) {
        snapshotFailure(err);
      }
    });
  snapshot
    .command('restore')
    .description("replace the whole state of the cluster in --state-dir with FILE's (stops and restarts the cluster)")
    .argument('<file>', 'a snapshot from kemu etcd snapshot save (or etcdctl snapshot save)')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      [
        '',
        "The safe way to restore, as etcd's documentation describes it (a new cluster from the",
        "snapshot's keyspace, then every component restarted):",
        '  1. FILE is read and checked (sha256 trailer, database pages, key records); a bad',
        '     file changes nothing;',
        '  2. every process of the cluster and its pods are stopped (kemu down);',
        "  3. each member's data dir is moved to <state-dir>/restore-backups/<time>/ (kept);",
        '  4. the three members start on empty data dirs and get the keys and leases of FILE',
        '     before anything else runs; the key count is checked;',
        '  5. the components that were part of the cluster start again (a stopped cluster is',
        '     left stopped).',
        "Every object is back as it was at save time; objects made since are gone. Revisions",
        '(resourceVersions) are renumbered, so watches from before the restore are not resumed:',
        'every component starts fresh and lists again, as after a Kubernetes etcd restore.',
      ].join('\n'),
    )
    .action(async (file: string, o: { stateDir: string }) => {
      const [{ restoreSnapshot }, { snapshotFailure }] = await Promise.all([import('../lifecycle/snapshot-restore.js'), import('./snapshot-failure.js')]);
      try {
        const r = await restoreSnapshot(o.stateDir, file, say);
        say(
          `Restored ${r.keys} keys and ${r.leases} leases from ${file} (saved at revision ${r.savedRevision}; the cluster is now at revision ${r.revision}). ` +
            (r.restarted.length ? `Started again: etcd, ${r.restarted.join(', ')}.` : 'The cluster was stopped and is left stopped (kemu up starts it).'),
        );
      } catch (err) {
        snapshotFailure(err);
      }
    });
  snapshot
    .command('status')
    .description('what a snapshot file holds: revision, keys, leases, size (it is checked first)')
    .argument('<file>', 'a snapshot from kemu etcd snapshot save (or etcdctl snapshot save)')
    .action(async (file: string) => {
      const [{ readSnapshotKeyspace }, { formatTable }, { snapshotFailure }] = await Promise.all([import('@kemu/etcd'), import('../table.js'), import('./snapshot-failure.js')]);
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (err) {
        throw new CliError(`kemu etcd snapshot status: cannot read ${file}: ${(err as Error).message}`, 1, { cause: err });
      }
      try {
        const ks = readSnapshotKeyspace(bytes);
        say(formatTable(['REVISION', 'KEYS', 'LEASES', 'DB SIZE', 'SHA256'], [[String(ks.revision), String(ks.keys.length), String(ks.leases.length), `${ks.size} B`, ks.hashed ? 'ok' : 'none']]).join('\n'));
      } catch (err) {
        snapshotFailure(err);
      }
    });
}
