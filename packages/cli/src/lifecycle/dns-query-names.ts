// What `kemu dns query` asks and where it searches. Light on purpose: the CLI's help shows
// these without loading the DNS code.
import { Type } from '@kemu/dns/constants';

/** The resolv.conf a pod in namespace `default` gets in a cluster.local cluster. */
export const POD_SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'] as const;
export const POD_NDOTS = 5;

/** The record types `dns query` asks for: @kemu/dns's Type without OPT and the zone transfers, which are not questions. */
export const QUERY_TYPES = (Object.keys(Type) as Array<keyof typeof Type>).filter((t) => t !== 'OPT' && t !== 'IXFR' && t !== 'AXFR');
