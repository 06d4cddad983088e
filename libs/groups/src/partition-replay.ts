import type { ReplayEntry } from './coordinator-log';
import { isReplayMarker } from './coordinator-log';
import type { CommittedOffset } from './group';
import { decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue, type GroupMetadataValue } from './records';
import { PendingTxnOffsets } from './txn-offsets';

type LoggedOffset = { topic: string; partition: number; value: CommittedOffset | null; logOffset: bigint };

/** The state of one group as the log leaves it. */
export interface ReplayedGroup {
  groupId: string;
  metadata: GroupMetadataValue | undefined;
  offsets: (CommittedOffset & { topic: string; partition: number })[];
  pending: PendingTxnOffsets;
}

/**
 * Rebuilds the groups of one __consumer_offsets partition from its log, oldest entry first,
 * exactly as the live coordinator got there: plain offset commits and group metadata apply at
 * once (a tombstone deletes), transactional offset commits wait per producer until that
 * producer's COMMIT marker makes them committed or its ABORT marker drops them; a transaction
 * with no marker yet stays pending.
 */
export class PartitionReplay {
  private readonly metadata = new Map<string, GroupMetadataValue | null>();
  private readonly offsets = new Map<string, Map<string, LoggedOffset>>();
  private readonly pending = new Map<string, PendingTxnOffsets>();
  private position = 0n;

  /** Throws on an unreadable record (the caller decides to skip it). */
  apply(entry: ReplayEntry): void {
    const logOffset = isReplayMarker(entry) ? entry.offset : entry.offset ?? this.position;
    this.position = logOffset + 1n;
    if (isReplayMarker(entry)) {
      this.endTxn(entry.producerId, entry.marker === 'commit', entry.offset);
      return;
    }
    const key = decodeKey(entry.key);
    if (!key) return;
    if (key.kind === 'group') {
      if (!entry.transactional) this.metadata.set(key.group, entry.value ? decodeGroupMetadataValue(entry.value) : null);
      return;
    }
    const value = entry.value ? decodeOffsetCommitValue(entry.value) : null;
    if (entry.transactional && entry.producerId !== undefined && entry.producerId >= 0n) {
      if (!value) return;
      let p = this.pending.get(key.group);
      if (!p) this.pending.set(key.group, (p = new PendingTxnOffsets()));
      p.add(entry.producerId, { ...value, topic: key.topic, partition: key.partition, logOffset });
      return;
    }
    if (!value) this.pending.get(key.group)?.remove(key.topic, key.partition);
    this.offsetsOf(key.group).set(`${key.topic}\0${key.partition}`, { topic: key.topic, partition: key.partition, value: value && { ...value, logOffset }, logOffset });
  }

  groups(): ReplayedGroup[] {
    const ids = new Set([...this.metadata.keys(), ...this.offsets.keys(), ...this.pending.keys()]);
    const out: ReplayedGroup[] = [];
    for (const groupId of ids) {
      const metadata = this.metadata.get(groupId) ?? undefined;
      const offsets = [...(this.offsets.get(groupId)?.values() ?? [])]
        .filter((o) => o.value !== null)
        .map((o) => ({ ...o.value!, topic: o.topic, partition: o.partition }));
      const pending = this.pending.get(groupId) ?? new PendingTxnOffsets();
      if (!metadata && offsets.length === 0 && pending.size === 0) continue;
      out.push({ groupId, metadata, offsets, pending });
    }
    return out;
  }

  private offsetsOf(groupId: string): Map<string, LoggedOffset> {
    let m = this.offsets.get(groupId);
    if (!m) this.offsets.set(groupId, (m = new Map()));
    return m;
  }

  private endTxn(producerId: bigint, committed: boolean, markerOffset: bigint): void {
    for (const [groupId, p] of this.pending) {
      const done = p.take(producerId, markerOffset);
      if (p.size === 0) this.pending.delete(groupId);
      if (!committed) continue;
      const offsets = this.offsetsOf(groupId);
      for (const { topic, partition, ...o } of done) {
        const key = `${topic}\0${partition}`;
        const current = offsets.get(key);
        if (!current || current.logOffset < o.logOffset) offsets.set(key, { topic, partition, value: o, logOffset: o.logOffset });
      }
    }
  }
}
