import { keyDigest } from './key-digest';

const DIGEST_WORDS = 4;
/** Kafka accounts one entry as its 16-byte digest plus an 8-byte offset. */
export const OFFSET_MAP_ENTRY_BYTES = 16 + 8;
/** Kafka's log.cleaner.io.buffer.load.factor default: the map counts as full at 90 %. */
const LOAD_FACTOR = 0.9;
const INITIAL_SLOTS = 1 << 12;

/**
 * Kafka's SkimpyOffsetMap: key digest -> the last offset seen for that key, in open addressing
 * over flat typed arrays, so its memory is bounded by `log.cleaner.dedupe.buffer.size` however
 * many keys a log holds. Two keys whose 128-bit digests collide would count as one key (see
 * key-digest.ts). It starts small and doubles up to its bound, so an idle broker does not hold
 * the whole buffer.
 */
export class OffsetMap {
  private readonly maxSlots: number;
  private slots = 0;
  private digests = new Uint32Array(0);
  private readonly scratch = new Uint32Array(DIGEST_WORDS);
  /** Offsets as doubles (exact below 2^53): no bigint is made per lookup on the hot path. */
  private offsets = new Float64Array(0);
  private entries = 0;
  private lastOffset = -1;

  constructor(maxBytes: number) {
    this.maxSlots = Math.max(2, Math.floor(maxBytes / OFFSET_MAP_ENTRY_BYTES));
  }

  /** Entries the map takes before it counts as full. */
  get capacity(): number {
    return Math.max(1, Math.floor(this.maxSlots * LOAD_FACTOR));
  }

  get size(): number {
    return this.entries;
  }

  get isFull(): boolean {
    return this.entries >= this.capacity;
  }

  /** The largest offset put since the last clear, -1 when empty. */
  get latestOffset(): bigint {
    return BigInt(this.lastOffset);
  }

  get utilization(): number {
    return this.entries / this.maxSlots;
  }

  clear(): void {
    this.entries = 0;
    this.lastOffset = -1;
    if (this.slots > 0) this.offsets.fill(-1);
  }

  /** Records `offset` as the latest for `key` (offsets are put in increasing order). */
  put(key: Buffer, offset: bigint): void {
    this.putAt(key, 0, key.length, Number(offset));
  }

  /** put() for the key at buf[start, start + length), without slicing it out. */
  putAt(buf: Uint8Array, start: number, length: number, offset: number): void {
    const digest = this.scratch;
    keyDigest(buf, start, length, digest);
    if (this.slots === 0 || (this.entries + 1 > this.slots * LOAD_FACTOR && this.slots < this.maxSlots)) this.grow();
    const slot = this.find(digest);
    if (this.offsets[slot]! < 0) {
      // One slot always stays empty so every probe ends.
      if (this.entries >= this.slots - 1) throw new Error('offset map is full');
      this.digests.set(digest, slot * DIGEST_WORDS);
      this.entries++;
    }
    this.offsets[slot] = offset;
    if (offset > this.lastOffset) this.lastOffset = offset;
  }

  /** The latest offset put for `key`, or -1. */
  get(key: Buffer): bigint {
    return BigInt(this.getAt(key, 0, key.length));
  }

  /** get() for the key at buf[start, start + length). */
  getAt(buf: Uint8Array, start: number, length: number): number {
    if (this.entries === 0) return -1;
    keyDigest(buf, start, length, this.scratch);
    return this.offsets[this.find(this.scratch)]!;
  }

  /** The slot holding digest, or the empty slot where it would go. */
  private find(digest: Uint32Array): number {
    const d = this.digests;
    const a = digest[0]!;
    const b = digest[1]!;
    const c = digest[2]!;
    const e = digest[3]!;
    let slot = a % this.slots;
    for (let probes = 0; probes < this.slots; probes++) {
      if (this.offsets[slot]! < 0) return slot;
      const at = slot * DIGEST_WORDS;
      if (d[at] === a && d[at + 1] === b && d[at + 2] === c && d[at + 3] === e) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
    return slot;
  }

  private grow(): void {
    const oldDigests = this.digests;
    const oldOffsets = this.offsets;
    const oldSlots = this.slots;
    this.slots = Math.min(this.maxSlots, Math.max(INITIAL_SLOTS, oldSlots * 2));
    this.digests = new Uint32Array(this.slots * DIGEST_WORDS);
    this.offsets = new Float64Array(this.slots).fill(-1);
    for (let i = 0; i < oldSlots; i++) {
      if (oldOffsets[i]! < 0) continue;
      const d = oldDigests.subarray(i * DIGEST_WORDS, (i + 1) * DIGEST_WORDS);
      const slot = this.find(d);
      this.digests.set(d, slot * DIGEST_WORDS);
      this.offsets[slot] = oldOffsets[i]!;
    }
  }
}
