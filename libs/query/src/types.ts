/**
 * Types of `queryMessages`: how to reach a cluster, what to ask, what comes back. Offsets and
 * timestamps are bigint (int64 in Kafka); times are milliseconds since the epoch.
 */

/** How to reach a cluster: its etcd (to find partition leaders) and the internal TLS files. */
export interface ClusterAccess {
  /** etcd endpoints, `host:port` (or URLs). */
  etcdEndpoints: string[];
  /** The cluster name (its etcd prefix, `/dms/<name>/`). */
  clusterName: string;
  /** Files of a TLS-secured etcd. */
  etcdTls?: { caFile: string; certFile?: string; keyFile?: string };
  /**
   * Internal mutual TLS: the cluster's internal CA and a certificate naming dms://admin/<id> or
   * dms://console/<id> (`dms certs create --admins/--consoles`). Omit for a PLAINTEXT cluster.
   */
  internalTls?: { ca: string; cert: string; key: string };
  /** Per call to etcd or a broker (default 10 s). */
  timeoutMs?: number;
}

interface QueryBase {
  topic: string;
  /** Most records returned in all (default 100; at most 10,000 per partition call). */
  limit?: number;
  /** Batch bytes a broker reads per call (default 4 MiB). */
  maxBytesPerCall?: number;
  /** 'uncommitted' (default): up to the high watermark; 'committed': up to the last stable offset, aborted records left out. */
  isolation?: 'uncommitted' | 'committed';
}

/** One record, or a window around it, of one partition. */
export interface OffsetQuery extends QueryBase {
  kind: 'offset';
  partition: number;
  offset: bigint;
  before?: number;
  after?: number;
}

/** Records with fromMs <= timestamp <= toMs, of one partition or (partition omitted) all. */
export interface TimeQuery extends QueryBase {
  kind: 'time';
  partition?: number;
  fromMs: bigint;
  toMs?: bigint;
}

/** Records whose key equals `key`, optionally within a time range. */
export interface KeyQuery extends QueryBase {
  kind: 'key';
  partition?: number;
  key: Buffer;
  fromMs?: bigint;
  toMs?: bigint;
  /** Read every batch instead of the key index's candidates (comparisons, benchmarks). */
  fullScan?: boolean;
}

export type MessageQuery = OffsetQuery | TimeQuery | KeyQuery;

export interface MessageHeader {
  key: string;
  value: Buffer | null;
}

export interface MessageRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: MessageHeader[];
  /** Codec of its batch: none, gzip, snappy, lz4, zstd. */
  compression: string;
  /** The partition leader epoch stamped on its batch. */
  leaderEpoch: number;
  batchBaseOffset: bigint;
  /** -1 for a producer without an id. */
  producerId: bigint;
  transactional: boolean;
}

export interface QueryStats {
  batchesRead: number;
  bytesRead: number;
  /** Summed broker-side time, microseconds. */
  brokerElapsedUs: number;
  /** Broker calls made. */
  calls: number;
  /** Segments whose key index was consulted. */
  segmentsSearched: number;
  usedKeyIndex: boolean;
}

/** How one partition's part went. */
export interface PartitionOutcome {
  partition: number;
  /** Kafka error name when the partition could not be read (e.g. NOT_LEADER_OR_FOLLOWER). */
  error?: string;
  errorMessage?: string;
  records: number;
  /** Where a further query of this partition would continue; undefined when it is complete. */
  cursor?: string;
  highWatermark?: bigint;
  logStartOffset?: bigint;
  stats: QueryStats;
}

export interface QueryResult {
  /** Ordered by timestamp for time and key queries over several partitions, else by offset. */
  records: MessageRecord[];
  partitions: PartitionOutcome[];
  stats: QueryStats;
  /** More records matched than were returned (a limit was reached). */
  truncated: boolean;
  elapsedMs: number;
}

export type ValueFormat = 'text' | 'json' | 'hex';
