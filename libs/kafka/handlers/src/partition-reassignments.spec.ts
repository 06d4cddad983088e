// AlterPartitionReassignments (45) and ListPartitionReassignments (46) at the gateway: ACLs and
// the per-partition layout are answered here; moves go to the controller, listings come from the view.
import { ErrorCode } from '@dms/kafka-errors';
import { alterPartitionReassignmentsHandler } from './45-alter-partition-reassignments';
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments';
import type { PartitionView, ReassignmentSpec, RequestContext, TopicView } from './ports';

const part = (partition: number, replicas: number[], adding: number[] = [], removing: number[] = []): PartitionView => ({
  partition, storageLeader: replicas[0]!, advertisedLeader: 1, leaderAvailable: true, leaderEpoch: 0, replicas, isr: replicas, addingReplicas: adding, removingReplicas: removing,
});
const topics: TopicView[] = [
  { name: 'a', topicId: 'x', internal: false, configs: {}, partitions: [part(0, [2, 3, 4, 1], [4], [1]), part(1, [1, 2, 3])] },
  { name: 'b', topicId: 'y', internal: false, configs: {}, partitions: [part(0, [1, 2])] },
];

function context(allowed: boolean) {
  const sent: ReassignmentSpec[][] = [];
  const ctx = {
    clientId: 'spec',
    clientHost: '127.0.0.1',
    cluster: { topics: () => topics, topic: (n: string) => topics.find((t) => t.name === n) },
    controller: {
      alterPartitionReassignments: async (specs: ReassignmentSpec[]) => {
        sent.push(specs);
        return specs.map((s) => (s.replicas === null
          ? { ...s, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No reassignment is in progress for this partition.' }
          : { ...s, errorCode: 0, errorMessage: null }));
      },
    },
    security: { authorizerEnabled: () => true, authorize: () => allowed },
  } as unknown as RequestContext;
  return { ctx, sent };
}

it('sends every partition to the controller and answers per topic and partition', async () => {
  const { ctx, sent } = context(true);
  const req = { timeoutMs: 5000, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, replicas: [2, 3, 4] }, { partitionIndex: 1, replicas: null }] }] };
  const res = await alterPartitionReassignmentsHandler.handle(ctx, req, 0);
  expect(sent).toEqual([[{ topic: 'a', partition: 0, replicas: [2, 3, 4] }, { topic: 'a', partition: 1, replicas: null }]]);
  expect(res).toEqual({
    throttleTimeMs: 0, errorCode: 0, errorMessage: null, allowReplicationFactorChange: true,
    responses: [{ name: 'a', partitions: [
      { partitionIndex: 0, errorCode: 0, errorMessage: null },
      { partitionIndex: 1, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No reassignment is in progress for this partition.' },
    ] }],
  });
});

it('without ALTER on the cluster: CLUSTER_AUTHORIZATION_FAILED at the top and for every partition, nothing sent', async () => {
  const { ctx, sent } = context(false);
  const res = await alterPartitionReassignmentsHandler.handle(ctx, { timeoutMs: 5000, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, replicas: [1] }] }] }, 0);
  expect(sent).toEqual([]);
  expect(res.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  expect(res.responses[0].partitions[0].errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
});

it('v1 with allow_replication_factor_change=false refuses a target of another size, counting the original replicas of a move in progress', async () => {
  const { ctx, sent } = context(true);
  const req = {
    timeoutMs: 5000,
    allowReplicationFactorChange: false,
    topics: [
      // a-0 is moving [1,2,3] -> [2,3,4] (4 adding): its replication factor is 3.
      { name: 'a', partitions: [{ partitionIndex: 0, replicas: [2, 3] }, { partitionIndex: 1, replicas: [3, 2, 1] }, { partitionIndex: 0, replicas: null }] },
      { name: 'b', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] },
    ],
  };
  const res = await alterPartitionReassignmentsHandler.handle(ctx, req, 1);
  // Only the same-size target and the cancellation reach the controller.
  expect(sent).toEqual([[{ topic: 'a', partition: 1, replicas: [3, 2, 1] }, { topic: 'a', partition: 0, replicas: null }]]);
  expect(res.allowReplicationFactorChange).toBe(false);
  expect(res.responses).toEqual([
    { name: 'a', partitions: [
      { partitionIndex: 0, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'The replication factor is changed from 3 to 2' },
      { partitionIndex: 1, errorCode: 0, errorMessage: null },
      { partitionIndex: 0, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No reassignment is in progress for this partition.' },
    ] },
    { name: 'b', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'The replication factor is changed from 2 to 3' }] },
  ]);
  // The default (and v0) allows the change.
  const allowed = await alterPartitionReassignmentsHandler.handle(context(true).ctx, { ...req, allowReplicationFactorChange: true }, 1);
  expect(allowed.responses[1].partitions[0].errorCode).toBe(0);
});

it('lists only partitions with a move in progress, for all topics or the ones named', async () => {
  const { ctx } = context(true);
  const all = await listPartitionReassignmentsHandler.handle(ctx, { timeoutMs: 5000, topics: null }, 0);
  const expected = [{ name: 'a', partitions: [{ partitionIndex: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] }] }];
  expect(all).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: expected });
  const named = await listPartitionReassignmentsHandler.handle(ctx, { timeoutMs: 5000, topics: [{ name: 'a', partitionIndexes: [1] }, { name: 'b', partitionIndexes: [0] }, { name: 'zz', partitionIndexes: [0] }] }, 0);
  expect(named.topics).toEqual([]);
  const denied = await listPartitionReassignmentsHandler.handle(context(false).ctx, { timeoutMs: 5000, topics: null }, 0);
  expect(denied).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, topics: [] });
});
