#!/usr/bin/env node
// The apiserver process: `node packages/apiserver/dist/main.js --token-auth-file tokens.csv` (see --help).
import { ConfigError, createLogger, onShutdown } from '@kemu/common';
import { Apiserver } from './apiserver.js';
import { loadApiserverConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadApiserverConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`apiserver: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger('apiserver', { addr: `${config.bindAddress}:${config.securePort}` });
  const server = new Apiserver(config, log);
  onShutdown(log, () => server.stop());
  try {
    await server.start();
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    log.flush();
    process.exit(1);
  }
}

void main();
