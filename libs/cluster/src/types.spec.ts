import {
  brokerRegistration,
  clusterIdRecord,
  controllerLeader,
  gatewayRegistration,
  partitionState,
  replicaOnline,
  topicDeletionRecord,
  replicaDeletionRecord,
  topicRecord,
  type BrokerRegistration,
  type PartitionState,
  type TopicRecord,
} from './types';

describe('etcd value codecs', () => {
  it('round-trips valid values', () => {
    const b: BrokerRegistration = { id: 1, host: '127.0.0.1', port: 9000, rack: 'a', startTimeMs: 5 };
    expect(brokerRegistration.decode(brokerRegistration.encode(b))).toEqual(b);
    const t: TopicRecord = {
      topicId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      partitions: 3,
      replicationFactor: 2,
      configs: { 'retention.ms': '1000' },
      createdAtMs: 1,
    };
    expect(topicRecord.decode(Buffer.from(topicRecord.encode(t)))).toEqual(t);
    const p: PartitionState = { replicas: [1, 2], leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 };
    expect(partitionState.decode(partitionState.encode(p))).toEqual(p);
    expect(clusterIdRecord.decode('{"clusterId":"AAAAAAAAAAAAAAAAAAAAAA"}')).toEqual({ clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  });

  it('carries a broker\'s offline log dirs and replicas; replicaOnline reads them', () => {
    const b: BrokerRegistration = {
      id: 2, host: 'h', port: 1, rack: null, startTimeMs: 0, offlineLogDirs: ['/data/a'], offlineReplicas: { t: [0, 2] },
    };
    const decoded = brokerRegistration.decode(brokerRegistration.encode(b));
    expect(decoded).toEqual(b);
    expect(replicaOnline(decoded, 't', 0)).toBe(false);
    expect(replicaOnline(decoded, 't', 1)).toBe(true);
    expect(replicaOnline(decoded, 'u', 0)).toBe(true);
    expect(replicaOnline(undefined, 't', 1)).toBe(false);
    expect(brokerRegistration.decode('{"id":1,"host":"h","port":1,"startTimeMs":0,"offlineReplicas":{"t":[-1]}}')).toBeUndefined();
  });

  it('fills optional rack/listeners and drops unknown fields', () => {
    expect(brokerRegistration.decode('{"id":1,"host":"h","port":1,"startTimeMs":0,"extra":true}')).toEqual({
      id: 1, host: 'h', port: 1, rack: null, startTimeMs: 0,
    });
    expect(gatewayRegistration.decode('{"id":1,"host":"h","port":9092,"rack":null,"startTimeMs":0}')?.listeners).toEqual({});
  });

  it.each([
    null,
    undefined,
    '',
    'not json',
    '[]',
    'null',
    '42',
    '"str"',
    '{}',
    '{"id":"1","host":"h","port":1,"rack":null,"startTimeMs":0}',
    '{"id":-1,"host":"h","port":1,"rack":null,"startTimeMs":0}',
    '{"id":1,"host":"","port":1,"rack":null,"startTimeMs":0}',
    '{"id":1,"host":"h","port":70000,"rack":null,"startTimeMs":0}',
    '{"id":1,"host":"h","port":1,"rack":5,"startTimeMs":0}',
    '{"id":1.5,"host":"h","port":1,"rack":null,"startTimeMs":0}',
  ])('rejects broker garbage %p', (raw) => {
    expect(brokerRegistration.decode(raw as string)).toBeUndefined();
  });

  it('rejects malformed topic, partition, leader and cluster id values', () => {
    expect(topicRecord.decode('{"topicId":"x","partitions":1,"replicationFactor":1,"configs":{},"createdAtMs":0}')).toBeUndefined();
    expect(
      topicRecord.decode('{"topicId":"0f8fad5b-d9cb-469f-a165-70867728950e","partitions":0,"replicationFactor":1,"configs":{},"createdAtMs":0}'),
    ).toBeUndefined();
    expect(
      topicRecord.decode('{"topicId":"0f8fad5b-d9cb-469f-a165-70867728950e","partitions":1,"replicationFactor":1,"configs":{"a":1},"createdAtMs":0}'),
    ).toBeUndefined();
    expect(partitionState.decode('{"replicas":[],"leader":1,"leaderEpoch":0,"isr":[],"partitionEpoch":0}')).toBeUndefined();
    expect(partitionState.decode('{"replicas":[1,"2"],"leader":1,"leaderEpoch":0,"isr":[1],"partitionEpoch":0}')).toBeUndefined();
    expect(partitionState.decode('{"replicas":[1],"leader":1,"leaderEpoch":-3,"isr":[1],"partitionEpoch":0}')).toBeUndefined();
    expect(controllerLeader.decode('{"id":1,"host":"h","port":1}')).toBeUndefined();
    expect(clusterIdRecord.decode('{"clusterId":"short"}')).toBeUndefined();
    expect(partitionState.decode(Buffer.from([0xff, 0xfe, 0x00]))).toBeUndefined();
  });

  it('round-trips a topic deletion record and rejects a malformed one', () => {
    const d = { topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 't', partitions: 3, brokers: [1, 2, 3], deletedAtMs: 7 };
    expect(topicDeletionRecord.decode(topicDeletionRecord.encode(d))).toEqual(d);
    expect(topicDeletionRecord.decode(JSON.stringify({ ...d, topicId: 'x' }))).toBeUndefined();
    expect(topicDeletionRecord.decode(JSON.stringify({ ...d, brokers: [-1] }))).toBeUndefined();
    expect(topicDeletionRecord.decode(JSON.stringify({ ...d, name: '' }))).toBeUndefined();
  });

  it('round-trips a replica deletion record and a partition state with a move in progress', () => {
    const r = { topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 't', partition: 0, brokerId: 1, createdAtMs: 7 };
    expect(replicaDeletionRecord.decode(replicaDeletionRecord.encode(r))).toEqual(r);
    expect(replicaDeletionRecord.decode(JSON.stringify({ ...r, brokerId: -1 }))).toBeUndefined();
    const moving: PartitionState = { replicas: [2, 3, 4, 1], leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 3, addingReplicas: [4], removingReplicas: [1] };
    expect(partitionState.decode(partitionState.encode(moving))).toEqual(moving);
    // Empty lists mean no move: decoded as absent.
    expect(partitionState.decode(JSON.stringify({ ...moving, addingReplicas: [], removingReplicas: [] }))).toEqual({ replicas: [2, 3, 4, 1], leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 3 });
    expect(partitionState.decode(JSON.stringify({ ...moving, addingReplicas: ['4'] }))).toBeUndefined();
  });
});
