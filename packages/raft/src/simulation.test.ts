import { test } from 'node:test';
import { Simulation } from './testing/sim-cluster.js';

/**
 * Seeded randomized simulation. Every seed runs a chaos phase (loss, duplication,
 * delay/reorder, partitions, crashes with restart from persisted state, proposals,
 * compaction, reads, leadership transfers) with the safety invariants checked after
 * every step, then a liveness phase.
 *
 *   RAFT_SIM_SEEDS=10000   run more seeds (per cluster size)
 *   RAFT_SIM_SEED=123 RAFT_SIM_NODES=5   replay one failing seed
 *   RAFT_SIM_STEPS=600     longer chaos phase
 */
const seeds = Number(process.env.RAFT_SIM_SEEDS ?? '500');
const steps = Number(process.env.RAFT_SIM_STEPS ?? '300');
const only = process.env.RAFT_SIM_SEED;

if (only !== undefined) {
  const nodes = Number(process.env.RAFT_SIM_NODES ?? '3');
  test(`raft simulation replay seed ${only} (${nodes} nodes)`, () => {
    new Simulation({ seed: Number(only), nodes, steps }).run();
  });
} else {
  for (const nodes of [3, 5]) {
    test(`raft simulation: ${seeds} seeds x ${nodes} nodes, ${steps} steps each`, () => {
      for (let seed = 1; seed <= seeds; seed++) new Simulation({ seed, nodes, steps }).run();
    });
  }
}
