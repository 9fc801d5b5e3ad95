import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { intFlag, parseFlags, positiveNumberFlag, UsageError, type FlagSpec } from './flags.js';

const SPECS: Record<string, FlagSpec> = {
  port: { type: 'string', description: 'port' },
  keepalive: { type: 'boolean', description: 'reuse' },
};

describe('parseFlags', () => {
  test('reads string and boolean flags in both spellings', () => {
    assert.deepEqual({ ...parseFlags('echo', ['--port', '80', '--keepalive'], SPECS) }, { port: '80', keepalive: true });
    assert.deepEqual({ ...parseFlags('echo', ['--port=81'], SPECS) }, { port: '81' });
  });

  test('an unknown flag is a UsageError naming it as written', () => {
    assert.throws(() => parseFlags('echo', ['--port', '1', '--prot', '2'], SPECS), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, 'echo: unknown flag --prot');
      return true;
    });
    assert.throws(() => parseFlags('echo', ['-p', '1'], SPECS), /echo: unknown flag -p/);
  });

  test('stray arguments, a missing value and a value on a boolean are UsageErrors', () => {
    assert.throws(() => parseFlags('echo', ['8080'], SPECS), /echo: unexpected argument "8080"/);
    assert.throws(() => parseFlags('echo', ['--port'], SPECS), (e: unknown) => e instanceof UsageError && /--port/.test(e.message));
    assert.throws(() => parseFlags('echo', ['--keepalive=yes'], SPECS), (e: unknown) => e instanceof UsageError && /--keepalive/.test(e.message));
  });
});

describe('value flags', () => {
  test('intFlag takes integers within bounds, else names the flag', () => {
    assert.equal(intFlag('echo', {}, 'port', 8080, 0, 65535), 8080);
    assert.equal(intFlag('echo', { port: '0' }, 'port', 8080, 0, 65535), 0);
    assert.throws(() => intFlag('echo', { port: '65536' }, 'port', 8080, 0, 65535), /echo: --port: invalid value "65536"/);
    assert.throws(() => intFlag('echo', { port: '80x' }, 'port', 8080, 0, 65535), UsageError);
  });

  test('positiveNumberFlag takes decimals above zero', () => {
    assert.equal(positiveNumberFlag('client', { rate: '0.5' }, 'rate', 20), 0.5);
    assert.equal(positiveNumberFlag('client', {}, 'rate', 20), 20);
    assert.throws(() => positiveNumberFlag('client', { rate: '0' }, 'rate', 20), /client: --rate: invalid value "0"/);
    assert.throws(() => positiveNumberFlag('client', { rate: '-1' }, 'rate', 20), UsageError);
  });
});
