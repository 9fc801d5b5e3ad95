// What `kemu chaos run` does once its flags are parsed (loaded only when it runs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { KubeClient } from '@kemu/api';
import { ConfigError, parseDuration } from '@kemu/common';
import { runChaos, type ChaosRunOptions } from '../chaos/run.js';
import { svgToPng } from '../chaos/png.js';
import { chartOf, formatReport, type ChaosReport } from '../chaos/report.js';
import type { ScenarioName } from '../chaos/scenarios.js';
import { renderChart } from '../chaos/svg-chart.js';
import { CliError } from '../cli-error.js';
import { asCliError, chaosCluster, type ClusterFlags } from './chaos-context.js';
import { say } from './common.js';

export interface RunFlags extends ClusterFlags {
  duration: string;
  warmup: string;
  tail: string;
  rate: string;
  clients: string;
  requestTimeout: string;
  replicas: string;
  pause: string;
  target?: string;
  out?: string;
}

function duration(cmd: Command, value: string, flag: string): number {
  try {
    return parseDuration(value, flag);
  } catch (err) {
    if (err instanceof ConfigError) cmd.error(`error: ${err.message}`);
    throw err;
  }
}

function positive(cmd: Command, value: string, flag: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) cmd.error(`error: --${flag}: want a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');

/**
 * `kemu chaos run SCENARIO`: checks the flags (usage errors through `cmd.error`), runs the
 * scenario against the cluster of --state-dir (or the compose cluster) and writes the report to --out. SIGINT ends
 * the run early, after what it broke is healed.
 */
export async function runChaosScenario(scenario: ScenarioName, f: RunFlags, cmd: Command): Promise<void> {
  // Usage errors print this command's usage, not the whole program's.
  const opts: ChaosRunOptions = {
    scenario,
    durationMs: duration(cmd, f.duration, 'duration'),
    warmupMs: duration(cmd, f.warmup, 'warmup'),
    tailMs: duration(cmd, f.tail, 'tail'),
    rate: positive(cmd, f.rate, 'rate', false),
    clients: positive(cmd, f.clients, 'clients', true),
    requestTimeoutMs: duration(cmd, f.requestTimeout, 'request-timeout'),
    replicas: positive(cmd, f.replicas, 'replicas', true),
    pauseMs: duration(cmd, f.pause, 'pause'),
    writeIntervalMs: 200,
    ...(f.target === undefined ? {} : { target: f.target }),
  };
  // Ctrl-C ends the run early, but not before what it broke is healed and its clients are gone.
  const abort = new AbortController();
  const onSignal = (): void => {
    say('[chaos] interrupted: healing and cleaning up (Ctrl-C again to quit at once)');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  opts.signal = abort.signal;
  const cluster = chaosCluster(f);
  const startedAt = new Date();
  const outDir = resolve(f.out ?? cluster.reportDir(`${scenario}-${stamp(startedAt)}`));
  let writeClient: KubeClient | undefined;
  try {
    writeClient = cluster.writeClient();
    const { report, clientLogs } = await runChaos(opts, {
      client: cluster.client(),
      writeClient,
      faults: cluster.faults,
      lookup: cluster.lookup(),
      etcd: cluster.etcd,
      podLog: (pod, container) => cluster.podLog(pod, container),
      progress: (line) => say(`[chaos] ${line}`),
      notes: await cluster.notes(scenario, opts.durationMs),
    });
    writeReport(report, clientLogs, outDir);
  } catch (err) {
    if (abort.signal.aborted) throw new CliError('kemu chaos: interrupted; what the run broke was healed and its clients deleted', 130, { cause: err });
    throw asCliError(err);
  } finally {
    process.off('SIGINT', onSignal);
    writeClient?.close();
    cluster.close();
  }
}

function writeReport(report: ChaosReport, clientLogs: ReadonlyArray<{ pod: string; log: string }>, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const c of clientLogs) writeFileSync(join(outDir, `${c.pod}.log`), c.log);
  const files = { json: join(outDir, 'report.json'), text: join(outDir, 'report.txt'), svg: join(outDir, 'chart.svg'), png: join(outDir, 'chart.png') };
  writeFileSync(files.svg, renderChart(chartOf(report)));
  const png = svgToPng(files.svg, files.png);
  const withFiles: ChaosReport = {
    ...report,
    files: { json: files.json, text: files.text, svg: files.svg, png: png.kind === 'written' ? png.path : null, ...(png.kind === 'skipped' ? { pngNote: png.reason } : {}) },
  };
  const text = formatReport(withFiles);
  writeFileSync(files.json, JSON.stringify(withFiles, null, 2) + '\n');
  writeFileSync(files.text, text);
  process.stdout.write(text);
  say('');
  say(`Report: ${files.text}`);
  say(`        ${files.json}`);
  say(`Chart:  ${files.svg}`);
  say(png.kind === 'written' ? `        ${png.path} (${png.converter})` : `        ${png.reason}`);
}
