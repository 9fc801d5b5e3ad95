/**
 * The seeded PRNG (mulberry32) the randomized tests and generated histories replay from:
 * the same generator @kemu/raft's simulation uses, under the name lincheck has always had.
 */
export { Rng as Prng } from '@kemu/raft';
