export { assertNever } from './assert-never.js';
export { loadConfig, usage, ConfigError, type Config, type OptionSpec } from './config.js';
export { parseDuration, parseHostPort } from './flag-values.js';
export { createLogger, type Logger } from './log.js';
export { startOpsServer, type OpsServer, type OpsServerOptions, type Check } from './ops-server.js';
export { onShutdown } from './shutdown.js';
export { serveGrpc, shutdownGrpc, splitHostPort } from './grpc-listen.js';
export { seededRandom } from './seeded-random.js';
