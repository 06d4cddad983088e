// DescribeLogDirs (35)
// Behavior: answers for the whole cluster as seen through the gateway: one result per live
//   storage broker's log dir (its path on that broker), each listing the partition replicas
//   asked for (all when topics is null) with their bytes on disk and offset lag, and the file
//   system's total and usable bytes. A broker that does not answer reports KAFKA_STORAGE_ERROR.
//   Brokers whose paths are equal (containers) are reported as `broker-<id>:<path>`, since clients
//   key log dirs by path.
//   Needs DESCRIBE on the cluster: otherwise v3+ answers CLUSTER_AUTHORIZATION_FAILED at the top
//   and older versions an empty result list, as Kafka does.
// Version notes: v0 (removed by Kafka 4.0) is served: it needs no conversion. v2+ flexible; v3
//   adds the top-level error code; v4 total and usable bytes; v5 is_cordoned (KIP-1066): DMS
//   cordons whole brokers (`dms brokers cordon`: no new replicas placed there), so every log dir
//   of a cordoned broker is reported cordoned.
// Not implemented: future (moving) replicas: is_future_key is always false.
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

export const describeLogDirsHandler: KafkaHandler = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 5,
  acl: ['CLUSTER:DESCRIBE'],
  async handle(ctx, req: any) {
    if (!clusterAuthorized(ctx, Operation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const topics = req.topics === null ? null : (req.topics as any[]).map((t) => ({ topic: t.topic as string, partitions: t.partitions as number[] }));
    const dirs = await ctx.storage.describeLogDirs(topics);
    const cordoned = ctx.cluster.cordonedBrokers?.() ?? new Set<number>();
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: dirs.map((d) => {
        const byTopic = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
        for (const p of d.partitions) {
          const list = byTopic.get(p.topic) ?? [];
          list.push({ partitionIndex: p.partition, partitionSize: p.size, offsetLag: p.offsetLag, isFutureKey: false });
          byTopic.set(p.topic, list);
        }
        return {
          errorCode: d.errorCode,
          logDir: d.logDir,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          totalBytes: d.totalBytes,
          usableBytes: d.usableBytes,
          isCordoned: cordoned.has(d.brokerId),
        };
      }),
    };
  },
};
