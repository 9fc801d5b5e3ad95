import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcMessage } from './grpc-message.js';

test('gRPC connection errors are shortened to what failed', () => {
  const err = new Error('apiserver unavailable: No connection established. Last error: Error: connect ECONNREFUSED 127.64.2.1:6443. Resolution note: ');
  assert.equal(grpcMessage(err), 'apiserver unavailable: connect ECONNREFUSED 127.64.2.1:6443');
  assert.equal(grpcMessage({ details: 'etcdserver: request timed out' }), 'etcdserver: request timed out');
  assert.equal(grpcMessage('plain'), 'plain');
});
