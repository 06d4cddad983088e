// Clients may neither write to nor delete Kafka's internal topics; the coordinators append to
// __consumer_offsets straight at the storage broker, never through these handlers.
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { produceHandler } from './00-produce';
import { deleteTopicsHandler } from './20-delete-topics';
import type { RequestContext, TopicView } from './ports';

function context(grantWrite: boolean) {
  const produced: string[] = [];
  const deleted: string[] = [];
  const view = (name: string): TopicView => ({
    name, topicId: name, internal: name.startsWith('__'), configs: {},
    partitions: [{ partition: 0, storageLeader: 1, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas: [1], isr: [1] }],
  });
  const ctx = {
    clientId: 'spec',
    clientHost: '127.0.0.1',
    cluster: { topic: view, topicById: () => undefined, config: { messageMaxBytes: 1 << 20 }, awaitTopics: async () => undefined },
    storage: {
      produce: async (_acks: number, _t: number, parts: { topic: string; partition: number }[]) => parts.map((p) => {
        produced.push(p.topic);
        return { ...p, errorCode: 0, errorMessage: null, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n };
      }),
    },
    controller: {
      deleteTopics: async (names: string[]) => names.map((name) => {
        deleted.push(name);
        return { name, errorCode: 0, errorMessage: null, topicId: name, numPartitions: 1, replicationFactor: 1, configs: {} };
      }),
    },
    security: { authorizerEnabled: () => true, authorize: () => grantWrite },
  } as unknown as RequestContext;
  return { ctx, produced, deleted };
}

it('Produce to __consumer_offsets answers INVALID_TOPIC_EXCEPTION (after the WRITE check) and reaches no broker', async () => {
  const records = await buildRecordBatch({ records: [{ key: 'k', value: 'v' }] });
  const req = { acks: -1, timeoutMs: 1000, topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records }] }, { name: 't', partitionData: [{ index: 0, records }] }] };
  const { ctx, produced } = context(true);
  const res = await produceHandler.handle(ctx, req, 9);
  const [internal, plain] = res.responses.map((r: any) => r.partitionResponses[0]);
  expect(internal).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: 'Cannot append to internal topic __consumer_offsets' });
  expect(plain.errorCode).toBe(ErrorCode.NONE);
  expect(produced).toEqual(['t']);
  const refused = await produceHandler.handle(context(false).ctx, req, 9);
  expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
});

it('DeleteTopics refuses __consumer_offsets with INVALID_TOPIC_EXCEPTION and deletes the others', async () => {
  const { ctx, deleted } = context(true);
  const res = await deleteTopicsHandler.handle(ctx, { topicNames: ['__consumer_offsets', 't'], timeoutMs: 1000 }, 5);
  expect(res.responses.map((r: any) => [r.name, r.errorCode])).toEqual([['__consumer_offsets', ErrorCode.INVALID_TOPIC_EXCEPTION], ['t', 0]]);
  expect(deleted).toEqual(['t']);
  const refused = await deleteTopicsHandler.handle(context(false).ctx, { topicNames: ['__consumer_offsets'], timeoutMs: 1000 }, 5);
  expect(refused.responses[0].errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
});
