// Topic and broker configs end to end through the gateway: kafkajs's describeConfigs/alterConfigs
// (AlterConfigs, whole-set replace), the project's client and CLI (IncrementalAlterConfigs),
// dynamic broker configs reaching a storage broker without a restart, DescribeCluster and
// DescribeLogDirs with real data. Server settings reach the services as `dms dev up --config` does.
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { KafkaClient } from '@dms/kafka-client';
import { ApiKey } from '@dms/kafka-schema';
import { runCli, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const DYNAMIC_TOPIC_CONFIG = 1;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

let tc: TestCluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  // As `dms dev up --config log.retention.hours=48 --config num.partitions=3`.
  tc = await startTestCluster({ brokers: 2, controllers: 1, gateways: 1, settings: { 'log.retention.hours': '48', 'num.partitions': '3' } });
  kafka = new Kafka({ brokers: [tc.bootstrap], clientId: 'dms-configs', logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await tc?.cleanup();
});

async function topicEntries(topic: string) {
  const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: true });
  return new Map(res.resources[0].configEntries.map((e) => [e.configName, e]));
}

const cli = (...args: string[]) => runCli(['configs', '--bootstrap-server', tc.bootstrap, ...args], { timeoutMs: 30_000 });

describe('topic configs', () => {
  it('describes every key with its source, before and after an alter', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-a', configEntries: [{ name: 'retention.ms', value: '60000' }] }], waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: ['cfg-a'] });
    expect(meta.topics[0].partitions).toHaveLength(3); // num.partitions from the server settings

    let e = await topicEntries('cfg-a');
    expect(e.size).toBeGreaterThanOrEqual(30);
    expect(e.get('retention.ms')).toMatchObject({ configValue: '60000', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(e.get('cleanup.policy')).toMatchObject({ configValue: 'delete', configSource: DEFAULT_CONFIG });
    expect(e.get('segment.bytes')).toMatchObject({ configValue: '1073741824', configSource: DEFAULT_CONFIG });

    // AlterConfigs replaces the whole set: retention.ms falls back to the brokers' static log.retention.hours.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg-a', configEntries: [
      { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2097152' },
    ] }] });
    e = await topicEntries('cfg-a');
    expect(e.get('cleanup.policy')).toMatchObject({ configValue: 'compact', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(e.get('segment.bytes')).toMatchObject({ configValue: '2097152', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(e.get('retention.ms')).toMatchObject({ configValue: String(48 * 3_600_000), configSource: STATIC_BROKER_CONFIG });
    expect(e.get('retention.ms')!.configSynonyms.map((s) => [s.configName, s.configSource])).toEqual([
      ['log.retention.hours', STATIC_BROKER_CONFIG], ['log.retention.hours', DEFAULT_CONFIG],
    ]);
  });

  it('refuses unknown and unsupported keys and bad values with INVALID_CONFIG', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-b', numPartitions: 1 }], waitForLeaders: true });
    for (const entry of [{ name: 'no.such.key', value: '1' }, { name: 'preallocate', value: 'true' }, { name: 'retention.ms', value: 'soon' }]) {
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg-b', configEntries: [entry] }] }))
        .rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    }
    await expect(admin.createTopics({ topics: [{ topic: 'cfg-c', configEntries: [{ name: 'remote.storage.enable', value: 'true' }] }] }))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg-missing', configEntries: [{ name: 'retention.ms', value: '1' }] }] }))
      .rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // The refused alters changed nothing.
    expect((await topicEntries('cfg-b')).get('preallocate')).toMatchObject({ configValue: 'false', configSource: DEFAULT_CONFIG });
  });

  it('alters incrementally with the CLI, naming an unsupported key in its error', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-cli', numPartitions: 1 }], waitForLeaders: true });
    const alter = await cli('--entity-type', 'topics', '--entity-name', 'cfg-cli', '--alter', '--add-config', 'retention.ms=5000,cleanup.policy=[compact,delete]');
    expect(alter).toMatchObject({ code: 0 });
    expect(alter.stdout).toContain('Completed updating config for topic cfg-cli.');
    const described = await cli('--entity-type', 'topics', '--entity-name', 'cfg-cli', '--describe', '--json');
    expect(described.code).toBe(0);
    const entries = JSON.parse(described.stdout) as { name: string; value: string; source: string }[];
    expect(entries.map((x) => [x.name, x.value, x.source]).sort()).toEqual([
      ['cleanup.policy', 'compact,delete', 'DYNAMIC_TOPIC_CONFIG'], ['retention.ms', '5000', 'DYNAMIC_TOPIC_CONFIG'],
    ]);
    const del = await cli('--entity-type', 'topics', '--entity-name', 'cfg-cli', '--alter', '--delete-config', 'retention.ms');
    expect(del.code).toBe(0);
    const text = await cli('--entity-type', 'topics', '--entity-name', 'cfg-cli', '--describe');
    expect(text.stdout).toBe('Dynamic configs for topic cfg-cli are:\n  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n');
    const topics = await runCli(['topics', 'describe', 'cfg-cli', '--bootstrap-server', tc.bootstrap], { timeoutMs: 30_000 });
    expect(topics.stdout).toContain('PartitionCount: 1\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,delete\n');
    const bad = await cli('--entity-type', 'topics', '--entity-name', 'cfg-cli', '--alter', '--add-config', 'preallocate=true');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CONFIG.*preallocate is not supported by DMS/);
  });
});

