/**
 * Which items name which owner uids, both ways, so that an owner's deletion can enqueue
 * exactly its dependents. Invariant: `byOwner` and `owners` describe the same edges.
 */
export class DependentsIndex {
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly owners = new Map<string, readonly string[]>();

  /** Records `item`'s current owner uids, replacing what was recorded before. */
  set(item: string, ownerUids: readonly string[]): void {
    this.delete(item);
    if (ownerUids.length === 0) return;
    this.owners.set(item, ownerUids);
    for (const uid of ownerUids) {
      let s = this.byOwner.get(uid);
      if (!s) this.byOwner.set(uid, (s = new Set()));
      s.add(item);
    }
  }

  delete(item: string): void {
    for (const uid of this.owners.get(item) ?? []) {
      const s = this.byOwner.get(uid);
      s?.delete(item);
      if (s?.size === 0) this.byOwner.delete(uid);
    }
    this.owners.delete(item);
  }

  dependentsOf(ownerUid: string): string[] {
    return [...(this.byOwner.get(ownerUid) ?? [])];
  }

  get size(): number {
    return this.owners.size;
  }
}
