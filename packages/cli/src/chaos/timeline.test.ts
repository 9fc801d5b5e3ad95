import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRel, mergeTimelines, timelineEvent } from './timeline.js';

test('timelines merge by time; ties keep the order of the lists, then of the events', () => {
  const faults = [timelineEvent('fault', 'fault', 100, 'node-2', 'kill node-2'), timelineEvent('fault', 'heal', 900, 'node-2', 'restart node-2')];
  const watched = [
    timelineEvent('node', 'node-not-ready', 500, 'node-2', 'node node-2 NotReady', 'node-2'),
    timelineEvent('endpoints', 'endpoint-not-ready', 100, '127.63.130.2', 'endpoint out', 'node-2'),
    timelineEvent('pod', 'pod-not-ready', 500, 'p', 'pod p not Ready', 'node-2'),
  ];
  const etcd = [timelineEvent('etcd', 'etcd-leader', 50, 'etcd-1', 'etcd leader etcd-1, term 3')];
  const merged = mergeTimelines(faults, [...watched].sort((a, b) => a.at - b.at), etcd);
  assert.deepEqual(
    merged.map((e) => `${e.at} ${e.kind}`),
    ['50 etcd-leader', '100 fault', '100 endpoint-not-ready', '500 node-not-ready', '500 pod-not-ready', '900 heal'],
  );
  assert.equal(merged[3]!.node, 'node-2');
  assert.equal('node' in merged[0]!, false, 'no node key when there is none');
});

test('relative times: sign and milliseconds', () => {
  assert.equal(formatRel(12_345), '+12.345 s');
  assert.equal(formatRel(-3_000), '-3.000 s');
  assert.equal(formatRel(0), '+0.000 s');
});
