// What `kemu dns query` asks and where it searches. Light on purpose: the CLI's help shows
// these without loading the DNS code.
import type { Type } from '@kemu/dns';

/** The resolv.conf a pod in namespace `default` gets in a cluster.local cluster. */
export const POD_SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'] as const;
export const POD_NDOTS = 5;

/**
 * The record types `dns query` names in its help: @kemu/dns's Type without OPT and the zone
 * transfers, which are not questions it sends (help.test.ts keeps the two in step).
 */
export const QUERY_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'ANY'] as const satisfies ReadonlyArray<keyof typeof Type>;
