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
  let cm = new ControllerManager(config, log);
  let stopping = false;
  onShutdown(log, () => {
    stopping = true;
    return cm.stop();
  });
  // kube-controller-manager exits when it loses the election and relies on its
  // supervisor to start it clean. kemu's processes have no supervisor (kemu up starts
  // them once; a test harness tracks them by PID), so a replica that lost the election
  // (e.g. it could not renew while the apiserver was overloaded) stops every controller
  // and informer, drops its clients, and starts over as a fresh standby in the same process.
  for (;;) {
    try {
      await cm.start();
    } catch (err) {
      log.fatal({ err }, 'failed to start');
      log.flush();
      process.exit(1);
    }
    const reason = await cm.fatal;
    if (stopping) return;
    log.error({ reason }, 'stopping every controller and starting over as a standby');
    await cm.stop();
    if (stopping) return;
    cm = new ControllerManager(config, log);
  }
}

void main();
