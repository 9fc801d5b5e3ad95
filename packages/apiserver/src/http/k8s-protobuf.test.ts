import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { isApiError } from '@kemu/api';
import { decodeKubeProtobuf } from './k8s-protobuf.js';

type Build = (w: BinaryWriter) => void;
const msg = (w: BinaryWriter, no: number, body: Build): BinaryWriter => {
  w.tag(no, WireType.LengthDelimited).fork();
  body(w);
  return w.join();
};
const str = (w: BinaryWriter, no: number, s: string): BinaryWriter => w.tag(no, WireType.LengthDelimited).string(s);
const varint = (w: BinaryWriter, no: number, v: number): BinaryWriter => w.tag(no, WireType.Varint).int32(v);
const entry = (w: BinaryWriter, no: number, k: string, v: string): BinaryWriter => msg(w, no, (e) => str(str(e, 1, k), 2, v));

function envelope(apiVersion: string, kind: string, raw: Build): Buffer {
  const w = new BinaryWriter();
  msg(w, 1, (t) => str(str(t, 1, apiVersion), 2, kind));
  msg(w, 2, raw);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}

/** What client-go sends for `kubectl create deployment web --image=kemu/echo --replicas=0` (zero fields included, as gogo writes them). */
const deployment = envelope('apps/v1', 'Deployment', (w) => {
  msg(w, 1, (m) => {
    str(m, 1, 'web');
    str(m, 2, '');
    msg(m, 8, () => undefined);
    entry(m, 11, 'app', 'web');
  });
  msg(w, 2, (s) => {
    varint(s, 1, 0);
    msg(s, 2, (sel) => entry(sel, 1, 'app', 'web'));
    msg(s, 3, (t) => {
      msg(t, 1, (m) => entry(m, 11, 'app', 'web'));
      msg(t, 2, (ps) => {
        msg(ps, 2, (c) => {
          str(c, 1, 'echo');
          str(c, 2, 'kemu/echo');
          msg(c, 8, () => undefined);
          str(c, 13, '');
          msg(c, 11, (p) => {
            msg(p, 1, (h) => msg(h, 2, (g) => msg(str(g, 1, '/healthz'), 2, (port) => varint(port, 2, 8080))));
            varint(p, 2, 3);
          });
          msg(c, 6, (port) => varint(port, 3, 8080));
        });
        varint(ps, 11, 0);
        str(ps, 6, '');
      });
    });
    msg(s, 4, () => undefined);
    varint(s, 5, 0);
  });
  msg(w, 3, (st) => msg(st, 6, (c) => msg(str(str(c, 1, 'Available'), 2, 'True'), 7, (t) => t.tag(1, WireType.Varint).int64(1_700_000_000))));
});

test('a protobuf Deployment becomes the JSON kubectl would have sent', () => {
  assert.deepEqual(decodeKubeProtobuf(deployment), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'echo', image: 'kemu/echo', readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3 }, ports: [{ containerPort: 8080 }] },
          ],
        },
      },
      strategy: {},
    },
    status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2023-11-14T22:13:20Z' }] },
  });
});

test('unknown fields with a value are kept under their number; garbage is a 400', () => {
  const withHostPID = envelope('v1', 'Pod', (w) => msg(w, 2, (ps) => varint(ps, 12, 1)));
  assert.deepEqual(decodeKubeProtobuf(withHostPID), { apiVersion: 'v1', kind: 'Pod', spec: { '<proto field 12>': true } });
  assert.throws(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}')), (e) => isApiError(e) && e.code === 400);
  assert.throws(() => decodeKubeProtobuf(envelope('batch/v1', 'Job', () => undefined)), (e) => isApiError(e) && e.code === 400 && /no kind "Job"/.test(e.message));
  assert.throws(() => decodeKubeProtobuf(Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x7f])])), (e) => isApiError(e) && e.code === 400);
});

test('DeleteOptions', () => {
  const body = envelope('v1', 'DeleteOptions', (w) => {
    w.tag(1, WireType.Varint).int64(0);
    str(w, 4, 'Foreground');
    msg(w, 2, (p) => str(p, 1, 'uid-1'));
  });
  assert.deepEqual(decodeKubeProtobuf(body), { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'uid-1' } });
});
