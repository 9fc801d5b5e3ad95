// What `kemu up` does once its flags are parsed (loaded only when it runs; cluster.ts
// defines the command).
import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import { down, tokens, up, UpError } from '../cluster.js';
import { CliError } from '../cli-error.js';
import { COMPONENTS, type Component } from '../components.js';
import { runDemo } from '../demo.js';
import { planDifferences } from '../lifecycle/plan-diff.js';
import { loadPlan, makePlan, PlanError, type ClusterPlan, type PlanOptions, type ProfileName } from '../plan.js';
import { say } from './common.js';

export interface UpFlags {
  stateDir: string;
  components: string;
  addressBlock?: string;
  etcdIpPrefix?: string;
  nodes: string;
  zones: string;
  apiservers: string;
  profile: ProfileName;
  foreground?: boolean;
  demo?: boolean;
}

const int = (s: string): number => (/^\d+$/.test(s.trim()) ? Number(s) : NaN);

/** The plan options the user typed (not commander's defaults): a saved plan is compared with these. */
function givenPlanOptions(cmd: Command, o: UpFlags): PlanOptions {
  const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli' || cmd.getOptionValueSource(name) === 'env';
  return {
    block: given('addressBlock') ? o.addressBlock : undefined,
    etcdIpPrefix: given('etcdIpPrefix') ? o.etcdIpPrefix : undefined,
    nodes: given('nodes') ? int(o.nodes) : undefined,
    zones: given('zones') ? int(o.zones) : undefined,
    apiservers: given('apiservers') ? int(o.apiservers) : undefined,
    profile: given('profile') ? o.profile : undefined,
  };
}

function printHowToReach(plan: ClusterPlan, components: string[], stateDir: string): void {
  // host:port, not http:// URLs: see packages/etcd/README.md (etcdctl's per-endpoint commands).
  const endpoints = plan.etcd.map((m) => m.client).join(',');
  say('');
  say('etcd is up. Try it with etcdctl (Debian package etcd-client):');
  say(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}`);
  say('  etcdctl get /registry --prefix --keys-only');
  say('  etcdctl endpoint status -w table');
  if (components.includes('apiserver')) {
    say(`The apiserver serves gRPC on ${plan.apiservers.map((a) => a.grpc).join(', ')}; the admin bearer token is in ${join(stateDir, 'tokens.json')}.`);
  }
  if (components.includes('dns')) {
    const [dnsHost, dnsPort] = (plan.dns[0]?.listen ?? '').split(':') as [string, string];
    say('Cluster DNS answers the cluster.local zone:');
    say(`  kemu dns query kubernetes.default --state-dir ${stateDir}`);
    say(`  dig @${dnsHost} -p ${dnsPort} kubernetes.default.svc.cluster.local    (dig: Debian package dnsutils)`);
  }
  say(`Processes, health and roles: kemu status --state-dir ${stateDir}; a process's log: kemu logs <process> -f --state-dir ${stateDir}`);
}

/**
 * `kemu up`: checks the flags (usage errors through `cmd.error`), makes or resumes the
 * state dir's plan, starts what is not running, then either returns or, with --foreground
 * or --demo, stays attached until SIGINT/SIGTERM and stops the cluster.
 */
export async function runUp(o: UpFlags, cmd: Command): Promise<void> {
  const components = o.components.split(',').map((c) => c.trim()).filter(Boolean);
  for (const c of components) {
    if (!(COMPONENTS as readonly string[]).includes(c)) cmd.error(`error: unknown component "${c}" (known: ${COMPONENTS.join(', ')})`);
  }
  for (const flag of ['nodes', 'zones', 'apiservers'] as const) {
    if (Number.isNaN(int(o[flag]))) cmd.error(`error: --${flag}: want a whole number, got "${o[flag]}"`);
  }
  const given = givenPlanOptions(cmd, o);
  try {
    // Bad values are errors even when a saved plan makes them moot.
    makePlan(given);
  } catch (err) {
    if (err instanceof PlanError) cmd.error(`error: ${err.message}`);
    throw err;
  }
  const saved = loadPlan(o.stateDir);
  let plan: ClusterPlan;
  if (saved) {
    plan = saved;
    const diffs = planDifferences(saved, given);
    if (diffs.length > 0) {
      process.stderr.write(`kemu up: ${resolve(o.stateDir)} already holds a cluster; resuming it as it was made:\n`);
      for (const d of diffs) process.stderr.write(`  ${d}\n`);
      process.stderr.write('  (a different cluster needs another --state-dir)\n');
    }
  } else {
    try {
      plan = makePlan({
        block: o.addressBlock,
        etcdIpPrefix: o.etcdIpPrefix,
        nodes: int(o.nodes),
        zones: int(o.zones),
        apiservers: int(o.apiservers),
        profile: o.profile,
      });
    } catch (err) {
      if (err instanceof PlanError) cmd.error(`error: ${err.message}`);
      throw err;
    }
  }
  say(`${saved ? 'Resuming' : 'Starting'} the cluster of ${resolve(o.stateDir)} (addresses ${plan.block}.x.y, profile ${plan.profile})`);
  try {
    await up({ stateDir: o.stateDir, components: components as Component[], plan, onProgress: say });
  } catch (err) {
    if (!(err instanceof UpError)) throw err;
    throw new CliError(`kemu up: ${err.message}`);
  }
  printHowToReach(plan, components, o.stateDir);
  say('');
  if (o.demo && components.includes('controller-manager') && components.includes('node')) {
    try {
      await runDemo(plan, tokens(o.stateDir).admin, o.stateDir);
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
}
