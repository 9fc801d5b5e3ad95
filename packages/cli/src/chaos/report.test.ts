import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, chartOf, formatReport, type ReportInput } from './report.js';
import { timelineEvent } from './timeline.js';
import type { ClientSecond } from './traffic.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const sec = (s: number, ok: number, failed: number, stalled = 0): ClientSecond => ({ t: T0 + s * 1_000, ok, failed, stalled, errors: failed ? { ECONNRESET: failed } : {} });

const input: ReportInput = {
  scenario: 'node-kill',
  description: 'kill node node-2 (hosts chaos-target-b) with its pods',
  driver: 'local processes (signals)',
  settings: { durationS: 4, warmupS: 2, rate: 20, requestTimeoutS: 2, pauseS: null, tailS: 1 },
  service: { namespace: 'kemu-chaos', name: 'chaos-target', clusterIP: '127.63.64.20', port: 80, url: 'http://127.63.64.20:80/', replicas: 3 },
  clients: [
    { pod: 'chaos-client-x-0', node: 'node-1', rate: 10 },
    { pod: 'chaos-client-x-1', node: 'node-3', rate: 10 },
  ],
  trafficFrom: T0,
  faultAt: T0 + 2_300,
  until: T0 + 8_000,
  faults: [
    { at: T0 + 2_300, phase: 'fault', action: 'kill', target: 'node-2', detail: 'SIGKILL node-2 (pid 10); SIGKILL 1 pod process of the node' },
    { at: T0 + 6_300, phase: 'heal', action: 'restart', target: 'node-2', detail: 'started node-2 again (pid 11), ready' },
  ],
  clientLines: [
    [sec(-1, 10, 0), sec(0, 10, 0), sec(1, 10, 0), sec(2, 9, 1), sec(3, 10, 0), sec(4, 10, 0), sec(5, 10, 0), sec(6, 10, 0), sec(7, 10, 0), sec(8, 10, 0)],
    [sec(0, 10, 0), sec(1, 10, 0), sec(2, 10, 0), sec(3, 8, 2), sec(4, 10, 0), sec(6, 21, 0), sec(7, 10, 0)],
  ],
  writes: [
    { start: T0 + 2_000, end: T0 + 2_050, ok: true },
    { start: T0 + 2_400, end: T0 + 3_400, ok: false, error: 'Timeout' },
    { start: T0 + 3_400, end: T0 + 3_450, ok: true },
  ],
  writeIntervalMs: 200,
  writeTarget: 'Lease kemu-chaos/write-probe',
  events: [
    timelineEvent('node', 'node-not-ready', T0 + 5_000, 'node-2', 'node node-2 NotReady (Ready=Unknown: NodeStatusUnknown)', 'node-2'),
    timelineEvent('endpoints', 'endpoint-not-ready', T0 + 5_200, '127.63.130.2', 'kemu-chaos/chaos-target: endpoint 127.63.130.2 (pod chaos-target-b, node-2) not ready: out of rotation', 'node-2'),
    timelineEvent('pod', 'pod-created', T0 - 5_000, 'old', 'before the traffic: left out'),
  ],
  etcdLeaders: [{ at: T0 - 10_000, name: 'etcd-0', term: 2 }],
  notes: ['node lifecycle (controller-manager preset fast-recovery): NotReady after 20 s without a heartbeat, pods evicted 120 s later'],
};

