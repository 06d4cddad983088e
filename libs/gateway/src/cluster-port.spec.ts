import { GatewayClusterPort } from './cluster-port';

const gw = (id: number, rack: string | null) => ({ id, host: '127.0.0.1', port: 9000 + id, rack, listeners: {}, startTimeMs: 0 });
const broker = (id: number, rack: string | null) => ({ id, host: '127.0.0.1', port: 7000 + id, rack, startTimeMs: 0 });

describe('GatewayClusterPort', () => {
  // A view holding one other gateway: this gateway's own key is missing (re-registering).
  const view = {
    on: () => undefined,
    gateways: () => [gw(2, null)],
    brokers: () => [broker(1, null)],
    topics: () => new Map([['t', { topicId: 'id', partitions: 1, replicationFactor: 1, configs: {}, createdAtMs: 0 }]]),
    allPartitions: () => [{ topic: 't', partition: 0, state: { replicas: [1], leader: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 0 } }],
    clusterId: () => 'c',
  };

  it('always lists itself, so the controller it names is in the broker list', () => {
    const port = new GatewayClusterPort(view as never, 1, { autoCreateTopicsEnable: true, messageMaxBytes: 1 << 20 });
    expect(port.nodes().map((n) => n.nodeId)).toEqual([2]);
    port.setSelf(gw(1, null));
    expect(port.nodes().map((n) => n.nodeId)).toEqual([1, 2]);
    expect(port.nodes().map((n) => n.nodeId)).toContain(port.controllerId());
    const leader = port.topic('t')!.partitions[0].advertisedLeader;
    expect([1, 2]).toContain(leader);
  });
});

describe('GatewayClusterPort config layers', () => {
  const configView = {
    on: () => undefined,
    gateways: () => [],
    brokers: () => [broker(1, null), broker(2, null)],
    broker: (id: number) => (id === 2 ? { ...broker(2, null), configs: { 'log.retention.hours': '12', 'message.max.bytes': '3000' } } : broker(id, null)),
    controllers: () => [{ id: 5, host: 'h', port: 1, startTimeMs: 0, configs: { 'num.partitions': '4', 'message.max.bytes': '1000' } }],
    controllerLeader: () => ({ id: 5, host: 'h', port: 1, epoch: 9 }),
    brokerConfigs: (id: number | null) => (id === null ? { 'log.retention.ms': '60000' } : id === 2 ? { 'log.cleanup.policy': 'compact' } : {}),
    topic: (name: string) => (name === 't' ? { topicId: 'id', partitions: 1, replicationFactor: 1, configs: { 'segment.ms': '5' }, createdAtMs: 0 } : undefined),
    partitions: () => new Map([[0, { replicas: [2], leader: 2, leaderEpoch: 0, isr: [2], partitionEpoch: 0 }]]),
  };
  const port = new GatewayClusterPort(configView as never, 1, { autoCreateTopicsEnable: true, messageMaxBytes: 1 << 20 }, { 'auto.create.topics.enable': 'false', 'message.max.bytes': '2000' });

  it('layers a broker: its dynamic overrides, the cluster default, and the services\' statics (the broker\'s winning)', () => {
    expect(port.brokerConfigLayers(2)).toEqual({
      perBroker: { 'log.cleanup.policy': 'compact' },
      clusterDefault: { 'log.retention.ms': '60000' },
      static: { 'num.partitions': '4', 'auto.create.topics.enable': 'false', 'log.retention.hours': '12', 'message.max.bytes': '3000' },
    });
  });

  it('resolves a topic through the layers of its partition 0 leader', () => {
    const eff = port.effectiveTopicConfigs('t')!;
    expect(eff).toMatchObject({ 'segment.ms': '5', 'cleanup.policy': 'compact', 'retention.ms': '60000', 'max.message.bytes': '3000' });
    expect(port.effectiveTopicConfigs('nope')).toBeUndefined();
  });
});
