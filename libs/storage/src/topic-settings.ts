import { CompressionType } from '@dms/kafka-codec';

/**
 * The topic configs the partition leader applies on the produce path, read from the replica's
 * config map in one place. Each key falls back to Kafka's default when absent or unreadable (the
 * controller validates values on the way in, so a bad one here is only an old record).
 */
export interface ProduceSettings {
  /** max.message.bytes: the largest batch accepted (broker message.max.bytes by default). */
  maxMessageBytes: number;
  /** segment.bytes (broker log.segment.bytes by default): no append may be larger. */
  segmentBytes: number;
  /** message.timestamp.type=LogAppendTime: the leader stamps batches with its clock. */
  logAppendTime: boolean;
  /** message.timestamp.before.max.ms (Kafka's default Long.MAX_VALUE: no bound). */
  timestampBeforeMaxMs: bigint;
  /** message.timestamp.after.max.ms (Kafka 4's default one hour). */
  timestampAfterMaxMs: bigint;
  /** compression.type: 'producer' keeps each batch's codec, else the codec batches are stored with. */
  compression: 'producer' | CompressionType;
  /** cleanup.policy contains compact: every record needs a key. */
  compacted: boolean;
}

export const LONG_MAX = 9_223_372_036_854_775_807n;
const DEFAULT_TIMESTAMP_AFTER_MAX_MS = 3_600_000n;

const CODECS: Record<string, CompressionType> = {
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

function nonNegativeLong(v: string | undefined, fallback: bigint): bigint {
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return fallback;
  const n = BigInt(v.trim());
  return n > LONG_MAX ? LONG_MAX : n;
}

function positiveInt(v: string | undefined, fallback: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

const DEFAULT_SEGMENT_BYTES = 1_073_741_824;

export function produceSettings(configs: Readonly<Record<string, string>>, broker: { messageMaxBytes: number; segmentBytes?: number }): ProduceSettings {
  const compression = configs['compression.type']?.trim().toLowerCase();
  return {
    maxMessageBytes: positiveInt(configs['max.message.bytes'], broker.messageMaxBytes),
    segmentBytes: positiveInt(configs['segment.bytes'], broker.segmentBytes ?? DEFAULT_SEGMENT_BYTES),
    logAppendTime: configs['message.timestamp.type'] === 'LogAppendTime',
    timestampBeforeMaxMs: nonNegativeLong(configs['message.timestamp.before.max.ms'], LONG_MAX),
    timestampAfterMaxMs: nonNegativeLong(configs['message.timestamp.after.max.ms'], DEFAULT_TIMESTAMP_AFTER_MAX_MS),
    compression: compression !== undefined && compression in CODECS ? CODECS[compression] : 'producer',
    compacted: (configs['cleanup.policy'] ?? '').split(',').some((p) => p.trim() === 'compact'),
  };
}

/** min.insync.replicas of a topic, else the broker's default (also read per append and per ISR change). */
export function minInsyncReplicasOf(configs: Readonly<Record<string, string>>, brokerDefault: number): number {
  const v = Number(configs['min.insync.replicas']);
  return Number.isInteger(v) && v >= 1 ? v : brokerDefault;
}

/** dms.message.key.index.enable (default true): the log keeps its per-segment key index. */
export function keyIndexEnabled(configs: Readonly<Record<string, string>>): boolean {
  return (configs['dms.message.key.index.enable'] ?? 'true').trim().toLowerCase() !== 'false';
}
