import { LogError } from './log-error';
import type { PageCacheWrites } from './page-cache-writes';
import type { TailCacheBudget } from './tail-cache';

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
  /**
   * Kafka's recovery point, kept by the owner in the log dir's recovery-point-offset-checkpoint:
   * at open every segment holding offsets at or past it is verified batch by batch (an unclean
   * shutdown may have torn it), and the log is synced up to its end. Undefined: closed segments
   * are trusted and only the active one is verified (the owner knows the log was closed cleanly).
   */
  recoveryPoint?: bigint;
  /** Upper bound on one read's buffer, whatever maxBytes a client asks for. */
  maxReadBytes?: number;
  /** Kafka's segment.ms: roll the active segment once its first batch is this old. Default: never. */
  segmentMs?: number;
  /** Kafka's segment.jitter.ms: the roll comes up to this much earlier (a fixed draw per log). */
  segmentJitterMs?: number;
  /** Kafka's file.delete.delay.ms: how long deleted segments stay as `*.deleted` files (default 60000). */
  fileDeleteDelayMs?: number;
  /** Kafka's flush.messages: fsync after this many appended records. Default: never (left to the OS). */
  flushMessages?: number;
  /** Kafka's flush.ms: fsync once data is this old unflushed. Default: never (left to the OS). */
  flushMs?: number;
  /**
   * Bytes of the newest appended batches kept in memory per log, so that reads of the tail
   * (followers, tailing consumers) need no disk read. 0 turns it off. Default 1 MiB.
   */
  tailCacheBytes?: number;
  /** A byte budget shared by the tails of many logs (a broker's log.tail.cache.bytes). */
  tailCacheBudget?: TailCacheBudget;
  /** When writes may copy into the page cache on the event loop; default the process's (sharedPageCacheWrites). */
  pageCacheWrites?: PageCacheWrites;
  /**
   * Called once when a write, fsync or checkpoint of this log fails (ENOSPC, EIO, ...): the log
   * then refuses everything until reopened; the owner takes the whole log dir offline (Kafka's
   * log dir failure handling). `dir` is the partition directory.
   */
  onStorageError?: (err: LogError, dir: string) => void;
  /** Keep a key index per segment (the topic's dms.message.key.index.enable; default true). */
  keyIndex?: boolean;
}

/** The settings a log takes at run time (topic config changes), validated like the rest. */
export type MutableLogSettings = Pick<LogConfig, 'segmentBytes' | 'segmentMs' | 'segmentJitterMs' | 'fileDeleteDelayMs' | 'flushMessages' | 'flushMs'>;

export interface ResolvedLogConfig {
  segmentBytes: number;
  indexIntervalBytes: number;
  topicId?: string;
  fsync: 'never' | 'always';
  findOffsetByTimestamp?: FindOffsetByTimestamp;
  logger: LogLogger;
  keyIndex: boolean;
  logStartOffset?: bigint;
  recoveryPoint?: bigint;
  maxReadBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  fileDeleteDelayMs: number;
  flushMessages: number;
  flushMs: number;
  tailCacheBytes: number;
  tailCacheBudget?: TailCacheBudget;
  pageCacheWrites?: PageCacheWrites;
  onStorageError?: (err: LogError, dir: string) => void;
}

const INT32_MAX = 0x7fffffff;

export function resolveLogConfig(config: LogConfig): ResolvedLogConfig {
  const segmentBytes = config.segmentBytes ?? 1 << 30;
  const indexIntervalBytes = config.indexIntervalBytes ?? 4096;
  checkSegmentBytes(segmentBytes);
  if (!Number.isInteger(indexIntervalBytes) || indexIntervalBytes < 0) {
    throw new LogError('invalid-config', `invalid indexIntervalBytes ${indexIntervalBytes}`);
  }
  return {
    indexIntervalBytes,
    topicId: config.topicId,
    fsync: config.fsync ?? 'never',
    findOffsetByTimestamp: config.findOffsetByTimestamp,
    logger: config.logger ?? (() => {}),
    logStartOffset: config.logStartOffset,
    recoveryPoint: config.recoveryPoint,
    maxReadBytes: config.maxReadBytes ?? 64 << 20,
    tailCacheBytes: checkTailCacheBytes(config.tailCacheBytes ?? 1 << 20),
    tailCacheBudget: config.tailCacheBudget,
    pageCacheWrites: config.pageCacheWrites,
    onStorageError: config.onStorageError,
    keyIndex: config.keyIndex ?? true,
    ...resolveMutable({ ...config, segmentBytes }, {
      segmentBytes,
      segmentMs: Infinity,
      segmentJitterMs: 0,
      fileDeleteDelayMs: 60_000,
      flushMessages: Infinity,
      flushMs: Infinity,
    }),
  };
}

const MUTABLE_KEYS = ['segmentBytes', 'segmentMs', 'segmentJitterMs', 'fileDeleteDelayMs', 'flushMessages', 'flushMs'] as const;

type ResolvedMutable = Required<{ [K in keyof MutableLogSettings]: number }>;

/** Applies run-time changes over `current`, refusing values the log cannot honour. */
export function resolveMutable(changes: MutableLogSettings, current: ResolvedMutable): ResolvedMutable {
  const out = { ...current };
  for (const key of MUTABLE_KEYS) {
    const value = changes[key];
    if (value === undefined) continue;
    if (key === 'segmentBytes') checkSegmentBytes(value);
    else if (!(value === Infinity || (Number.isFinite(value) && value >= 0))) throw new LogError('invalid-config', `invalid ${key} ${value}`);
    if ((key === 'segmentMs' || key === 'flushMessages') && value < 1) throw new LogError('invalid-config', `invalid ${key} ${value}`);
    out[key] = value;
  }
  return out;
}

function checkTailCacheBytes(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 0) throw new LogError('invalid-config', `invalid tailCacheBytes ${bytes}`);
  return bytes;
}

function checkSegmentBytes(segmentBytes: number): void {
  // Index entries store file positions as int32, so a segment cannot grow past that.
  if (!Number.isInteger(segmentBytes) || segmentBytes < 14 || segmentBytes > INT32_MAX) {
    throw new LogError('invalid-config', `invalid segmentBytes ${segmentBytes}`);
  }
}
