import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenAuthenticator } from './auth.js';

test('token file: users, groups, comments; wrong or missing tokens are refused', () => {
  const a = TokenAuthenticator.parse('# comment\nabc123,system:kube-controller-manager,uid-1\nxyz,admin,uid-2,"system:masters,dev"\n');
  assert.deepEqual(a.authenticate('Bearer abc123'), { name: 'system:kube-controller-manager', uid: 'uid-1', groups: [] });
  assert.deepEqual(a.authenticate('Bearer xyz')?.groups, ['system:masters', 'dev']);
  assert.equal(a.authenticate('Bearer abc12'), undefined);
  assert.equal(a.authenticate('abc123'), undefined);
  assert.equal(a.authenticate(undefined), undefined);
  assert.throws(() => TokenAuthenticator.parse('onlytoken\n'), /expected token,user,uid/);
});
