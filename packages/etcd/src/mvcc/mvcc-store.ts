// MvccStore: the etcd v3.4 key-value state machine of one member. The Raft
// driver calls the write methods in log order on every member; they are pure
// and deterministic (same requests in the same order => same state, same
// responses, same events, same snapshot bytes and hashes).
//
// Errors are thrown as the typed classes of errors.ts. A thrown write leaves
// the store unchanged.

import { applyRange, applyTxn, deleteInTxn, putInTxn, storeView, type TxnEnv } from './apply.js';
import { crc32c, marshalKeyValue, revisionBytes } from './codec.js';
import { CompactedError, FutureRevisionError, LeaseNotFoundError } from './errors.js';
import { parseSnapshot, serializeCore } from './snapshot.js';
import { entryToEvent, StoreCore, toKeyRange } from './store-core.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  HashKVResult,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WriteResult,
} from './types.js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest, DEFAULT_MAX_TXN_OPS } from './validate.js';

export interface MvccStoreOptions {
  /** Whether the lessor knows a lease; puts naming an unknown lease fail. Default: no lease exists. */
  readonly leaseExists?: (id: bigint) => boolean;
  /** etcd --max-txn-ops; default 128. Must be equal on every member. */
  readonly maxTxnOps?: number;
}

/** One row of etcd's bbolt "key" bucket. */
export interface KeyBucketEntry {
  /** 17 bytes: main rev BE, '_', sub rev BE; 18 with a trailing 't' for a tombstone. */
  readonly key: Buffer;
  /** The marshalled mvccpb.KeyValue (a tombstone stores only the key). */
  readonly value: Buffer;
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
  readonly kv: KeyValue;
}

export class MvccStore {
  private core = new StoreCore();
  private readonly leaseExists: (id: bigint) => boolean;
  private readonly maxTxnOps: number;

  constructor(options: MvccStoreOptions = {}) {
    this.leaseExists = options.leaseExists ?? (() => false);
    this.maxTxnOps = options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
  }

  /** Rebuilds a store from serialize() output. Throws SnapshotFormatError on bad input. */
  static restore(buf: Buffer, options: MvccStoreOptions = {}): MvccStore {
    const parsed = parseSnapshot(buf);
    const store = new MvccStore(options);
    store.core.loadRows(parsed.rows, parsed.currentRev, parsed.compactRev);
    return store;
  }

  /** The revision of the last change; 1 for an empty store. */
  get revision(): number {
    return this.core.currentRev;
  }

  /** The last compaction revision; -1 when never compacted. */
  get compactRevision(): number {
    return this.core.compactRev;
  }

  /** Number of keys with history in the index (live or deleted-but-not-compacted). */
  get indexedKeyCount(): number {
    return this.core.keys.size;
  }

  range(req: RangeRequest): RangeResponse {
    checkRangeRequest(req);
    return applyRange(storeView(this.core), req);
  }

  put(req: PutRequest): WriteResult<PutResponse> {
    checkPutRequest(req);
    const lease = req.lease ?? 0n;
    if (lease !== 0n && !this.leaseExists(lease)) throw new LeaseNotFoundError();
    const tw = this.core.beginWrite();
    const response = putInTxn(tw, req);
    return { response, events: tw.end(), revision: this.core.currentRev };
  }

  deleteRange(req: DeleteRangeRequest): WriteResult<DeleteRangeResponse> {
    checkDeleteRequest(req);
    const tw = this.core.beginWrite();
    const response = deleteInTxn(tw, req);
    return { response, events: tw.end(), revision: this.core.currentRev };
  }

  txn(req: TxnRequest): WriteResult<TxnResponse> {
    checkTxnRequest(req, this.maxTxnOps);
    const env: TxnEnv = { core: this.core, leaseExists: this.leaseExists };
    const { response, events } = applyTxn(env, req);
    return { response, events, revision: this.core.currentRev };
  }

