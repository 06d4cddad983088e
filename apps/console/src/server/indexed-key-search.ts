import { ErrorCode, KafkaError, type KafkaClient } from '@dms/kafka-client';
import { MessageQueryClient, type ClusterAccess, type MessageRecord, type QueryResult } from '@dms/query';
import { partitionBounds, type BrowsedRecord } from './partition-reader';
import { renderBytes } from './render-value';
import { FetchMessageSearch, type MessageSearchResult } from './message-search';

/**
 * The message browser with find-by-key served by the brokers' key index (StorageService.Query,
 * reached with the console's own internal certificate) instead of a scan through Fetch.
 *
 * The internal path does not pass through the gateway's ACL checks, so before it runs, the user's
 * own Kafka client proves the user may READ the topic: a one-byte Fetch of each partition asked
 * for, answered TOPIC_AUTHORIZATION_FAILED otherwise. Offset and time modes stay on Fetch.
 */
export class IndexedMessageSearch extends FetchMessageSearch {
  constructor(
    private readonly userClient: KafkaClient,
    private readonly index: MessageQueryClient,
    keyScanMaxBytes: number,
  ) {
    super(userClient, keyScanMaxBytes);
  }

  override async byKey(topic: string, key: Buffer, partitions: number[] | undefined, fromMs: number | undefined, limit: number): Promise<MessageSearchResult> {
    const count = await this.userClient.partitionCount(topic);
    const ps = partitions && partitions.length > 0 ? partitions : [...Array(count).keys()];
    const bad = ps.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
    if (bad !== undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic}' has no partition ${bad}`);
    await this.requireRead(topic, ps);
    const all = ps.length === count;
    const base = { kind: 'key' as const, topic, key, limit, ...(fromMs !== undefined ? { fromMs: BigInt(fromMs) } : {}) };
    const results = all ? [await this.index.query(base)] : await Promise.all(ps.map((partition) => this.index.query({ ...base, partition })));
    return toSearchResult(results, limit);
  }

  /** Throws the broker's error (TOPIC_AUTHORIZATION_FAILED, …) unless the user may read every partition. */
  private async requireRead(topic: string, partitions: number[]): Promise<void> {
    for (const p of partitions) {
      const { start } = await partitionBounds(this.userClient, topic, p);
      await this.userClient.fetch(topic, p, start, 1, 0, 0);
    }
  }
}

function browsed(r: MessageRecord): BrowsedRecord {
  return {
    partition: r.partition,
    offset: r.offset.toString(),
    timestamp: Number(r.timestamp),
    timestampType: r.timestampType,
    compression: r.compression,
    key: renderBytes(r.key),
    value: renderBytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: renderBytes(h.value) })),
  };
}

/** The query's answers in the browser's shape: a broker error of any partition is raised as it. */
export function toSearchResult(results: QueryResult[], limit: number): MessageSearchResult {
  const failed = results.flatMap((r) => r.partitions).find((p) => p.error);
  if (failed) {
    const code = (ErrorCode as Record<string, number>)[failed.error!] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    throw new KafkaError(code, `partition ${failed.partition}: ${failed.errorMessage ?? failed.error}`);
  }
  const records = results
    .flatMap((r) => r.records)
    .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.partition - b.partition))
    .slice(0, limit)
    .map(browsed);
  const resumeAt: Record<number, string> = {};
  for (const r of results) for (const p of r.partitions) if (p.cursor !== undefined) resumeAt[p.partition] = p.cursor;
  return {
    records,
    scannedBytes: results.reduce((n, r) => n + r.stats.bytesRead, 0),
    scannedRecords: records.length,
    complete: results.every((r) => !r.truncated) && Object.keys(resumeAt).length === 0,
    resumeAt,
    keyIndex: true,
  };
}

/** The console's access to the key index, or undefined when etcd is not configured. */
export function keyIndexAccess(config: {
  'etcd.endpoints': string[];
  'cluster.name': string;
  'etcd.tls.ca.location': string;
  'etcd.tls.certificate.location': string;
  'etcd.tls.key.location': string;
  'internal.security.protocol': string;
  'internal.ssl.ca.location': string;
  'internal.ssl.certificate.location': string;
  'internal.ssl.key.location': string;
}): ClusterAccess | undefined {
  const endpoints = config['etcd.endpoints'].filter((e) => e.trim() !== '');
  if (endpoints.length === 0) return undefined;
  const access: ClusterAccess = { etcdEndpoints: endpoints, clusterName: config['cluster.name'] };
  if (config['etcd.tls.ca.location']) {
    access.etcdTls = {
      caFile: config['etcd.tls.ca.location'],
      ...(config['etcd.tls.certificate.location'] ? { certFile: config['etcd.tls.certificate.location'], keyFile: config['etcd.tls.key.location'] } : {}),
    };
  }
  if (config['internal.security.protocol'] === 'SSL') {
    const ca = config['internal.ssl.ca.location'];
    const cert = config['internal.ssl.certificate.location'];
    const key = config['internal.ssl.key.location'];
    if (!ca || !cert || !key) {
      throw new Error('the key index needs internal.ssl.ca.location, internal.ssl.certificate.location and internal.ssl.key.location (a dms://console/<id> certificate) with internal.security.protocol=SSL');
    }
    access.internalTls = { ca, cert, key };
  }
  return access;
}
