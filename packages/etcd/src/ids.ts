import { createHash } from 'node:crypto';

/**
 * Member and cluster IDs. etcd derives a member's ID from its peer URLs and the cluster
 * token; kemu derives it from the member name and the token, kept below 2^48 so it is
 * an exact JS number inside Raft and a uint64 on the wire.
 */
export function memberIdOf(name: string, clusterToken: string): number {
  const h = createHash('sha256').update(`${name}\0${clusterToken}`).digest();
  const id = h.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

export function clusterIdOf(memberIds: number[], clusterToken: string): bigint {
  const h = createHash('sha256')
    .update([...memberIds].sort((a, b) => a - b).join(',') + `\0${clusterToken}`)
    .digest();
  return h.readBigUInt64BE(0) & 0x7fffffffffffffffn;
}

/** etcd prints IDs as lower-case hex without leading zeros. */
export const hexId = (id: number | bigint): string => id.toString(16);
