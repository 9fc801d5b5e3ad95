import { status } from '@grpc/grpc-js';

/**
 * An error returned to etcd clients: a gRPC status code and etcd's exact message text
 * (clients such as etcdctl and clientv3 match on the text to rebuild typed errors).
 */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const def = (code: status, message: string) => () => new EtcdError(code, message);

/** etcd 3.4's server-side errors (api/v3rpc/rpctypes), by name. */
export const Errors = {
  emptyKey: def(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: def(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: def(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: def(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: def(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: def(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  compacted: def(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: def(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: def(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExist: def(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: def(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  memberNotFound: def(status.NOT_FOUND, 'etcdserver: member not found'),
  requestTooLarge: def(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  tooManyRequests: def(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  noLeader: def(status.UNAVAILABLE, 'etcdserver: no leader'),
  notLeader: def(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  leaderChanged: def(status.UNAVAILABLE, 'etcdserver: leader changed'),
  stopped: def(status.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: def(status.UNAVAILABLE, 'etcdserver: request timed out'),
  timeoutDueToLeaderFail: def(status.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'),
  badLeaderTransferee: def(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  notSupported: (what: string) => new EtcdError(status.UNIMPLEMENTED, `etcdserver: ${what} is not supported by kemu`),
} as const;

/** Known etcd message texts (from errors raised in pure code) mapped to their status codes. */
const codeByMessage = new Map<string, status>(
  Object.values(Errors)
    .filter((f) => f.length === 0)
    .map((f) => {
      const e = (f as () => EtcdError)();
      return [e.message, e.code] as const;
    }),
);

/** The one conversion from any thrown value to an etcd error at the gRPC boundary. */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = codeByMessage.get(message);
  if (code !== undefined) return new EtcdError(code, message, { cause: err });
  return new EtcdError(status.INTERNAL, `etcdserver: ${message}`, { cause: err });
}
