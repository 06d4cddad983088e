import type { CompactionSettings } from '@dms/log';
import { logLifecycleSettings } from './retention-settings';

/** Kafka's defaults for the topic configs the cleaner reads (broker fallbacks in the comments). */
export const COMPACTION_DEFAULTS: CompactionSettings = {
  minCleanableDirtyRatio: 0.5, // log.cleaner.min.cleanable.ratio
  minCompactionLagMs: 0, // log.cleaner.min.compaction.lag.ms
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER, // log.cleaner.max.compaction.lag.ms (Long.MAX_VALUE)
  deleteRetentionMs: 86_400_000, // log.cleaner.delete.retention.ms
  segmentBytes: 1_073_741_824, // log.segment.bytes
  fileDeleteDelayMs: 60_000, // log.segment.delete.delay.ms
};

export interface TopicCompaction {
  /** cleanup.policy holds `compact` (`compact` or `compact,delete`). */
  compact: boolean;
  settings: CompactionSettings;
}

/**
 * The one place the cleaner reads its topic configs (segment.bytes and file.delete.delay.ms come
 * from the log lifecycle settings retention uses, so both read them alike). `configs` is the replica's topic config; until it
 * carries the effective values with broker fallbacks, a key that is absent or unreadable takes
 * `defaults` (Kafka's, with the broker's segment size).
 */
export function topicCompaction(configs: Readonly<Record<string, string>>, defaults: CompactionSettings = COMPACTION_DEFAULTS): TopicCompaction {
  const policy = (configs['cleanup.policy'] ?? 'delete').split(',').map((p) => p.trim().toLowerCase());
  const log = logLifecycleSettings({ ...configs }, { segmentBytes: defaults.segmentBytes }).log;
  return {
    compact: policy.includes('compact'),
    settings: {
      minCleanableDirtyRatio: num(configs['min.cleanable.dirty.ratio'], defaults.minCleanableDirtyRatio, 0, 1),
      minCompactionLagMs: num(configs['min.compaction.lag.ms'], defaults.minCompactionLagMs, 0),
      maxCompactionLagMs: num(configs['max.compaction.lag.ms'], defaults.maxCompactionLagMs, 1),
      deleteRetentionMs: num(configs['delete.retention.ms'], defaults.deleteRetentionMs, 0),
      segmentBytes: log.segmentBytes,
      fileDeleteDelayMs: configs['file.delete.delay.ms'] === undefined ? defaults.fileDeleteDelayMs : Math.min(log.fileDeleteDelayMs, Number.MAX_SAFE_INTEGER),
    },
  };
}

function num(raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) return fallback;
  return Math.min(v, max);
}
