import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcMessage } from './grpc-message.js';

test('gRPC connection errors are shortened to what failed', () => {
  const err = new Error('apiserver unavailable: No connection established. Last error: Error: connect ECONNREFUSED 127.64.2.1:6443. Resolution note: ');
  assert.equal(grpcMessage(err), 'apiserver unavailable: connect ECONNREFUSED 127.64.2.1:6443');
  assert.equal(grpcMessage({ details: 'etcdserver: request timed out' }), 'etcdserver: request timed out');
  assert.equal(grpcMessage('plain'), 'plain');
});

test('etcd status failures in a few words', () => {
  assert.equal(grpcMessage({ code: 4, details: 'Deadline exceeded after 1.000s,LB pick: 0.001s,remote_addr=127.63.1.3:2379' }, 1_000), 'no answer within 1 s');
  assert.equal(
    grpcMessage({ code: 14, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.63.1.1:2379. Resolution note: ' }, 1_000),
    'connect ECONNREFUSED 127.63.1.1:2379',
  );
  assert.equal(grpcMessage({ code: 14, details: 'something else' }, 1_000), 'something else');
});
