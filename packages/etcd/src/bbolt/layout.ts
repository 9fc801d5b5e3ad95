// On-disk constants of the bbolt v2 file format (go.etcd.io/bbolt page.go, db.go,
// bucket.go). Every multi-byte integer in a bbolt file is little-endian: bbolt maps its
// Go structs straight onto the file, and every platform etcd ships for is little-endian.

/** meta.magic */
export const BOLT_MAGIC = 0xed0cdaed;
/** meta.version: the only data-format version bbolt has ever written. */
export const BOLT_VERSION = 2;

export const DEFAULT_PAGE_SIZE = 4096;
export const MIN_PAGE_SIZE = 512;
export const MAX_PAGE_SIZE = 65536;

/** Page flags (page.flags, u16 at offset 8 of every page header). */
export const PageFlag = {
  branch: 0x01,
  leaf: 0x02,
  meta: 0x04,
  freelist: 0x10,
} as const;
export type PageFlag = (typeof PageFlag)[keyof typeof PageFlag];

/** leafPageElement.flags bit marking the value as a sub-bucket header. */
export const BUCKET_LEAF_FLAG = 0x01;

/**
 * Page header: id u64 @0, flags u16 @8, count u16 @10, overflow u32 @12.
 * Elements start right after it.
 */
export const PAGE_HEADER_SIZE = 16;
/** leafPageElement: flags u32, pos u32, ksize u32, vsize u32. */
export const LEAF_ELEMENT_SIZE = 16;
/** branchPageElement: pos u32, ksize u32, pgid u64. */
export const BRANCH_ELEMENT_SIZE = 16;
/** bucket header stored as a bucket's value: root pgid u64, sequence u64. */
export const BUCKET_HEADER_SIZE = 16;

/**
 * meta (placed at PAGE_HEADER_SIZE in pages 0 and 1):
 * magic u32 @0, version u32 @4, pageSize u32 @8, flags u32 @12,
 * root bucket {root u64 @16, sequence u64 @24}, freelist u64 @32, pgid u64 @40,
 * txid u64 @48, checksum u64 @56. The checksum is FNV-1a 64 over bytes [0, 56).
 */
export const MetaOffset = {
  magic: 0,
  version: 4,
  pageSize: 8,
  flags: 12,
  rootPgid: 16,
  rootSequence: 24,
  freelist: 32,
  pgid: 40,
  txid: 48,
  checksum: 56,
} as const;
export const META_SIZE = 64;

/** page.count is a u16; a freelist page stores 0xffff there and the real count in its first u64. */
export const MAX_PAGE_COUNT = 0xffff;

/** bbolt's limits on keys and values (bucket.go MaxKeySize / MaxValueSize). */
export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;

/** A bucket is stored inline when its single leaf is at most pageSize / INLINE_PAGE_RATIO bytes. */
export const INLINE_PAGE_RATIO = 4;

/** meta.freelist value meaning "no freelist was synced" (bbolt NoFreelistSync). */
export const PGID_NO_FREELIST = 0xffffffffffffffffn;
