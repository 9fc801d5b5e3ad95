import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { toEtcdError } from './errors.js';

/**
 * The one boundary where thrown errors become gRPC statuses for unary calls: a handler
 * is an async function of the request; whatever it throws is answered as etcd would.
 */
export function unary<Req, Res>(
  fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const e = toEtcdError(err);
        callback({ code: e.code, details: e.message });
      },
    );
  };
}
