import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonSyntaxError, parseJsonStream } from './json-stream.js';

test('a stream of JSON values, each with the line it starts on', () => {
  const docs = parseJsonStream('{"a": 1, "b": [true, null, -1.5e3, "x\\"y"]}\n\n{\n  "c": {}\n}\n[]');
  assert.deepEqual(docs, [
    { value: { a: 1, b: [true, null, -1500, 'x"y'] }, line: 1 },
    { value: { c: {} }, line: 3 },
    { value: [], line: 6 },
  ]);
  assert.deepEqual(parseJsonStream('  \n'), []);
});

test('syntax errors name the line and column where parsing stopped', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}'/],
    ['{\n  "a": 1,\n}', 3, 1, /expected a string key/],
    ['{"a": }', 1, 7, /expected a value/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['["a",\n "b"', 2, 5, /expected ',' or ']'/],
    ['{"a": "open\n"}', 1, 7, /unterminated string/],
    ['{"a" 1}', 1, 6, /expected ':'/],
  ];
  for (const [text, line, col, msg] of cases) {
    assert.throws(
      () => parseJsonStream(text),
      (e: unknown) => e instanceof JsonSyntaxError && e.pos.line === line && e.pos.col === col && msg.test(e.message),
      JSON.stringify(text),
    );
  }
});
