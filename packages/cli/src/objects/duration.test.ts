import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, describeTime, humanDuration, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('AGE keeps two units while they matter, as kubectl prints it', () => {
  const cases: Array<[number, string]> = [
    [-3 * S, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 5 * S, '2m5s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 20 * M, '3h20m'],
    [8 * H + 20 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [8 * D + 5 * H, '8d'],
    [400 * D, '400d'],
    [2 * 365 * D, '2y'],
    [3 * 365 * D + 10 * D, '3y10d'],
    [9 * 365 * D + 10 * D, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('age of a timestamp, <unknown> without one', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(age('2026-01-01T00:00:00Z', now), '10m');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(age('yesterday', now), '<unknown>');
});

test('Go durations parse to milliseconds; a bare number is seconds', () => {
  assert.equal(parseDuration('60s'), 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('0s'), 0);
  assert.equal(parseDuration('45'), 45_000);
  for (const bad of ['', 'soon', '10x', '1m 30s', 's']) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});

test('describe prints RFC 1123 times with the numeric zone', () => {
  assert.equal(describeTime('2006-01-02T22:04:05Z', -7 * 60), 'Mon, 02 Jan 2006 15:04:05 -0700');
  assert.equal(describeTime('2026-11-22T23:48:33Z', 0), 'Sun, 22 Nov 2026 23:48:33 +0000');
  assert.equal(describeTime('2026-11-22T23:48:33Z', 330), 'Mon, 23 Nov 2026 05:18:33 +0530');
  assert.equal(describeTime(undefined, 0), '<unset>');
});
