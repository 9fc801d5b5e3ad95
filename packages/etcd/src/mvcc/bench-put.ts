// Benchmark (not a test): puts/s into a store that already holds 100k keys.
// Run: node <out>/bench-put.js
import { MvccStore } from './mvcc-store.js';

const N = 100_000;
const store = new MvccStore();
const value = Buffer.alloc(100, 0x61);
const key = (i: number): Buffer => Buffer.from(`/registry/pods/ns-${i % 50}/pod-${i}`, 'latin1');

let t = process.hrtime.bigint();
for (let i = 0; i < N; i++) store.put({ key: key(i), value });
const fill = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`fill: ${N} new keys in ${fill.toFixed(2)}s = ${Math.round(N / fill)} puts/s`);

const M = 200_000;
t = process.hrtime.bigint();
for (let i = 0; i < M; i++) store.put({ key: key((i * 7919) % N), value });
const upd = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`update: ${M} puts over 100k keys in ${upd.toFixed(2)}s = ${Math.round(M / upd)} puts/s`);

t = process.hrtime.bigint();
for (let i = 0; i < 50_000; i++) store.put({ key: key(N + i), value });
const ins = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`insert: 50000 new keys into 100k in ${ins.toFixed(2)}s = ${Math.round(50_000 / ins)} puts/s`);

t = process.hrtime.bigint();
const r = store.range({ key: Buffer.from('/registry/pods/ns-7/'), rangeEnd: Buffer.from('/registry/pods/ns-70') });
console.log(`range prefix: ${r.count} keys in ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)}ms`);

t = process.hrtime.bigint();
store.compact({ revision: store.revision });
console.log(`compact ${N + M + 50_000} revisions: ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)}ms`);

t = process.hrtime.bigint();
const snap = store.serialize();
console.log(`serialize: ${snap.length} bytes in ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)}ms`);
t = process.hrtime.bigint();
MvccStore.restore(snap);
console.log(`restore: ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)}ms`);
