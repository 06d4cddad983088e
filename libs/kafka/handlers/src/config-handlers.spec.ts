// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against a recording controller port
// and a security port granting only the listed (operation, resource type, name) triples.
import { EMPTY_LAYERS } from '@dms/configs';
import { ErrorCode } from '@dms/kafka-errors';
import { Operation, Resource } from './authorize';
import { describeConfigsHandler } from './32-describe-configs';
import { alterConfigsHandler } from './33-alter-configs';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs';
import type { ConfigResourceChangeInput, RequestContext, SecurityPort } from './ports';

type Grant = [operation: number, resourceType: number, name: string];
const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

function context(grants: Grant[] | null) {
  const sent: ConfigResourceChangeInput[][] = [];
  const security = grants && ({
    authorizerEnabled: () => true,
    authorize: (_p: string, _h: string, operation: number, resourceType: number, name: string) =>
      grants.some(([o, r, n]) => o === operation && r === resourceType && n === name),
  } as unknown as SecurityPort);
  const ctx = {
    clientId: 'spec',
    clientHost: '127.0.0.1',
    cluster: {
      topic: (n: string) => (n === 't' ? { name: 't', topicId: 'x', internal: false, configs: { 'retention.ms': '5' }, partitions: [] } : undefined),
      topicConfigLayers: () => ({ ...EMPTY_LAYERS, clusterDefault: { 'log.segment.bytes': '2097152' } }),
      brokerConfigLayers: () => ({ perBroker: { 'log.cleanup.policy': 'compact' }, clusterDefault: { 'log.retention.ms': '9' }, static: { 'ssl.key.password': 'pw' } }),
      awaitRevision: () => Promise.resolve(),
    },
    controller: {
      alterConfigs: (resources: ConfigResourceChangeInput[]) => {
        sent.push(resources);
        return Promise.resolve(resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 0, errorMessage: null, revision: 7n })));
      },
    },
    ...(security ? { security } : {}),
  } as unknown as RequestContext;
  return { ctx, sent };
}

describe('DescribeConfigs', () => {
  it('answers a topic with every key and its source, v0 with is_default', async () => {
    const { ctx } = context(null);
    const res = await describeConfigsHandler.handle(ctx, { resources: [{ resourceType: TOPIC, resourceName: 't', configurationKeys: null }], includeSynonyms: true }, 1);
    const byName = new Map(res.results[0].configs.map((c: any) => [c.name, c]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '5', configSource: 1, isDefault: false });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '2097152', configSource: 3 });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: 5, isDefault: true });
    expect((byName.get('retention.ms') as any).synonyms.length).toBeGreaterThan(1);
    const v0 = await describeConfigsHandler.handle(ctx, { resources: [{ resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms'] }] }, 0);
    expect(v0.results[0].configs).toHaveLength(1);
    expect(v0.results[0].configs[0].synonyms).toEqual([]);
  });

  it('answers brokers: per-broker, default entity, sensitive values hidden, loggers empty, bad ids refused', async () => {
    const { ctx } = context(null);
    const res = await describeConfigsHandler.handle(ctx, { resources: [
      { resourceType: BROKER, resourceName: '1', configurationKeys: null },
      { resourceType: BROKER, resourceName: '', configurationKeys: null },
      { resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: null },
      { resourceType: BROKER, resourceName: 'x', configurationKeys: null },
      { resourceType: 99, resourceName: 'x', configurationKeys: null },
    ] }, 4);
    const one = new Map(res.results[0].configs.map((c: any) => [c.name, c]));
    expect(one.get('log.cleanup.policy')).toMatchObject({ value: 'compact', configSource: 2 });
    expect(one.get('ssl.key.password')).toMatchObject({ value: null, isSensitive: true });
    expect(res.results[1].configs.map((c: any) => [c.name, c.value, c.configSource])).toEqual([['log.retention.ms', '9', 3]]);
    expect(res.results[2]).toMatchObject({ errorCode: 0, configs: [] });
    expect(res.results[3].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(res.results[4].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('needs DESCRIBE_CONFIGS on the topic or the cluster; unknown topics are UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { ctx } = context([[Operation.DESCRIBE_CONFIGS, Resource.TOPIC, 'ghost']]);
    const res = await describeConfigsHandler.handle(ctx, { resources: [
      { resourceType: TOPIC, resourceName: 't', configurationKeys: null },
      { resourceType: BROKER, resourceName: '1', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'ghost', configurationKeys: null },
    ] }, 4);
    expect(res.results.map((r: any) => r.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  });
});

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  it('forward whole-set and incremental changes to the controller', async () => {
    const { ctx, sent } = context(null);
    const a = await alterConfigsHandler.handle(ctx, { resources: [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: true }, 2);
    expect(a.responses).toEqual([{ resourceType: TOPIC, resourceName: 't', errorCode: 0, errorMessage: null }]);
    const i = await incrementalAlterConfigsHandler.handle(ctx, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 1, value: null }] }], validateOnly: false }, 1);
    expect(i.responses[0].errorCode).toBe(0);
    expect(sent).toEqual([
      [{ resourceType: TOPIC, resourceName: 't', replace: true, changes: [{ name: 'retention.ms', op: 0, value: '1' }] }],
      [{ resourceType: BROKER, resourceName: '', replace: false, changes: [{ name: 'log.retention.ms', op: 1, value: null }] }],
    ]);
  });

  it('refuse duplicates, loggers, unknown topics and unauthorized resources at the gateway', async () => {
    const { ctx, sent } = context([[Operation.ALTER_CONFIGS, Resource.TOPIC, 't'], [Operation.ALTER_CONFIGS, Resource.TOPIC, 'ghost']]);
    const res = await alterConfigsHandler.handle(ctx, { resources: [
      { resourceType: TOPIC, resourceName: 't', configs: [] },
      { resourceType: TOPIC, resourceName: 't', configs: [] },
      { resourceType: TOPIC, resourceName: 'ghost', configs: [] },
      { resourceType: BROKER, resourceName: '1', configs: [] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
    ], validateOnly: false }, 0);
    expect(res.responses.map((r: any) => r.errorCode)).toEqual([
      ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    ]);
    expect(sent).toEqual([]);
  });
});
