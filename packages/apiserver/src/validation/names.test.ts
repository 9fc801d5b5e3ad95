import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  nameIsDNSSubdomain,
  regexError,
} from './names.js';

describe('Kubernetes name formats', () => {
  test('the RFC 1123 label message, double space and all', () => {
    assert.deepEqual(isDNS1123Label('My_Name'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric " +
        "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.equal(regexError('m', 'f'), "m (regex used for validation is 'f')");
    assert.equal(regexError('m', 'f', 'a', 'b', 'c'), "m (e.g. 'a',  or 'b',  or 'c', regex used for validation is 'f')");
  });

  test('a label that is a valid subdomain only has dots', () => {
    assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDNS1123Label('123-abc'), []);
  });

  test('length limits count bytes and come before the pattern', () => {
    assert.deepEqual(isDNS1123Label('a'.repeat(63)), []);
    assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.deepEqual(isDNS1123Subdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), []);
    assert.equal(isDNS1123Subdomain('a'.repeat(254))[0], 'must be no more than 253 characters');
    assert.deepEqual(isValidLabelValue('é'.repeat(32)).slice(0, 1), ['must be no more than 63 characters']);
  });

  test('DNS-1035 labels start with a letter', () => {
    assert.deepEqual(isDNS1035Label('web-1'), []);
    assert.equal(isDNS1035Label('1web').length, 1);
    assert.ok(isDNS1035Label('1web')[0]!.includes("(e.g. 'my-name',  or 'abc-123', regex used"));
  });

  test('qualified names: prefix and name parts, and at most one slash', () => {
    assert.deepEqual(isQualifiedName('example.com/My.Name_1'), []);
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('x/'), [
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    assert.deepEqual(isQualifiedName('a/b/c'), [
      "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') " +
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
    assert.deepEqual(isQualifiedName(`x/${'n'.repeat(64)}`).slice(0, 1), ['name part must be no more than 63 characters']);
  });

  test('label values may be empty', () => {
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('v1.2_x'), []);
    assert.equal(isValidLabelValue('-x').length, 1);
  });

  test('port names: every rule reports', () => {
    assert.deepEqual(isValidPortName('http'), []);
    assert.deepEqual(isValidPortName('-1--'), [
      'must contain at least one letter (a-z)',
      'must not contain consecutive hyphens',
      'must not begin or end with a hyphen',
    ]);
    assert.deepEqual(isValidPortName('a-very-long-port-name'), ['must be no more than 15 characters']);
  });

  test("generateName may end in '-' (Kubernetes masks the last two characters)", () => {
    assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
    assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
    assert.equal(nameIsDNSSubdomain('Web-', true).length, 1);
  });
});
