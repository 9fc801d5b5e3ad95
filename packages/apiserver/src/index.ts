export { Apiserver } from './apiserver.js';
export { APISERVER_OPTIONS, loadApiserverConfig, type ApiserverConfig } from './config.js';
export { TokenAuthenticator, type User } from './auth.js';
export { IPRange, parsePortRange } from './allocators/ranges.js';
