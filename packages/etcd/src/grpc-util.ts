import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Histogram, type Registry } from 'prom-client';
import { toEtcdError } from './errors.js';

type UnaryHandler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/**
 * The one boundary where a member's unary handlers meet gRPC: a handler is an async
 * function of the request; whatever it throws is answered as etcd would, and its time is
 * recorded in grpc_server_handling_seconds (as etcd exports it) per method and code.
 */
export class UnaryBoundary {
  private readonly handling: Histogram<'grpc_method' | 'grpc_code'>;
  /** Labelled children looked up once: label hashing on every call shows in profiles. */
  private readonly observers = new Map<string, { observe(v: number): void }>();

  constructor(registry: Registry) {
    this.handling = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from receiving a unary request to handing its response to gRPC.',
      labelNames: ['grpc_method', 'grpc_code'],
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4],
      registers: [registry],
    });
  }

  readonly wrap = <Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): UnaryHandler<Req, Res> => {
    return (call, callback) => {
      const start = performance.now();
      const done = (code: string): void => {
        const path = call.getPath();
        this.observer(path.slice(path.lastIndexOf('/') + 1), code).observe((performance.now() - start) / 1000);
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
  };

  private observer(method: string, code: string): { observe(v: number): void } {
    const key = `${method} ${code}`;
    let o = this.observers.get(key);
    if (!o) this.observers.set(key, (o = this.handling.labels(method, code)));
    return o;
  }
}