describe('IncrementalAlterConfigs', () => {
  it('appends and subtracts list values, validate_only changes nothing, a repeated key is INVALID_REQUEST', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-inc', numPartitions: 1 }], waitForLeaders: true });
    const client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'dms-configs' });
    const alter = (configs: object[], validateOnly = false) =>
      client.adminRequest<any>(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: 2, resourceName: 'cfg-inc', configs }], validateOnly })
        .then((r) => r.responses[0]);
    try {
      expect(await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }], true)).toMatchObject({ errorCode: 0 });
      expect((await topicEntries('cfg-inc')).get('cleanup.policy')).toMatchObject({ configValue: 'delete', configSource: DEFAULT_CONFIG });
      expect(await alter([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).toMatchObject({ errorCode: 0 });
      expect((await topicEntries('cfg-inc')).get('cleanup.policy')).toMatchObject({ configValue: 'delete,compact', configSource: DYNAMIC_TOPIC_CONFIG });
      expect(await alter([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).toMatchObject({ errorCode: 0 });
      expect((await topicEntries('cfg-inc')).get('cleanup.policy')).toMatchObject({ configValue: 'compact' });
      expect(await alter([{ name: 'retention.ms', configOperation: 2, value: '5' }])).toMatchObject({ errorCode: 40 });
      expect(await alter([{ name: 'retention.ms', configOperation: 0, value: '5' }, { name: 'retention.ms', configOperation: 1, value: null }]))
        .toMatchObject({ errorCode: 42 });
    } finally {
      client.close();
    }
  });
});

