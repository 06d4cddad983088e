/**
 * Key hash -> batch ordinals, for an index that is still growing, in a handful of typed arrays:
 * an open-addressing table of distinct hashes (linear probing, at most half full), and for each
 * hash a chain of postings (batch ordinals, ascending, each filed once). Adding allocates nothing
 * but the occasional doubling of an array, so a busy active segment's index costs the garbage
 * collector nothing per record. It takes 20-40 bytes per distinct hash plus 8-16 per posting,
 * the doubling's slack included (a Map of arrays took ~80 and more).
 */
export class GrowingHashes {
  /** Slot -> distinct-hash id + 1 (0: empty). */
  // Small to start with (a broker holds one per active segment); each array doubles as needed.
  private slots = new Int32Array(64);
  /** Per distinct-hash id: the hash, its first and its last posting. */
  private hashOf = new Uint32Array(32);
  private first = new Int32Array(32);
  private last = new Int32Array(32);
  private distinct = 0;
  /** Per posting: the batch ordinal and the next posting of the same hash (-1: none). */
  private ordinalOf = new Uint32Array(64);
  private next = new Int32Array(64);
  /** Postings (hash, batch) filed. */
  postings = 0;

  /** Bytes held (the cache's and the docs' accounting). */
  get bytes(): number {
    return this.slots.byteLength + this.hashOf.byteLength * 3 + this.ordinalOf.byteLength * 2;
  }

  /** Files `ordinal` under `hash` unless it is already that hash's last posting. */
  add(hash: number, ordinal: number): void {
    const id = this.idOf(hash, true);
    const tail = this.last[id]!;
    if (tail >= 0 && this.ordinalOf[tail] === ordinal) return;
    if (this.postings === this.ordinalOf.length) {
      this.ordinalOf = grow(this.ordinalOf, new Uint32Array(this.postings * 2));
      this.next = grow(this.next, new Int32Array(this.postings * 2));
    }
    const p = this.postings++;
    this.ordinalOf[p] = ordinal;
    this.next[p] = -1;
    if (tail >= 0) this.next[tail] = p;
    else this.first[id] = p;
    this.last[id] = p;
  }

  /** Calls `visit` with each batch ordinal filed under `hash`, ascending. */
  forEach(hash: number, visit: (ordinal: number) => void): void {
    const id = this.idOf(hash, false);
    if (id < 0) return;
    for (let p = this.first[id]!; p >= 0; p = this.next[p]!) visit(this.ordinalOf[p]!);
  }

  /** Every posting as (hash u32, ordinal u32) big-endian pairs, sorted by hash then ordinal. */
  sorted(): Buffer {
    const out = Buffer.allocUnsafe(this.postings * 8);
    // Typed-array sort is numeric; distinct hashes are unique, so each names one chain.
    const hashes = this.hashOf.slice(0, this.distinct).sort();
    let at = 0;
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i]!;
      const id = this.idOf(h, false);
      for (let p = this.first[id]!; p >= 0; p = this.next[p]!) {
        out.writeUInt32BE(h, at);
        out.writeUInt32BE(this.ordinalOf[p]!, at + 4);
        at += 8;
      }
    }
    return out;
  }

  /** The id of `hash`; when absent: a new one if `create`, else -1. */
  private idOf(hash: number, create: boolean): number {
    let mask = this.slots.length - 1;
    let s = mix(hash) & mask;
    for (;;) {
      const v = this.slots[s]!;
      if (v === 0) break;
      if (this.hashOf[v - 1] === hash) return v - 1;
      s = (s + 1) & mask;
    }
    if (!create) return -1;
    if ((this.distinct + 1) * 2 > this.slots.length) {
      this.rehash();
      mask = this.slots.length - 1;
      s = mix(hash) & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
    }
    const id = this.distinct++;
    if (id === this.hashOf.length) {
      this.hashOf = grow(this.hashOf, new Uint32Array(id * 2));
      this.first = grow(this.first, new Int32Array(id * 2));
      this.last = grow(this.last, new Int32Array(id * 2));
    }
    this.hashOf[id] = hash;
    this.first[id] = -1;
    this.last[id] = -1;
    this.slots[s] = id + 1;
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.distinct; id++) {
      let s = mix(this.hashOf[id]!) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    this.slots = slots;
  }
}

/** FNV-1a's low bits are weak for short keys that differ in their last byte: spread them. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

function grow<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
