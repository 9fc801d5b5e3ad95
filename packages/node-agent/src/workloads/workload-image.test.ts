import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workloadCommand, workloadForImage, WORKLOAD_MAIN } from './workload-image.js';

test('workloadForImage maps kemu images, with or without tag or digest, and nothing else', () => {
  assert.equal(workloadForImage('kemu/echo'), 'echo');
  assert.equal(workloadForImage('kemu/tcp-echo:1.2'), 'tcp-echo');
  assert.equal(workloadForImage('kemu/udp-echo@sha256:abcd'), 'udp-echo');
  assert.equal(workloadForImage('kemu/client:latest@sha256:abcd'), 'client');
  assert.equal(workloadForImage('nginx'), undefined);
  assert.equal(workloadForImage('kemu/echoes'), undefined);
  assert.equal(workloadForImage('kemu/constructor'), undefined);
  assert.equal(workloadForImage('registry:5000/kemu/echo'), undefined);
  assert.equal(workloadForImage('docker.io/kemu/udp-echo:latest'), 'udp-echo', "Docker Hub's own name for the same image");
});

test('workloadCommand runs main.js beside this module with node', () => {
  assert.deepEqual(workloadCommand('echo', ['--port', '80']), { file: process.execPath, args: [WORKLOAD_MAIN, 'echo', '--port', '80'] });
  assert.match(WORKLOAD_MAIN, /\/dist\/workloads\/main\.js$/);
});
