import type { CommittedOffset } from './classic/group';

/** A transactional offset commit waiting for its transaction's COMMIT or ABORT marker. */
export interface PendingTxnOffset extends CommittedOffset {
  topic: string;
  partition: number;
  /** Where the record sits in the group's partition of __consumer_offsets. */
  logOffset: bigint;
}

const tpKey = (topic: string, partition: number) => `${topic}\0${partition}`;

/**
 * The transactional offsets of one group, per producer id (Kafka's
 * pendingTransactionalOffsetCommits): invisible to OffsetFetch until the marker of their
 * transaction reaches the offsets partition; COMMIT makes them the committed offsets, ABORT drops
 * them. A producer has at most one open transaction, so a later commit of the same partition
 * replaces the earlier one.
 */
export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, Map<string, PendingTxnOffset>>();

  add(producerId: bigint, o: PendingTxnOffset): void {
    let m = this.byProducer.get(producerId);
    if (!m) this.byProducer.set(producerId, (m = new Map()));
    const key = tpKey(o.topic, o.partition);
    const current = m.get(key);
    if (!current || current.logOffset <= o.logOffset) m.set(key, o);
  }

  /** Some producer has an open transactional commit of this partition (OffsetFetch require_stable). */
  has(topic: string, partition: number): boolean {
    const key = tpKey(topic, partition);
    for (const m of this.byProducer.values()) if (m.has(key)) return true;
    return false;
  }

  /** Every partition some open transaction commits. */
  partitions(): { topic: string; partition: number }[] {
    const seen = new Map<string, { topic: string; partition: number }>();
    for (const m of this.byProducer.values()) for (const [key, o] of m) seen.set(key, { topic: o.topic, partition: o.partition });
    return [...seen.values()];
  }

  /**
   * A tombstone of the partition's offset (OffsetDelete, DeleteGroups) also ends what open
   * transactions would have committed there, as Kafka's replay of an offset tombstone does.
   */
  remove(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    for (const [producerId, m] of this.byProducer) {
      m.delete(key);
      if (m.size === 0) this.byProducer.delete(producerId);
    }
  }

  hasProducer(producerId: bigint): boolean {
    return this.byProducer.has(producerId);
  }

  get size(): number {
    return this.byProducer.size;
  }

  /**
   * Removes and returns the producer's offsets written before `markerOffset`: those of the
   * transaction the marker ends. Offsets written after it belong to the producer's next one.
   */
  take(producerId: bigint, markerOffset: bigint): PendingTxnOffset[] {
    const m = this.byProducer.get(producerId);
    if (!m) return [];
    const taken: PendingTxnOffset[] = [];
    for (const [key, o] of m) {
      if (o.logOffset >= markerOffset) continue;
      taken.push(o);
      m.delete(key);
    }
    if (m.size === 0) this.byProducer.delete(producerId);
    return taken;
  }
}
