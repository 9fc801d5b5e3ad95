import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusError } from './etcd-members.js';

test('etcd status failures in a few words', () => {
  assert.equal(statusError({ code: 4, details: 'Deadline exceeded after 1.000s,LB pick: 0.001s,remote_addr=127.63.1.3:2379' }, 1_000), 'no answer within 1 s');
  assert.equal(
    statusError({ code: 14, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.63.1.1:2379. Resolution note: ' }, 1_000),
    'connect ECONNREFUSED 127.63.1.1:2379',
  );
  assert.equal(statusError({ code: 14, details: 'something else' }, 1_000), 'something else');
});
