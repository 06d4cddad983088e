// ConfigManager against a real etcd: fenced writes, compare-and-set under concurrent alters,
// the broker-config record removed when its last key goes, and nothing written by a non-leader;
// client-metrics subscriptions, and the finalized features' compare-and-set on their epoch.
import { Etcd3 } from 'etcd3';
import { brokerConfigKey, brokerConfigRecord, clientMetricsConfigKey, controllerLeaderKey, finalizedFeaturesKey, finalizedFeaturesRecord, topicKey, topicRecord } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { startTestEtcd, type TestEtcd } from '@dms/testing';
import { ConfigManager, type ConfigResourceChange } from './config-manager';
import { FeatureManager } from './feature-manager';

jest.setTimeout(60_000);

const CLUSTER = 'cfgmgr';
let te: TestEtcd;
let client: Etcd3;
let fence: string | undefined;
let manager: ConfigManager;

const topicChange = (name: string, changes: ConfigResourceChange['changes'], replace = false): ConfigResourceChange =>
  ({ resourceType: 2, resourceName: name, replace, changes });
const set = (name: string, value: string) => ({ name, op: 0, value, valueNull: false });
const del = (name: string) => ({ name, op: 1, value: '', valueNull: true });

beforeAll(async () => {
  te = await startTestEtcd();
  client = new Etcd3({ hosts: `http://${te.endpoint}` });
  await client.put(controllerLeaderKey(CLUSTER)).value('{}');
  fence = String((await client.get(controllerLeaderKey(CLUSTER)).exec()).kvs[0].create_revision);
  manager = new ConfigManager({ client, clusterName: CLUSTER, fence: () => fence });
  await client.put(topicKey(CLUSTER, 't')).value(topicRecord.encode({
    topicId: '7b4c3f0e-1d2a-4c5b-8e9f-0a1b2c3d4e5f', partitions: 1, replicationFactor: 1, configs: {}, createdAtMs: 1,
  }));
});

afterAll(async () => {
  client?.close();
  await te?.cleanup();
});

const topicConfigs = async () => topicRecord.decode((await client.get(topicKey(CLUSTER, 't')).exec()).kvs[0].value)!.configs;

it('applies concurrent incremental alters of one topic without losing either', async () => {
  const results = await Promise.all([
    new ConfigManager({ client, clusterName: CLUSTER, fence: () => fence }).alterConfigs([topicChange('t', [set('retention.ms', '1000')])], false),
    new ConfigManager({ client, clusterName: CLUSTER, fence: () => fence }).alterConfigs([topicChange('t', [set('segment.ms', '2000')])], false),
  ]);
  expect(results.flat().map((r) => r.errorCode)).toEqual([0, 0]);
  expect(results.flat().every((r) => r.revision > 0n)).toBe(true);
  expect(await topicConfigs()).toEqual({ 'retention.ms': '1000', 'segment.ms': '2000' });
});

it('validates the whole new set, writes nothing on validate_only or refusal, replaces on AlterConfigs', async () => {
  const [dry] = await manager.alterConfigs([topicChange('t', [set('cleanup.policy', ' compact , delete ')])], true);
  expect(dry).toMatchObject({ errorCode: 0, revision: 0n });
  const [bad] = await manager.alterConfigs([topicChange('t', [set('preallocate', 'true')])], false);
  expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining('preallocate') });
  expect(await topicConfigs()).toEqual({ 'retention.ms': '1000', 'segment.ms': '2000' });
  await manager.alterConfigs([topicChange('t', [set('cleanup.policy', ' compact , delete ')], true)], false);
  expect(await topicConfigs()).toEqual({ 'cleanup.policy': 'compact,delete' });
  const [missing] = await manager.alterConfigs([topicChange('nope', [set('retention.ms', '1')])], false);
  expect(missing.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

it('writes per-broker and default broker configs, removing the record when it empties', async () => {
  const b = (name: string, changes: ConfigResourceChange['changes']) => ({ resourceType: 4, resourceName: name, replace: false, changes });
  expect((await manager.alterConfigs([b('', [set('log.retention.ms', '5')]), b('2', [set('min.insync.replicas', '2')])], false)).map((r) => r.errorCode)).toEqual([0, 0]);
  expect(brokerConfigRecord.decode((await client.get(brokerConfigKey(CLUSTER, null)).exec()).kvs[0].value)).toEqual({ configs: { 'log.retention.ms': '5' } });
  expect(brokerConfigRecord.decode((await client.get(brokerConfigKey(CLUSTER, 2)).exec()).kvs[0].value)).toEqual({ configs: { 'min.insync.replicas': '2' } });
  await manager.alterConfigs([b('', [del('log.retention.ms')])], false);
  expect((await client.get(brokerConfigKey(CLUSTER, null)).exec()).kvs).toHaveLength(0);
  const refused = await manager.alterConfigs([b('x', [set('log.retention.ms', '5')]), b('1', [set('num.partitions', '2')])], false);
  expect(refused.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG]);
});

it('writes nothing without the leader fence', async () => {
  const before = await topicConfigs();
  const stale = new ConfigManager({ client, clusterName: CLUSTER, fence: () => '1' });
  const [r] = await stale.alterConfigs([topicChange('t', [set('retention.ms', '9')])], false);
  expect(r.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
  const none = new ConfigManager({ client, clusterName: CLUSTER, fence: () => undefined });
  expect((await none.alterConfigs([topicChange('t', [set('retention.ms', '9')])], false))[0].errorCode).toBe(ErrorCode.NOT_CONTROLLER);
  expect(await topicConfigs()).toEqual(before);
});

it('writes client-metrics subscriptions under their own key, validated, deleted when their last key goes', async () => {
  const cm = (name: string, changes: ConfigResourceChange['changes']) => ({ resourceType: 16, resourceName: name, replace: false, changes });
  const key = clientMetricsConfigKey(CLUSTER, 'prod/all');
  const [ok] = await manager.alterConfigs([cm('prod/all', [set('metrics', ' a. , b. '), set('interval.ms', '1000')])], false);
  expect(ok).toMatchObject({ errorCode: 0 });
  expect(brokerConfigRecord.decode((await client.get(key).exec()).kvs[0].value)).toEqual({ configs: { metrics: 'a.,b.', 'interval.ms': '1000' } });
  const refused = await manager.alterConfigs([cm('prod/all', [set('match', 'colour=red')]), cm('', [set('metrics', '*')])], false);
  expect(refused.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST]);
  await manager.alterConfigs([cm('prod/all', [del('metrics'), del('interval.ms')])], false);
  expect((await client.get(key).exec()).kvs).toHaveLength(0);
});

it('records finalized features against the epoch the update was checked at', async () => {
  const features = new FeatureManager({ client, clusterName: CLUSTER, fence: () => fence });
  const first = await features.updateFeatures({ 'transaction.version': 1 }, 0n);
  expect(first.errorCode).toBe(0);
  const stale = await features.updateFeatures({ 'transaction.version': 0 }, 0n);
  expect(stale.errorCode).toBe(ErrorCode.FEATURE_UPDATE_FAILED);
  const second = await features.updateFeatures({ 'transaction.version': 0, 'group.version': 1 }, first.epoch);
  expect(second.errorCode).toBe(0);
  expect(finalizedFeaturesRecord.decode((await client.get(finalizedFeaturesKey(CLUSTER)).exec()).kvs[0].value)).toEqual({ levels: { 'group.version': 1 } });
  expect(await new FeatureManager({ client, clusterName: CLUSTER, fence: () => undefined }).updateFeatures({}, second.epoch)).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER });
});
