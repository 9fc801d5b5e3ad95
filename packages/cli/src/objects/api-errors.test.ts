import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, apiError, errors, fieldErrors, invalidError, Reason, STATUS_TRAILER } from '@kemu/api';
import { connectionProblem, describeFailure, formatApiError } from './api-errors.js';

test('NotFound and other server errors print as "Error from server (Reason): message"', () => {
  assert.equal(formatApiError(errors.notFound({ resource: 'pods', name: 'x' })), 'Error from server (NotFound): pods "x" not found');
  assert.equal(formatApiError(errors.notFound({ resource: 'deployments', group: 'apps', name: 'x' })), 'Error from server (NotFound): deployments.apps "x" not found');
  assert.equal(
    formatApiError(errors.alreadyExists({ resource: 'services', name: 'web' }), { verb: 'creating', source: 'app.yaml' }),
    'Error from server (AlreadyExists): error when creating "app.yaml": services "web" already exists',
  );
  assert.equal(formatApiError(errors.unauthorized()), 'error: You must be logged in to the server (Unauthorized)');
});

test('Invalid prints the kind, name and field errors as the apiserver wrote them', () => {
  const one = invalidError('Service', 'web', '', [fieldErrors.invalid('spec.ports[0].port', 0, 'must be between 1 and 65535, inclusive')]);
  assert.equal(formatApiError(one), 'The Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
  const two = invalidError('Service', 'web', '', [fieldErrors.required('spec.ports[0].name', ''), fieldErrors.invalid('spec.ports[1].nodePort', 29999, 'provided port is not in the valid range')]);
  assert.equal(
    formatApiError(two, { verb: 'creating', source: 'x.yaml' }),
    'The Service "web" is invalid:\n* spec.ports[0].name: Required value\n* spec.ports[1].nodePort: Invalid value: 29999: provided port is not in the valid range',
  );
});

/** A transport failure as KubeClient reports it: a 503 caused by the gRPC error. */
const transport = (code: number, details: string, trailer?: string): ApiError => {
  const cause = { code, details, message: details, metadata: { get: (k: string): unknown[] => (k === STATUS_TRAILER && trailer ? [trailer] : []) } };
  return apiError(Reason.ServiceUnavailable, `apiserver unavailable: ${details}`, undefined, undefined, cause);
};

test('an unreachable apiserver is named, with the addresses tried', () => {
  const refused = transport(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.61.250.250:6443');
  assert.equal(connectionProblem(refused, ['127.61.250.250:6443']), 'The connection to the server 127.61.250.250:6443 was refused - is the cluster up? (kemu up)');
  assert.match(connectionProblem(transport(14, 'read ECONNRESET'), ['a:1', 'b:2']) ?? '', /^Unable to connect to the server a:1, b:2: read ECONNRESET/);
  assert.match(connectionProblem(transport(4, 'Deadline exceeded'), ['a:1']) ?? '', /^Unable to connect to the server a:1: no answer before the deadline/);
  assert.equal(describeFailure(refused, ['x:1']), 'The connection to the server x:1 was refused - is the cluster up? (kemu up)');
});

test('a 503 the server itself sent is the server\'s error, not a connection problem', () => {
  const fromServer = transport(14, 'etcd unavailable', '{"status":"Failure"}');
  assert.equal(connectionProblem(fromServer, ['a:1']), undefined);
  assert.equal(connectionProblem(errors.unavailable('etcd cluster is unavailable'), ['a:1']), undefined);
  assert.equal(connectionProblem(new Error('x'), ['a:1']), undefined);
  assert.equal(describeFailure(errors.unavailable('etcd cluster is unavailable'), ['a:1']), 'Error from server (ServiceUnavailable): etcd cluster is unavailable');
});
