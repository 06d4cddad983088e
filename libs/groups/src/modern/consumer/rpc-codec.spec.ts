import { groupsV1 } from '@dms/rpc';
import { describedFromRpc, describedToRpc, heartbeatFromRpc, heartbeatResultFromRpc, heartbeatResultToRpc, heartbeatToRpc } from './rpc-codec';
import type { ConsumerGroupHeartbeatInput } from './types';

// Kafka's nulls mean "unchanged since the last heartbeat" and empty lists mean "none": both must
// survive the trip through protobuf bytes between the gateway and the coordinator.
const wire = <T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, m: T): T => fns.decode(fns.encode(m).finish());

const base: ConsumerGroupHeartbeatInput = {
  groupId: 'g', memberId: 'm', memberEpoch: 3, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
  subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, clientId: 'c', clientHost: '/127.0.0.1',
};

describe('KIP-848 gRPC codec', () => {
  it('keeps null apart from empty in heartbeats', () => {
    const trip = (i: ConsumerGroupHeartbeatInput) => heartbeatFromRpc(wire(groupsV1.ConsumerGroupHeartbeatRequest, heartbeatToRpc(i)));
    expect(trip(base)).toEqual(base);
    const full = { ...base, memberEpoch: 0, instanceId: 'i', rackId: 'r', rebalanceTimeoutMs: 30_000, subscribedTopicNames: [], subscribedTopicRegex: '^a.*', serverAssignor: 'range', topicPartitions: [] };
    expect(trip(full)).toEqual(full);
    const owned = { ...base, subscribedTopicNames: ['a', 'b'], topicPartitions: [{ topicId: '00000000-0000-0000-0000-00000000000a', partitions: [0, 2] }] };
    expect(trip(owned)).toEqual(owned);
  });

  it('keeps a null assignment apart from an empty one in answers', () => {
    const trip = (r: Parameters<typeof heartbeatResultToRpc>[0]) => heartbeatResultFromRpc(wire(groupsV1.ConsumerGroupHeartbeatResponse, heartbeatResultToRpc(r)));
    const none = { errorCode: 0, errorMessage: null, memberId: 'm', memberEpoch: 4, heartbeatIntervalMs: 5000, assignment: null };
    expect(trip(none)).toEqual(none);
    expect(trip({ ...none, assignment: { topicPartitions: [] } })).toEqual({ ...none, assignment: { topicPartitions: [] } });
    expect(trip({ ...none, errorCode: 110, errorMessage: 'fenced', memberId: null, memberEpoch: -1 })).toMatchObject({ errorCode: 110, errorMessage: 'fenced', memberId: null });
  });

  it('describes members with their assignments and nullable fields', () => {
    const g = {
      errorCode: 0, errorMessage: null, groupId: 'g', groupState: 'Reconciling', groupEpoch: 5, assignmentEpoch: 5, assignorName: 'uniform', authorizedOperations: -2147483648,
      members: [{
        memberId: 'm', instanceId: null, rackId: 'r1', memberEpoch: 4, clientId: 'c', clientHost: 'h', subscribedTopicNames: ['t'], subscribedTopicRegex: null,
        assignment: { topicPartitions: [{ topicId: 'x', topicName: 't', partitions: [1] }] },
        targetAssignment: { topicPartitions: [{ topicId: 'x', topicName: 't', partitions: [1, 2] }] },
        memberType: 1,
      }],
    };
    expect(describedFromRpc(wire(groupsV1.DescribedConsumerGroup, describedToRpc(g)))).toEqual(g);
  });
});