test('the report: per-second sums, availability, first failure and recovery from the fault second, writes, a merged timeline', () => {
  const r = buildReport(input);
  assert.equal(r.faultAt, '2026-01-01T00:00:02.300Z');
  assert.equal(r.healAt, '2026-01-01T00:00:06.300Z');
  assert.deepEqual(r.requests.seconds.map((s) => [s.rel, s.ok, s.failed, s.reports]), [
    [-2, 20, 0, 2],
    [-1, 20, 0, 2],
    [0, 19, 1, 2],
    [1, 18, 2, 2],
    [2, 20, 0, 2],
    [3, 10, 0, 1],
    [4, 31, 0, 2],
    [5, 20, 0, 2],
  ]);
  assert.deepEqual(r.requests.total, { ok: 158, failed: 3, availabilityPct: 98.14 });
  assert.equal(r.requests.firstFailureS, 0);
  assert.equal(r.requests.recoveryS, 2);
  assert.equal(r.writes.resumedS, 1.15);
  assert.equal(r.writes.faultGapMs, 1_400);
  assert.deepEqual(r.writes.seconds.filter((s) => s.ok + s.failed > 0).map((s) => [s.rel, s.ok, s.failed]), [[0, 1, 1], [1, 1, 0]]);
  assert.deepEqual(r.etcd, { leaderBefore: { name: 'etcd-0', term: 2 }, leaderAfter: { name: 'etcd-0', term: 2 }, leaders: [{ atS: -12.3, name: 'etcd-0', term: 2 }] });
  assert.deepEqual(r.timeline.map((e) => [e.atS, e.kind]), [
    [0, 'fault'],
    [2.7, 'node-not-ready'],
    [2.9, 'endpoint-not-ready'],
    [4, 'heal'],
  ]);
  assert.equal(r.timeline[2]!.node, 'node-2');
});

test('the text report names the numbers a person looks for', () => {
  const text = formatReport(buildReport(input));
  assert.match(text, /^kemu chaos run node-kill: kill node node-2/);
  assert.match(text, /chaos-client-x-1 on node-3, 10\/s\), each request failed after 2 s without an answer/);
  assert.match(text, /Requests: 158 ok, 3 failed: availability 98\.14% \(after the fault: 118 ok, 3 failed, 97\.52%\)/);
  assert.match(text, /first failure: \+0 s after the fault; full recovery: \+2 s \(no failure from then on\)/);
  assert.match(text, /writes resumed \+1\.15 s, gap around the fault 1400 ms/);
  assert.match(text, /Note: node lifecycle/);
  assert.match(text, /^ +t +ok +failed +writes ok +writes failed +errors$/m);
  assert.match(text, /^ +\+1 +18 +2 +1 +0 +ECONNRESET=2$/m);
  assert.match(text, /^ +\+2\.700 s +node +node node-2 NotReady/m);
  assert.doesNotMatch(text, /not counted/);
});

test('requests whose client was stalled are reported apart, per second and in total, and leave availability alone', () => {
  const stalled = { ...input, clientLines: [input.clientLines[0]!, [...input.clientLines[1]!.slice(0, 3), sec(3, 8, 2, 5), ...input.clientLines[1]!.slice(4)]] };
  const text = formatReport(buildReport(stalled));
  assert.match(text, /Requests: 158 ok, 3 failed: availability 98\.14%/);
  assert.match(text, /not counted: 5 requests whose deadline passed while the client itself was stalled/);
  assert.match(text, /^ +\+1 +18 +2 +1 +0 +ECONNRESET=2 client-stalled=5$/m);
});

test('the chart input: bars per second, fault and heal markers, events without the faults', () => {
  const c = chartOf(buildReport(input));
  assert.equal(c.requests.length, 8);
  assert.deepEqual(c.markers, [
    { relS: 0, kind: 'fault', label: 'fault node-2' },
    { relS: 4, kind: 'heal', label: 'heal node-2' },
  ]);
  assert.deepEqual(c.events.map((e) => e.source), ['node', 'endpoints']);
});

test('actions of one phase close together share a chart marker', () => {
  const r = buildReport({
    ...input,
    faults: [
      { at: T0 + 2_300, phase: 'fault', action: 'kill', target: 'node-1', detail: '' },
      { at: T0 + 2_330, phase: 'fault', action: 'kill', target: 'node-3', detail: '' },
      { at: T0 + 6_300, phase: 'heal', action: 'restart', target: 'node-3', detail: '' },
      { at: T0 + 6_301, phase: 'heal', action: 'restart', target: 'node-1', detail: '' },
    ],
  });
  assert.deepEqual(chartOf(r).markers, [
    { relS: 0, kind: 'fault', label: 'fault node-1, node-3' },
    { relS: 4, kind: 'heal', label: 'heal node-3, node-1' },
  ]);
});
