/**
 * Benchmark (not a test): checks generated linearizable KV histories of 2,000 operations
 * on one key with 5, 8 and 10 concurrent clients and prints the time per check.
 * Run after building: `node test/dist/lincheck/bench.js [unknownWriteRate]`.
 */
import { checkOperations } from './check.js';
import { generateKvHistory } from './kv-history-gen.js';
import { kvModel } from './kv-model.js';
import { Prng } from './prng.js';

const unknownWriteRate = Number(process.argv[2] ?? '0');
for (const clients of [5, 8, 10]) {
  const times: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const h = generateKvHistory(new Prng(seed), { clients, ops: 2000, keys: ['k'], unknownWriteRate });
    const start = performance.now();
    const r = checkOperations(kvModel, h, { timeoutMs: 30_000 });
    times.push(performance.now() - start);
    if (r.result !== 'ok') console.log(`clients=${clients} seed=${seed}: ${r.result}`);
  }
  const ms = times.map((t) => t.toFixed(0)).join(' ');
  console.log(`2000 ops, 1 key, ${clients} clients, unknownWriteRate=${unknownWriteRate}: ${ms} ms`);
}
