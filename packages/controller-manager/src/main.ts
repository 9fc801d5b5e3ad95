#!/usr/bin/env node
// kemu-controller-manager: `node packages/controller-manager/dist/main.js --apiserver 127.0.2.1:6443 ...` (see --help).
import { ConfigError, createLogger, onShutdown } from '@kemu/common';
import { ControllerManagerConfigError, loadControllerManagerConfig } from './config.js';
import { ControllerManager } from './controller-manager.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadControllerManagerConfig();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ControllerManagerConfigError) {
      process.stderr.write(`controller-manager: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger('controller-manager', { identity: config.leaderElection.identity });
  const cm = new ControllerManager(config, log);
  onShutdown(log, () => cm.stop());
  // Like kube-controller-manager: a replica that lost the election exits at once and is
  // restarted clean, rather than risk acting alongside the new leader.
  void cm.fatal.then((reason) => {
    log.fatal({ reason }, 'exiting');
    log.flush();
    process.exit(1);
  });
  try {
    await cm.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    log.flush();
    process.exit(1);
  }
}

void main();
