import { LogError } from './log-error';

/** Finds the first record of one batch whose timestamp >= ts (decodes records, maybe decompresses). */
export type FindOffsetByTimestamp = (batch: Buffer, ts: bigint) => Promise<{ offset: bigint; timestamp: bigint } | null>;

export type LogLogger = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface LogConfig {
  /** Roll to a new segment when the active one would exceed this. Kafka's segment.bytes. */
  segmentBytes?: number;
  /** Bytes of log between sparse offset index entries. Kafka's index.interval.bytes. */
  indexIntervalBytes?: number;
  /** Written to partition.metadata; a different id already on disk fails the open. */
  topicId?: string;
  /** 'always' fsyncs each group commit before acknowledging; 'never' leaves it to the OS. */
  fsync?: 'never' | 'always';
  /** Defaults to the codec's implementation. */
  findOffsetByTimestamp?: FindOffsetByTimestamp;
  logger?: LogLogger;
  /**
   * Log start offset kept by the owner across restarts (Kafka keeps it in the log dir's
   * log-start-offset-checkpoint); without it the first segment's base offset is used.
   */
  logStartOffset?: bigint;
  /** Upper bound on one read's buffer, whatever maxBytes a client asks for. */
  maxReadBytes?: number;
}

export interface ResolvedLogConfig {
  segmentBytes: number;
  indexIntervalBytes: number;
  topicId?: string;
  fsync: 'never' | 'always';
  findOffsetByTimestamp?: FindOffsetByTimestamp;
  logger: LogLogger;
  logStartOffset?: bigint;
  maxReadBytes: number;
}

const INT32_MAX = 0x7fffffff;

export function resolveLogConfig(config: LogConfig): ResolvedLogConfig {
  const segmentBytes = config.segmentBytes ?? 1 << 30;
  const indexIntervalBytes = config.indexIntervalBytes ?? 4096;
  // Index entries store file positions as int32, so a segment cannot grow past that.
  if (!Number.isInteger(segmentBytes) || segmentBytes < 14 || segmentBytes > INT32_MAX) {
    throw new LogError('invalid-config', `invalid segmentBytes ${segmentBytes}`);
  }
  if (!Number.isInteger(indexIntervalBytes) || indexIntervalBytes < 0) {
    throw new LogError('invalid-config', `invalid indexIntervalBytes ${indexIntervalBytes}`);
  }
  return {
    segmentBytes,
    indexIntervalBytes,
    topicId: config.topicId,
    fsync: config.fsync ?? 'never',
    findOffsetByTimestamp: config.findOffsetByTimestamp,
    logger: config.logger ?? (() => {}),
    logStartOffset: config.logStartOffset,
    maxReadBytes: config.maxReadBytes ?? 64 << 20,
  };
}
