import type { Message, NodeId } from '../types.js';
import type { Rng } from '../rng.js';

export interface NetworkFaults {
  /** Probability a message is lost. */
  drop: number;
  /** Probability a message is delivered twice. */
  duplicate: number;
  /** Max normal delay in ticks (uniform in [0, maxDelay]). */
  maxDelay: number;
  /** Probability of a long delay (up to longDelay ticks), which reorders heavily. */
  longDelayChance: number;
  longDelay: number;
}

export const NO_FAULTS: NetworkFaults = { drop: 0, duplicate: 0, maxDelay: 1, longDelayChance: 0, longDelay: 0 };

interface Packet {
  /** The node that physically sent it (differs from m.from for forwarded MsgTransferLeader). */
  sender: NodeId;
  m: Message;
  deliverAt: number;
}

/**
 * A lossy, duplicating, delaying, reordering network with partitions. Partitions are
 * checked both at send and at delivery time.
 */
export class SimNetwork {
  private packets: Packet[] = [];
  /** Partition group per node; nodes in different groups cannot talk. */
  private group = new Map<NodeId, number>();
  faults: NetworkFaults;

  constructor(
    private readonly rng: Rng,
    faults: NetworkFaults,
  ) {
    this.faults = faults;
  }

  connected(a: NodeId, b: NodeId): boolean {
    return (this.group.get(a) ?? 0) === (this.group.get(b) ?? 0);
  }

  partition(groups: NodeId[][]): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id, i)));
  }

  heal(): void {
    this.group.clear();
  }

  /** Returns false if the message was lost at send time. */
  send(sender: NodeId, m: Message, now: number): boolean {
    const f = this.faults;
    if (!this.connected(sender, m.to) || this.rng.chance(f.drop)) return false;
    const copies = this.rng.chance(f.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.rng.chance(f.longDelayChance) ? this.rng.int(f.longDelay + 1) : this.rng.int(f.maxDelay + 1);
      this.packets.push({ sender, m, deliverAt: now + delay });
    }
    return true;
  }

  /**
   * Removes and returns the due packets in random order. Those cut by a partition are
   * returned with `lost` set, so the driver can report failed snapshots.
   */
  takeDue(now: number): { sender: NodeId; m: Message; lost: boolean }[] {
    const due: Packet[] = [];
    const rest: Packet[] = [];
    for (const p of this.packets) (p.deliverAt <= now ? due : rest).push(p);
    this.packets = rest;
    for (let i = due.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    return due.map((p) => ({ sender: p.sender, m: p.m, lost: !this.connected(p.sender, p.m.to) }));
  }

  get inFlight(): number {
    return this.packets.length;
  }
}
