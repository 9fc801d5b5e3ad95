// The load-balancing algorithms: which of a port's candidate endpoints a new connection gets.
import { assertNever } from '@kemu/common';
import type { PortState } from './port-state.js';
import type { Algorithm, EndpointInfo } from './types.js';

/**
 * Picks one of `candidates` (non-empty) for a new connection to `port`.
 * random: uniform, as iptables mode's chained probabilities 1/n, 1/(n-1), ... amount to.
 * round-robin: the port's cursor walks the candidate list; O(1).
 * least-connections: fewest active connections; ties go to the first at or after the
 * round-robin cursor, so equal endpoints take turns; O(n).
 */
export function choose(
  algorithm: Algorithm,
  candidates: readonly EndpointInfo[],
  port: PortState,
  random: () => number,
): EndpointInfo {
  const n = candidates.length;
  let index: number;
  switch (algorithm) {
    case 'random':
      index = Math.min(n - 1, Math.floor(random() * n));
      break;
    case 'round-robin':
      index = port.rr % n;
      port.rr = index + 1;
      break;
    case 'least-connections': {
      const start = port.rr % n;
      index = start;
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const j = (start + i) % n;
        const e = candidates[j];
        if (e === undefined) continue;
        const active = port.activeOf(e.key);
        if (active < best) {
          best = active;
          index = j;
        }
      }
      port.rr = index + 1;
      break;
    }
    default:
      return assertNever(algorithm, 'load-balancing algorithm');
  }
  const chosen = candidates[index];
  if (chosen === undefined) throw new Error(`proxy balancer: no candidate at ${index} of ${n}`);
  return chosen;
}

/** The candidate a client address hashes to (FNV-1a), the same in every agent with the same list. */
export function byClientHash(candidates: readonly EndpointInfo[], clientIP: string): EndpointInfo {
  let h = 0x811c9dc5;
  for (let i = 0; i < clientIP.length; i++) h = Math.imul(h ^ clientIP.charCodeAt(i), 0x01000193);
  const chosen = candidates[(h >>> 0) % candidates.length];
  if (chosen === undefined) throw new Error('proxy balancer: no candidates');
  return chosen;
}
