import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Histogram, type Registry } from 'prom-client';
import { toEtcdError } from './errors.js';

/** grpc_server_handling_seconds, as etcd exports it: handler time per method and code. */
let handling: Histogram<'grpc_method' | 'grpc_code'> | undefined;

const observers = new Map<string, { observe(v: number): void }>();

/** The labelled child for (method, code), looked up once: label hashing per call shows in profiles. */
function observer(method: string, code: string): { observe(v: number): void } | undefined {
  if (!handling) return undefined;
  const key = `${method} ${code}`;
  let o = observers.get(key);
  if (!o) observers.set(key, (o = handling.labels(method, code)));
  return o;
}

export function registerGrpcMetrics(registry: Registry): void {
  observers.clear();
  handling = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from receiving a unary request to handing its response to gRPC.',
    labelNames: ['grpc_method', 'grpc_code'],
    buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4],
    registers: [registry],
  });
}

/**
 * The one boundary where thrown errors become gRPC statuses for unary calls: a handler
 * is an async function of the request; whatever it throws is answered as etcd would.
 */
export function unary<Req, Res>(
  fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const start = performance.now();
    const done = (code: string): void => {
      const path = call.getPath();
      observer(path.slice(path.lastIndexOf('/') + 1), code)?.observe((performance.now() - start) / 1000);
    };
    fn(call.request, call).then(
      (res) => {
        done('OK');
        callback(null, res);
      },
      (err: unknown) => {
        const e = toEtcdError(err);
        done(String(e.code));
        callback({ code: e.code, details: e.message });
      },
    );
  };
}
