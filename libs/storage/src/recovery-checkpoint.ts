import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hwKey, readOffsetCheckpoint, writeOffsetCheckpoint, type HwEntry } from './hw-checkpoint';

/** Kafka's per-log-dir file of recovery points (same layout as its other offset checkpoints). */
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';

interface LiveLog {
  topic: string;
  partition: number;
  log: { recoveryPoint: bigint };
}

/**
 * The recovery points of a log dir's partitions (Kafka's recovery-point-offset-checkpoint). A log
 * opens verifying every segment past its point: a clean close leaves the point at the log end (so
 * nothing is scanned), a crash leaves the last checkpointed one, and a partition with no entry
 * (or a torn file) is verified from offset 0.
 */
export class RecoveryPoints {
  private points = new Map<string, HwEntry>();

  constructor(private readonly logDir: string) {}

  async load(): Promise<void> {
    const read = await readOffsetCheckpoint(this.logDir, RECOVERY_POINT_CHECKPOINT_FILE);
    this.points = new Map([...read].map(([key, offset]) => {
      const [topic, partition] = key.split('\0');
      return [key, { topic: topic!, partition: Number(partition), offset }];
    }));
  }

  /** What PartitionLog.open takes: the checkpointed point, 0 without one; none for a new directory. */
  forOpen(topic: string, partition: number, dir: string): bigint | undefined {
    const key = hwKey(topic, partition);
    if (!existsSync(dir)) {
      // A new log: an entry left by an older log of the same name means nothing for it.
      this.points.delete(key);
      return undefined;
    }
    return this.points.get(key)?.offset ?? 0n;
  }

  /** A log closed (no longer a replica here): its point is kept for the checkpoint. */
  closed(r: LiveLog): void {
    this.points.set(hwKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: r.log.recoveryPoint });
  }

  /** Forgets a partition whose directory went (deleted or set aside). */
  forget(topic: string, partition: number): void {
    this.points.delete(hwKey(topic, partition));
  }

  /** Writes the points of the open logs and the last known ones of the others. */
  async write(live: Iterable<LiveLog>): Promise<void> {
    // Entries of directories that are gone (deleted topics, strays set aside) are dropped.
    for (const [key, e] of this.points) if (!existsSync(join(this.logDir, `${e.topic}-${e.partition}`))) this.points.delete(key);
    const entries = new Map(this.points);
    for (const r of live) entries.set(hwKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: r.log.recoveryPoint });
    await writeOffsetCheckpoint(this.logDir, RECOVERY_POINT_CHECKPOINT_FILE, [...entries.values()]);
  }
}
