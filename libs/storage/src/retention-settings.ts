import type { MutableLogSettings, RetentionLimits } from '@dms/log';

/**
 * The log lifecycle settings of one partition, read from its topic configs. The one place
 * that turns `retention.*`, `segment.*`, `cleanup.policy`, `file.delete.delay.ms` and `flush.*`
 * strings into numbers. Values the controller would refuse (or that are absent) fall back to
 * Kafka's topic defaults, or to this broker's own for segment.bytes (log.segment.bytes).
 * Once topic configs carry their effective values (broker fallbacks included) the fallbacks here
 * only matter for configs written before that.
 */
export interface LogLifecycleSettings extends RetentionLimits {
  /** cleanup.policy contains `delete`: retention deletes old segments. */
  deletePolicy: boolean;
  log: Required<{ [K in keyof MutableLogSettings]: number }>;
}

export interface BrokerLogDefaults {
  /** log.segment.bytes. */
  segmentBytes: number;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** Kafka's topic defaults (LogConfig / TopicConfig). Long.MAX_VALUE reads as "never" (Infinity). */
export const KAFKA_TOPIC_DEFAULTS = {
  'cleanup.policy': 'delete',
  'retention.ms': WEEK_MS,
  'retention.bytes': -1,
  'segment.ms': WEEK_MS,
  'segment.jitter.ms': 0,
  'file.delete.delay.ms': 60_000,
  'flush.messages': Infinity,
  'flush.ms': Infinity,
} as const;

const INT32_MAX = 0x7fffffff;

/** An integer config value within [min, max], else undefined; values past 2^53 mean "never". */
function long(configs: Record<string, string>, key: string, min: number, max = Infinity): number | undefined {
  const raw = configs[key]?.trim();
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  if (n < min || n > max) return undefined;
  return n >= Number.MAX_SAFE_INTEGER ? Infinity : n;
}

export function logLifecycleSettings(configs: Record<string, string>, broker: BrokerLogDefaults): LogLifecycleSettings {
  const d = KAFKA_TOPIC_DEFAULTS;
  const policy = (configs['cleanup.policy'] ?? d['cleanup.policy']).split(',').map((p) => p.trim().toLowerCase());
  const retentionMs = long(configs, 'retention.ms', -1) ?? d['retention.ms'];
  const retentionBytes = long(configs, 'retention.bytes', -1) ?? d['retention.bytes'];
  const segmentMs = long(configs, 'segment.ms', 1) ?? d['segment.ms'];
  // Kafka's LogConfig.maxSegmentMs: a compacted log rolls by max.compaction.lag.ms too, so no
  // record stays in the active segment (which is never cleaned) longer than that.
  const maxCompactionLagMs = policy.includes('compact') ? (long(configs, 'max.compaction.lag.ms', 1) ?? Infinity) : Infinity;
  return {
    deletePolicy: policy.includes('delete'),
    retentionMs: retentionMs === Infinity ? -1 : retentionMs,
    retentionBytes: retentionBytes === Infinity ? -1 : retentionBytes,
    log: {
      // The log keeps int32 file positions in its indexes, as Kafka does.
      segmentBytes: long(configs, 'segment.bytes', 14, INT32_MAX) ?? broker.segmentBytes,
      segmentMs: Math.min(segmentMs, maxCompactionLagMs),
      segmentJitterMs: long(configs, 'segment.jitter.ms', 0) ?? d['segment.jitter.ms'],
      fileDeleteDelayMs: long(configs, 'file.delete.delay.ms', 0) ?? d['file.delete.delay.ms'],
      flushMessages: long(configs, 'flush.messages', 1) ?? d['flush.messages'],
      flushMs: long(configs, 'flush.ms', 0) ?? d['flush.ms'],
    },
  };
}
