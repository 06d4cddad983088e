import {
  brokerConfigKey,
  brokerKey,
  clusterIdKey,
  clusterPrefix,
  controllerKey,
  controllerLeaderKey,
  gatewayKey,
  groupConfigKey,
  parseBrokerKey,
  parseKey,
  topicDeletionKey,
  replicaDeletionKey,
  parsePartitionKey,
  parseTopicKey,
  partitionKey,
  topicKey,
  topicPartitionsPrefix,
} from './keys';

describe('etcd keys', () => {
  it('builds the contract layout under /dms/<name>/', () => {
    expect(clusterPrefix('dms')).toBe('/dms/dms/');
    expect(clusterIdKey('c1')).toBe('/dms/c1/cluster/id');
    expect(controllerLeaderKey('c1')).toBe('/dms/c1/controller/leader');
    expect(controllerKey('c1', 2)).toBe('/dms/c1/controllers/2');
    expect(brokerKey('c1', 7)).toBe('/dms/c1/brokers/7');
    expect(gatewayKey('c1', 0)).toBe('/dms/c1/gateways/0');
    expect(topicKey('c1', 'orders.v1')).toBe('/dms/c1/topics/orders.v1');
    expect(partitionKey('c1', 'orders.v1', 12)).toBe('/dms/c1/partitions/orders.v1/12');
  });

  it('refuses names that would escape their prefix', () => {
    expect(() => clusterPrefix('a/b')).toThrow();
    expect(() => clusterPrefix('')).toThrow();
    expect(() => topicKey('c', 'a/b')).toThrow();
    expect(() => topicKey('c', '..')).toThrow();
    expect(() => brokerKey('c', -1)).toThrow();
    expect(() => brokerKey('c', 1.5)).toThrow();
  });

  it('a topic partitions prefix does not cover a topic sharing its name start', () => {
    const p = topicPartitionsPrefix('c', 'foo');
    expect(partitionKey('c', 'foo', 0).startsWith(p)).toBe(true);
    expect(partitionKey('c', 'foo.bar', 0).startsWith(p)).toBe(false);
  });

  it('parses keys back to ids and rejects garbage', () => {
    expect(parseBrokerKey('c', '/dms/c/brokers/15')).toBe(15);
    expect(parseBrokerKey('c', '/dms/c/brokers/015')).toBeUndefined();
    expect(parseBrokerKey('c', '/dms/c/brokers/x')).toBeUndefined();
    expect(parseBrokerKey('c', '/dms/other/brokers/1')).toBeUndefined();
    expect(parseBrokerKey('c', '/dms/c/brokers/99999999999')).toBeUndefined();
    expect(parseTopicKey('c', '/dms/c/topics/t-1_x.y')).toBe('t-1_x.y');
    expect(parseTopicKey('c', '/dms/c/topics/a/b')).toBeUndefined();
    expect(parsePartitionKey('c', '/dms/c/partitions/t.1/3')).toEqual({ topic: 't.1', partition: 3 });
    expect(parsePartitionKey('c', '/dms/c/partitions/t/')).toBeUndefined();
    expect(parsePartitionKey('c', '/dms/c/partitions/3')).toBeUndefined();
    expect(parseKey('c', '/dms/c/cluster/id')).toEqual({ kind: 'clusterId' });
    expect(parseKey('c', '/dms/c/controller/leader')).toEqual({ kind: 'controllerLeader' });
    expect(parseKey('c', '/dms/c/controllers/1')).toEqual({ kind: 'controller', id: 1 });
    expect(parseKey('c', '/dms/c/gateways/4')).toEqual({ kind: 'gateway', id: 4 });
    expect(parseKey('c', '/dms/c/acls/x')).toBeUndefined();
    expect(brokerConfigKey('c', null)).toBe('/dms/c/configs/brokers/<default>');
    expect(parseKey('c', '/dms/c/configs/brokers/x')).toBeUndefined();
    expect(parseKey('c', '/dms/c/configs/brokers/7')).toEqual({ kind: 'brokerConfig', id: 7 });
    expect(parseKey('c', '/dms/c/broker-cordons/3')).toEqual({ kind: 'brokerCordon', id: 3 });
    expect(parseKey('c', '/dms/c/broker-cordons/x')).toBeUndefined();
  });

  it('round-trips every builder through parseKey', () => {
    for (const [key, want] of [
      [brokerKey('k', 3), { kind: 'broker', id: 3 }],
      [topicKey('k', 'a'), { kind: 'topic', topic: 'a' }],
      [partitionKey('k', 'a', 9), { kind: 'partition', topic: 'a', partition: 9 }],
      [brokerConfigKey('k', 3), { kind: 'brokerConfig', id: 3 }],
      [brokerConfigKey('k', null), { kind: 'brokerConfig', id: null }],
      [topicDeletionKey('k', '0f8fad5b-d9cb-469f-a165-70867728950e'), { kind: 'topicDeletion', topicId: '0f8fad5b-d9cb-469f-a165-70867728950e' }],
      [replicaDeletionKey('k', '0f8fad5b-d9cb-469f-a165-70867728950e', 2, 4), { kind: 'replicaDeletion', topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', partition: 2, brokerId: 4 }],
    ] as const) {
      expect(parseKey('k', key)).toEqual(want);
    }
  });
  it('refuses a topic deletion key that is not a topic id', () => {
    expect(() => topicDeletionKey('k', '../x')).toThrow(/invalid topic id/);
    expect(parseKey('k', '/dms/k/topic-deletions/nope')).toBeUndefined();
  });
  it('refuses malformed replica deletion keys', () => {
    expect(parseKey('k', '/dms/k/replica-deletions/nope/0/1')).toBeUndefined();
    expect(parseKey('k', '/dms/k/replica-deletions/0f8fad5b-d9cb-469f-a165-70867728950e/0')).toBeUndefined();
    expect(parseKey('k', '/dms/k/replica-deletions/0f8fad5b-d9cb-469f-a165-70867728950e/0/1/2')).toBeUndefined();
    expect(parseKey('k', '/dms/k/replica-deletions/0f8fad5b-d9cb-469f-a165-70867728950e/x/1')).toBeUndefined();
  });

  it('keeps each group\'s configs under configs/groups/ with the id URI-encoded, no id escaping the prefix', () => {
    expect(groupConfigKey('k', 'orders/work')).toBe('/dms/k/configs/groups/orders%2Fwork');
    expect(parseKey('k', groupConfigKey('k', 'orders/work'))).toEqual({ kind: 'groupConfig', groupId: 'orders/work' });
    expect(parseKey('k', '/dms/k/configs/groups/a/b')).toBeUndefined();
    expect(parseKey('k', '/dms/k/configs/groups/')).toBeUndefined();
    expect(() => groupConfigKey('k', '')).toThrow();
  });
});
