export { PartitionLog } from './partition-log';
export type { AppendOptions, AppendResult, ReadOptions, ReadResult, TimestampOffset } from './partition-log';
export type { LogConfig, FindOffsetByTimestamp, LogLogger } from './log-config';
export { LogError, isLogError } from './log-error';
export type { LogErrorKind } from './log-error';
export { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache';
export type { EpochEntry } from './leader-epoch-cache';
export { partitionDirName, segmentFileStem } from './file-names';
export * from './cleaner';
