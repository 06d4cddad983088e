// DescribeProducers at the gateway: ACL READ on the topic first (as Kafka), unknown partitions answered
// without asking storage, each leader's producer state merged back per partition.
import { ErrorCode } from '@dms/kafka-errors';
import { Operation, Resource } from './authorize';
import { describeProducersHandler } from './61-describe-producers';
import type { DescribeProducersInput, RequestContext, SecurityPort, StoragePort, TopicView } from './ports';

function context(allowedTopics: string[]) {
  const asked: DescribeProducersInput[][] = [];
  const storage = {
    describeProducers: async (parts: DescribeProducersInput[]) => {
      asked.push(parts);
      return parts.map((p) => (p.partition === 1
        ? { topic: p.topic, partition: p.partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: '', activeProducers: [] }
        : {
            topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: '',
            activeProducers: [{ producerId: 7n, producerEpoch: 2, lastSequence: 41, lastTimestamp: 1000n, coordinatorEpoch: 3, currentTxnStartOffset: 12n }],
          }));
    },
  } as unknown as StoragePort;
  const security = {
    authorizerEnabled: () => true,
    authorize: (_p: string, _h: string, operation: number, resourceType: number, name: string) =>
      operation === Operation.READ && resourceType === Resource.TOPIC && allowedTopics.includes(name),
  } as unknown as SecurityPort;
  const view = (name: string): TopicView => ({
    name, topicId: name, internal: false, configs: {},
    partitions: [0, 1].map((partition) => ({ partition, storageLeader: 1, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas: [1], isr: [1] })),
  });
  const topics = new Map(['t', 'secret'].map((n) => [n, view(n)]));
  const ctx = {
    clientId: 'spec', clientHost: '127.0.0.1', storage, security,
    cluster: { topic: (n: string) => topics.get(n) } as unknown as RequestContext['cluster'],
  } as unknown as RequestContext;
  return { ctx, asked };
}

describe('DescribeProducers', () => {
  it('answers each partition from its leader, or why not', async () => {
    const { ctx, asked } = context(['t', 'gone']);
    const res = await describeProducersHandler.handle(ctx, {
      topics: [
        { name: 't', partitionIndexes: [0, 1, 9] },
        { name: 'secret', partitionIndexes: [0] },
        { name: 'gone', partitionIndexes: [0] },
      ],
    }, 0);
    expect(res.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.activeProducers.length])])).toEqual([
      ['t', [[0, ErrorCode.NONE, 1], [1, ErrorCode.NOT_LEADER_OR_FOLLOWER, 0], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]]],
      ['secret', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]]],
      ['gone', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]]],
    ]);
    expect(res.topics[0].partitions[0].activeProducers[0]).toEqual({
      producerId: 7n, producerEpoch: 2, lastSequence: 41, lastTimestamp: 1000n, coordinatorEpoch: 3, currentTxnStartOffset: 12n,
    });
    expect(asked).toEqual([[{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]]);
  });
});
