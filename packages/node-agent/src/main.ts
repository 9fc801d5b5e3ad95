#!/usr/bin/env -S node --max-semi-space-size=2 --optimize-for-size
// kemu-node-agent: `node packages/node-agent/dist/main.js --node-name node-1 --node-ip 127.0.10.1 --pod-cidr 127.244.1.0/24 ...` (see --help).
import { ConfigError, createLogger, onShutdown } from '@kemu/common';
import { loadNodeAgentConfig } from './config.js';
import { NodeAgent } from './node-agent.js';
import { ProxierError } from './proxier.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadNodeAgentConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`node-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger('node-agent', { node: config.nodeName });
  const agent = new NodeAgent(config, log);
  onShutdown(log, () => agent.stop());
  try {
    await agent.start();
  } catch (err) {
    if (err instanceof ProxierError) process.stderr.write(`node-agent: ${err.message}\n`);
    log.fatal({ err }, 'failed to start');
    log.flush();
    process.exit(1);
  }
}

void main();
