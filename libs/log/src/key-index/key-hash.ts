/**
 * The 32-bit hash a key index files a record key under: FNV-1a over the key bytes. Collisions
 * are expected (a lookup decodes the batches a hash names and keeps exact matches only); the
 * hash must only be stable across versions of the index file (it is part of format version 1).
 */
export function keyHash(buf: Buffer, start = 0, end = buf.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= buf[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
