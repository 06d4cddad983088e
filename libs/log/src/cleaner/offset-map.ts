import { createHash } from 'node:crypto';

const DIGEST_SIZE = 16;
/** Kafka accounts one entry as its digest plus an 8-byte offset. */
export const OFFSET_MAP_ENTRY_BYTES = DIGEST_SIZE + 8;
/** Kafka's log.cleaner.io.buffer.load.factor default: the map counts as full at 90 %. */
const LOAD_FACTOR = 0.9;
const INITIAL_SLOTS = 1 << 12;

/**
 * Kafka's SkimpyOffsetMap: key digest (MD5) -> the last offset seen for that key, in open
 * addressing over flat arrays, so its memory is bounded by `log.cleaner.dedupe.buffer.size`
 * however many keys a log holds. Two keys whose digests collide count as one key (the
 * probability is what Kafka accepts too). It starts small and doubles up to its bound, so an
 * idle broker does not hold the whole buffer.
 */
export class OffsetMap {
  private readonly maxSlots: number;
  private slots = 0;
  private digests = Buffer.alloc(0);
  private offsets = new BigInt64Array(0);
  private entries = 0;
  private lastOffset = -1n;

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
    return this.lastOffset;
  }

  get utilization(): number {
    return this.entries / this.maxSlots;
  }

  clear(): void {
    this.entries = 0;
    this.lastOffset = -1n;
    if (this.slots > 0) this.offsets.fill(-1n);
  }

  /** Records `offset` as the latest for `key` (offsets are put in increasing order). */
  put(key: Buffer, offset: bigint): void {
    const digest = digestOf(key);
    if (this.slots === 0 || (this.entries + 1 > this.slots * LOAD_FACTOR && this.slots < this.maxSlots)) this.grow();
    const slot = this.find(digest);
    if (this.offsets[slot]! < 0n) {
      // One slot always stays empty so every probe ends.
      if (this.entries >= this.slots - 1) throw new Error('offset map is full');
      digest.copy(this.digests, slot * DIGEST_SIZE);
      this.entries++;
    }
    this.offsets[slot] = offset;
    if (offset > this.lastOffset) this.lastOffset = offset;
  }

  /** The latest offset put for `key`, or -1. */
  get(key: Buffer): bigint {
    if (this.entries === 0) return -1n;
    return this.offsets[this.find(digestOf(key))]!;
  }

  /** The slot holding digest, or the empty slot where it would go. */
  private find(digest: Buffer): number {
    let slot = digest.readUInt32LE(0) % this.slots;
    for (let probes = 0; probes < this.slots; probes++) {
      if (this.offsets[slot]! < 0n) return slot;
      if (this.digests.compare(digest, 0, DIGEST_SIZE, slot * DIGEST_SIZE, (slot + 1) * DIGEST_SIZE) === 0) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
    return slot;
  }

  private grow(): void {
    const oldDigests = this.digests;
    const oldOffsets = this.offsets;
    const oldSlots = this.slots;
    this.slots = Math.min(this.maxSlots, Math.max(INITIAL_SLOTS, oldSlots * 2));
    this.digests = Buffer.alloc(this.slots * DIGEST_SIZE);
    this.offsets = new BigInt64Array(this.slots).fill(-1n);
    for (let i = 0; i < oldSlots; i++) {
      if (oldOffsets[i]! < 0n) continue;
      const d = oldDigests.subarray(i * DIGEST_SIZE, (i + 1) * DIGEST_SIZE);
      const slot = this.find(d);
      d.copy(this.digests, slot * DIGEST_SIZE);
      this.offsets[slot] = oldOffsets[i]!;
    }
  }
}

function digestOf(key: Buffer): Buffer {
  return createHash('md5').update(key).digest();
}
