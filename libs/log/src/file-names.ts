import { join } from 'node:path';

/** Kafka names segment files by base offset, zero-padded to 20 digits. */
export function segmentFileStem(baseOffset: bigint): string {
  return baseOffset.toString().padStart(20, '0');
}

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Kafka's aborted-transaction index beside each segment. */
export const TXN_INDEX_SUFFIX = '.txnindex';
/** DMS's key index beside a segment (see key-index/). */
export const KEY_INDEX_SUFFIX = '.keyidx';
/** Kafka's producer state snapshots, named by the offset they were taken at. */
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Kafka's suffix for segment files scheduled for asynchronous deletion. */
export const DELETED_SUFFIX = '.deleted';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const PARTITION_METADATA = 'partition.metadata';

export interface SegmentPaths {
  log: string;
  index: string;
  timeIndex: string;
  txnIndex: string;
  keyIndex: string;
}

export function segmentPaths(dir: string, baseOffset: bigint): SegmentPaths {
  const stem = join(dir, segmentFileStem(baseOffset));
  return {
    log: stem + LOG_SUFFIX,
    index: stem + INDEX_SUFFIX,
    timeIndex: stem + TIME_INDEX_SUFFIX,
    txnIndex: stem + TXN_INDEX_SUFFIX,
    keyIndex: stem + KEY_INDEX_SUFFIX,
  };
}

/** Base offset encoded in a segment file name, or undefined for any other file. */
export function parseSegmentFileName(name: string, suffix: string): bigint | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(stem) ? BigInt(stem) : undefined;
}

/** `<topic>-<partition>`: the directory of one partition under a log dir. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