describe('dynamic broker configs', () => {
  it('a cluster default reaches DescribeConfigs and the storage brokers without a restart', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-size', numPartitions: 1 }], waitForLeaders: true });
    const big = { topic: 'cfg-size', acks: -1, messages: [{ value: Buffer.alloc(4000, 1) }] };

    const first = await producer.send(big);
    expect(first[0].logAppendTime).toBe('-1'); // CreateTime topics answer no append time
    const set = await cli('--entity-type', 'brokers', '--entity-default', '--alter', '--add-config',
      'message.max.bytes=2000,log.retention.ms=7200000,log.message.timestamp.type=LogAppendTime');
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('Completed updating default config for brokers in the cluster.');
    const e = await topicEntries('cfg-size');
    expect(e.get('max.message.bytes')).toMatchObject({ configValue: '2000', configSource: DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(e.get('retention.ms')).toMatchObject({ configValue: '7200000', configSource: DYNAMIC_DEFAULT_BROKER_CONFIG });
    const defaults = await cli('--entity-type', 'brokers', '--entity-default', '--describe', '--json');
    expect(JSON.parse(defaults.stdout).map((x: { name: string }) => x.name).sort()).toEqual(['log.message.timestamp.type', 'log.retention.ms', 'message.max.bytes']);

    // The storage broker leading the partition applies the new default: it stamps batches with
    // LogAppendTime (its answer carries the append time), within a bounded wait for its watch.
    const deadline = Date.now() + 20_000;
    let stamped = false;
    while (!stamped && Date.now() < deadline) {
      const [meta] = await producer.send({ topic: 'cfg-size', acks: -1, messages: [{ value: 'small' }] });
      stamped = meta.logAppendTime !== '-1';
      if (!stamped) await new Promise((r) => setTimeout(r, 200));
    }
    expect(stamped).toBe(true);
    // And max.message.bytes=2000 refuses the 4000-byte batch that was accepted before.
    let refused: unknown;
    while (!refused && Date.now() < deadline) {
      refused = await producer.send(big).then(() => undefined, (err: unknown) => err);
      if (!refused) await new Promise((r) => setTimeout(r, 200));
    }
    expect(refused).toMatchObject({ type: 'MESSAGE_TOO_LARGE' });

    const unset = await cli('--entity-type', 'brokers', '--entity-default', '--alter', '--delete-config', 'message.max.bytes,log.retention.ms,log.message.timestamp.type');
    expect(unset.code).toBe(0);
    let accepted = false;
    while (!accepted && Date.now() < deadline + 20_000) {
      accepted = await producer.send(big).then(() => true, () => false);
      if (!accepted) await new Promise((r) => setTimeout(r, 200));
    }
    expect(accepted).toBe(true);
  });

  it('describes and alters one broker, refusing read-only and unknown keys', async () => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.cleanup.policy', value: 'compact' }] }] });
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }], includeSynonyms: false });
    const e = new Map(res.resources[0].configEntries.map((x) => [x.configName, x]));
    expect(e.get('log.cleanup.policy')).toMatchObject({ configValue: 'compact', configSource: 2, readOnly: false });
    expect(e.get('log.retention.hours')).toMatchObject({ configValue: '48', configSource: STATIC_BROKER_CONFIG, readOnly: true });
    expect(e.get('num.partitions')).toMatchObject({ configValue: '3', configSource: STATIC_BROKER_CONFIG, readOnly: true });
    expect(e.get('ssl.key.password')).toMatchObject({ configValue: null, isSensitive: true });
    for (const entry of [{ name: 'num.partitions', value: '5' }, { name: 'no.such.key', value: '1' }]) {
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [entry] }] }))
        .rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    }
    // A whole-set replace with nothing clears broker 1's overrides (its topics would stay compacted).
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] });
    const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.cleanup.policy'] }], includeSynonyms: false });
    expect(after.resources[0].configEntries).toMatchObject([{ configName: 'log.cleanup.policy', configValue: 'delete', configSource: DEFAULT_CONFIG }]);
  });
});

describe('cluster description', () => {
  it('DescribeCluster names the live gateways, the controller and the cluster id', async () => {
    const c = await admin.describeCluster();
    expect(c.brokers.map((b) => b.nodeId)).toEqual([1]);
    expect(c.controller).toBe(1);
    expect(c.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'dms-configs' });
    try {
      const res = await client.adminRequest<any>(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      expect(res).toMatchObject({ errorCode: 0, clusterId: c.clusterId, controllerId: 1 });
      expect(res.clusterAuthorizedOperations).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('DescribeLogDirs reports every storage broker with real partition sizes', async () => {
    await admin.createTopics({ topics: [{ topic: 'cfg-dirs', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
    await producer.send({ topic: 'cfg-dirs', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`.padEnd(500, '.'), partition: i % 2 })) });
    const client = new KafkaClient({ bootstrapServers: tc.bootstrap, clientId: 'dms-configs' });
    try {
      const res = await client.adminRequest<any>(ApiKey.DescribeLogDirs, { topics: [{ topic: 'cfg-dirs', partitions: [0, 1] }] });
      expect(res.results).toHaveLength(2);
      for (const dir of res.results) {
        expect(dir.errorCode).toBe(0);
        expect(dir.logDir).toMatch(/broker-[12]$/);
        expect(dir.totalBytes).toBeGreaterThan(0n);
        const parts = dir.topics.find((t: { name: string }) => t.name === 'cfg-dirs').partitions;
        expect(parts.map((p: { partitionIndex: number }) => p.partitionIndex).sort()).toEqual([0, 1]);
        for (const p of parts) expect(p.partitionSize).toBeGreaterThan(5_000n);
      }
    } finally {
      client.close();
    }
  });
});
