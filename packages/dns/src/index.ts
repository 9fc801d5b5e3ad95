export { DnsProcess } from './dns.js';
export { dnsOptions, loadDnsConfig, resolveDnsConfig, corefileFromFlags, type DnsConfig } from './config.js';
export { parseCorefile } from './corefile/parse.js';
export { ClusterRecords, SCHEMA_VERSION } from './plugins/kubernetes/records.js';
export { parseQuery, Query, ParseError, readName, skipRecord } from './wire/parse.js';
export { Type, Rcode, Class } from './wire/constants.js';
export { encodeQuery, type QueryOptions } from './wire/query.js';
