/**
 * Small seeded PRNG (mulberry32): the `random` a driver can inject for reproducible runs,
 * and what the simulation and kemu's test tooling use. Never called by the core itself.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng: pick from empty list');
    return items[this.int(items.length)]!;
  }

  /** A derived generator, so sub-streams do not perturb each other. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
