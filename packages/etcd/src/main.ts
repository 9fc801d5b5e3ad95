#!/usr/bin/env node
// The etcd member process: `node packages/etcd/dist/main.js --name etcd-0 ...` (see --help).
import { createLogger, onShutdown, ConfigError } from '@kemu/common';
import { loadMemberConfig, MemberConfigError } from './config.js';
import { Member } from './member.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadMemberConfig();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MemberConfigError) {
      process.stderr.write(`etcd: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger('etcd', { member: config.name });
  const member = new Member(config, log);
  onShutdown(log, () => member.stop());
  void member.fatal.then(() => {
    log.flush();
    process.exit(1);
  });
  try {
    await member.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    log.flush();
    process.exit(1);
  }
}

void main();