  /**
   * Compacts history at `revision`: afterwards reads below it fail with
   * CompactedError. A revision <= the current compact revision is CompactedError,
   * one above the current revision FutureRevisionError.
   */
  compact(req: CompactionRequest): CompactionResponse {
    this.core.compact(req.revision);
    return { header: { revision: this.core.currentRev } };
  }

  /**
   * Deletes every key attached to the lease in one write txn (keys in bytewise
   * order, as etcd's lessor does). The lessor forgets the lease itself.
   */
  revokeLease(id: bigint): WriteResult<{ readonly deleted: number; readonly header: { readonly revision: number } }> {
    const keys = this.keysForLease(id);
    const tw = this.core.beginWrite();
    let deleted = 0;
    for (const key of keys) deleted += tw.deleteRange(toKeyRange(key, undefined))[0];
    const events = tw.end();
    return { response: { deleted, header: { revision: this.core.currentRev } }, events, revision: this.core.currentRev };
  }

  /** Live keys attached to a lease, bytewise ascending. */
  keysForLease(id: bigint): Buffer[] {
    const set = this.core.leaseKeys.get(id);
    if (set === undefined) return [];
    return [...set].sort().map((skey) => this.core.keys.get(skey)!.key);
  }

  /** The value of `key` at revision `rev`; undefined when absent, compacted away or in the future. */
  kvAt(key: Buffer, rev: number): KeyValue | undefined {
    return this.core.kvAt(key.toString('latin1'), rev);
  }

  /**
   * Every event with revision >= fromRev up to the current revision, in
   * (revision, sub-revision) order. Callers must not write while iterating.
   */
  *eventsFrom(fromRev: number): Generator<Event> {
    const log = this.core.log;
    for (let i = this.core.logIndexAtOrAfter(fromRev); i < log.length; i++) yield entryToEvent(log[i]!);
  }

  /**
   * etcd's HashKV (mvcc store.HashByRev): CRC-32C (Castagnoli) over the bytes
   * "key" followed by key||value of each key-bucket row with main revision <=
   * rev, skipping rows at or below the compact revision that a compaction at
   * rev would not keep. rev 0 = current revision.
   */
  hashKV(rev = 0): HashKVResult {
    const { compactRev, currentRev } = this.core;
    if (rev > 0 && rev <= compactRev) throw new CompactedError();
    if (rev > 0 && rev > currentRev) throw new FutureRevisionError();
    const atRev = rev === 0 ? currentRev : rev;
    const keep = this.core.keep(atRev);
    let h = crc32c(0, Buffer.from('key', 'latin1'));
    for (const e of this.core.log) {
      if (e.main > atRev) break;
      if (e.main <= compactRev && keep.size > 0 && !keep.has(e)) continue;
      h = crc32c(h, revisionBytes(e.main, e.sub, e.tombstone));
      h = crc32c(h, marshalKeyValue(e.kv));
    }
    return { hash: h, revision: currentRev, compactRevision: compactRev };
  }

  /**
   * Approximate backend size in bytes: key-bucket rows (revision key +
   * marshalled value + 16 bytes of per-row overhead). Not bbolt's page-level
   * file size, but it moves the same way.
   */
  dbSizeEstimate(): number {
    return this.core.logBytes;
  }

  /** The key bucket in bbolt order (by revision), for writing etcd-compatible snapshot files. */
  *keyBucket(): Generator<KeyBucketEntry> {
    for (const e of this.core.log) {
      yield {
        key: revisionBytes(e.main, e.sub, e.tombstone),
        value: marshalKeyValue(e.kv),
        main: e.main,
        sub: e.sub,
        tombstone: e.tombstone,
        kv: e.kv,
      };
    }
  }

  /** Whole state (uncompacted history, revisions, compact revision); deterministic bytes. */
  serialize(): Buffer {
    return serializeCore(this.core);
  }
}
