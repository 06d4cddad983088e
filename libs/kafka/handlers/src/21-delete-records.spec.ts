// DeleteRecords at the gateway: ACL DELETE on the topic first, unknown and internal topics
// answered without asking storage, storage outcomes merged back per partition.
import { ErrorCode } from '@dms/kafka-errors';
import { Operation, Resource } from './authorize';
import { deleteRecordsHandler } from './21-delete-records';
import type { DeleteRecordsInput, RequestContext, SecurityPort, StoragePort, TopicView } from './ports';

function context(allowedTopics: string[]) {
  const asked: DeleteRecordsInput[][] = [];
  const storage = {
    deleteRecords: async (_timeoutMs: number, parts: DeleteRecordsInput[]) => {
      asked.push(parts);
      return parts.map((p) => (p.offset > 10n
        ? { topic: p.topic, partition: p.partition, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n }
        : { topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE, lowWatermark: p.offset === -1n ? 10n : p.offset }));
    },
  } as unknown as StoragePort;
  const security = {
    authorizerEnabled: () => true,
    authorize: (_p: string, _h: string, operation: number, resourceType: number, name: string) =>
      operation === Operation.DELETE && resourceType === Resource.TOPIC && allowedTopics.includes(name),
  } as unknown as SecurityPort;
  const view = (name: string): TopicView => ({
    name, topicId: name, internal: name.startsWith('__'), configs: {},
    partitions: [0, 1].map((partition) => ({ partition, storageLeader: 1, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas: [1], isr: [1] })),
  });
  const topics = new Map(['t', 'secret', '__consumer_offsets'].map((n) => [n, view(n)]));
  const ctx = {
    clientId: 'spec', clientHost: '127.0.0.1', storage, security,
    cluster: { topic: (n: string) => topics.get(n) } as unknown as RequestContext['cluster'],
  } as unknown as RequestContext;
  return { ctx, asked };
}

describe('DeleteRecords', () => {
  it('answers each partition: deleted, out of range, unknown, unauthorized, internal', async () => {
    const { ctx, asked } = context(['t', '__consumer_offsets', 'gone']);
    const res = await deleteRecordsHandler.handle(ctx, {
      timeoutMs: 1000,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, offset: 4n }, { partitionIndex: 1, offset: 99n }, { partitionIndex: 7, offset: 1n }] },
        { name: 'secret', partitions: [{ partitionIndex: 0, offset: 1n }] },
        { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 1n }] },
        { name: 'gone', partitions: [{ partitionIndex: 0, offset: -1n }] },
      ],
    }, 2);
    expect(res.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.lowWatermark])])).toEqual([
      ['t', [[0, ErrorCode.NONE, 4n], [1, ErrorCode.OFFSET_OUT_OF_RANGE, -1n], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]],
      ['secret', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n]]],
      ['__consumer_offsets', [[0, ErrorCode.INVALID_TOPIC_EXCEPTION, -1n]]],
      ['gone', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]],
    ]);
    // Only what passed the checks reaches storage, in one call.
    expect(asked).toEqual([[{ topic: 't', partition: 0, offset: 4n }, { topic: 't', partition: 1, offset: 99n }]]);
  });

  it('does not call storage when nothing is allowed', async () => {
    const { ctx, asked } = context([]);
    const res = await deleteRecordsHandler.handle(ctx, { timeoutMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 1n }] }] }, 0);
    expect(res.topics[0].partitions[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(asked).toEqual([]);
  });
});
