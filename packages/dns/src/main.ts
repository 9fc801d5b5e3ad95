#!/usr/bin/env node
// kemu-dns: `node packages/dns/dist/main.js --listen 127.0.4.1:1053 --apiserver 127.0.2.1:6443 --token-file ...`, or `--conf Corefile` (see --help).
import { ConfigError, createLogger, onShutdown } from '@kemu/common';
import { loadDnsConfig } from './config.js';
import { DnsProcess } from './dns.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadDnsConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dns: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger('dns');
  const dns = new DnsProcess(config, log);
  onShutdown(log, () => dns.stop());
  try {
    await dns.start();
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`dns: ${err.message}\n`);
    log.fatal({ err }, 'failed to start');
    log.flush();
    process.exit(1);
  }
}

void main();
