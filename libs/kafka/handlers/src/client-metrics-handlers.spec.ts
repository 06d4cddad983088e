// CLIENT_METRICS resources through DescribeConfigs / IncrementalAlterConfigs, ListConfigResources,
// and the telemetry handlers' delegation, against stub ports.
import { ErrorCode } from '@dms/kafka-errors';
import { describeConfigsHandler } from './32-describe-configs';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs';
import { getTelemetrySubscriptionsHandler } from './71-get-telemetry-subscriptions';
import { pushTelemetryHandler } from './72-push-telemetry';
import { listConfigResourcesHandler } from './74-list-config-resources';
import { Operation, Resource } from './authorize';
import type { ConfigResourceChangeInput, RequestContext, SecurityPort, TelemetryClient } from './ports';

const CLIENT_METRICS = 16;

function context(grants: [number, number][] | null) {
  const sent: ConfigResourceChangeInput[][] = [];
  const seen: TelemetryClient[] = [];
  const ctx = {
    clientId: 'app-1',
    clientHost: '/10.0.0.9',
    session: { host: '10.0.0.9', port: 40000, principal: 'User:bob', clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.5.0' },
    cluster: {
      clientMetricsConfigs: () => new Map([['b-sub', { metrics: 'x.' }], ['a-sub', { metrics: '*', 'interval.ms': '1000' }]]),
      awaitRevision: () => Promise.resolve(),
    },
    controller: {
      alterConfigs: (resources: ConfigResourceChangeInput[]) => {
        sent.push(resources);
        return Promise.resolve(resources.map((r) => ({ ...r, errorCode: 0, errorMessage: null, revision: 3n })));
      },
    },
    telemetry: {
      getSubscriptions: (c: TelemetryClient, id: string) => (seen.push(c), { errorCode: 0, clientInstanceId: id, subscriptionId: 5, acceptedCompressionTypes: [], pushIntervalMs: 1, telemetryMaxBytes: 1, deltaTemporality: false, requestedMetrics: [] }),
      push: (c: TelemetryClient) => (seen.push(c), Promise.resolve(ErrorCode.TELEMETRY_TOO_LARGE)),
    },
    ...(grants ? {
      security: {
        authorizerEnabled: () => true,
        authorize: (_p: string, _h: string, op: number, type: number) => grants.some(([o, t]) => o === op && t === type),
      } as unknown as SecurityPort,
    } : {}),
  } as unknown as RequestContext;
  return { ctx, sent, seen };
}

describe('CLIENT_METRICS config resources', () => {
  it('describes the keys a subscription sets with source CLIENT_METRICS_CONFIG, nothing for an unknown one', async () => {
    const { ctx } = context(null);
    const res = await describeConfigsHandler.handle(ctx, { resources: [
      { resourceType: CLIENT_METRICS, resourceName: 'a-sub', configurationKeys: null },
      { resourceType: CLIENT_METRICS, resourceName: 'nope', configurationKeys: null },
      { resourceType: CLIENT_METRICS, resourceName: '', configurationKeys: null },
    ] }, 4);
    expect(res.results[0].configs.map((c: any) => [c.name, c.value, c.configSource])).toEqual([['metrics', '*', 7], ['interval.ms', '1000', 7]]);
    expect(res.results[1]).toMatchObject({ errorCode: 0, configs: [] });
    expect(res.results[2].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('alters through the controller with ALTER_CONFIGS on the cluster', async () => {
    const { ctx, sent } = context(null);
    const req = { resources: [{ resourceType: CLIENT_METRICS, resourceName: 's', configs: [{ name: 'metrics', configOperation: 0, value: 'a.' }] }] };
    const res = await incrementalAlterConfigsHandler.handle(ctx, req, 1);
    expect(res.responses[0].errorCode).toBe(0);
    expect(sent[0]).toEqual([{ resourceType: CLIENT_METRICS, resourceName: 's', replace: false, changes: [{ name: 'metrics', op: 0, value: 'a.' }] }]);
    const denied = context([[Operation.ALTER_CONFIGS, Resource.TOPIC]]);
    expect((await incrementalAlterConfigsHandler.handle(denied.ctx, req, 1)).responses[0].errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(denied.sent).toHaveLength(0);
  });

  it('ListConfigResources v0 lists the subscriptions by name; needs DESCRIBE_CONFIGS on the cluster', async () => {
    expect(await listConfigResourcesHandler.handle(context(null).ctx, {}, 0)).toMatchObject({ throttleTimeMs: 0, errorCode: 0, clientMetricsResources: [{ name: 'a-sub' }, { name: 'b-sub' }] });
    const denied = await listConfigResourcesHandler.handle(context([]).ctx, {}, 0);
    expect(denied).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, clientMetricsResources: [] });
    const allowed = await listConfigResourcesHandler.handle(context([[Operation.DESCRIBE_CONFIGS, Resource.CLUSTER]]).ctx, {}, 0);
    expect(allowed.errorCode).toBe(0);
  });

  it('ListConfigResources v1 lists every supported type when none is named, the named ones otherwise', async () => {
    const { ctx } = context(null);
    Object.assign(ctx.cluster, {
      topics: () => [{ name: 'orders' }, { name: 'audit' }],
      nodes: () => [{ nodeId: 7 }, { nodeId: 3 }],
      groupConfigIds: () => ['g0-configs-only', 'g1'],
    });
    Object.assign(ctx, { groups: { listGroups: () => Promise.resolve({ errorCode: 0, groups: [{ groupId: 'g1' }] }) } });
    const all = await listConfigResourcesHandler.handle(ctx, { resourceTypes: [] }, 1);
    expect(all.errorCode).toBe(0);
    expect(all.configResources.map((r: any) => `${r.resourceType}:${r.resourceName}`)).toEqual([
      '2:audit', '2:orders', '4:3', '4:7', '8:3', '8:7', `${CLIENT_METRICS}:a-sub`, `${CLIENT_METRICS}:b-sub`, '32:g0-configs-only', '32:g1',
    ]);
    const topics = await listConfigResourcesHandler.handle(ctx, { resourceTypes: [2, 32] }, 1);
    expect(topics.configResources.map((r: any) => r.resourceName)).toEqual(['audit', 'orders', 'g0-configs-only', 'g1']);
    // A type Kafka does not list (here: USER) answers UNSUPPORTED_VERSION with nothing listed.
    const bad = await listConfigResourcesHandler.handle(ctx, { resourceTypes: [2, 64] }, 1);
    expect(bad).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION, configResources: [] });
    // v0 knows client-metrics subscriptions only.
    expect((await listConfigResourcesHandler.handle(ctx, {}, 0)).configResources.map((r: any) => r.resourceType)).toEqual([CLIENT_METRICS, CLIENT_METRICS]);
  });
});

describe('telemetry handlers', () => {
  it('hand the client as KIP-714 selectors see it to the telemetry port', async () => {
    const { ctx, seen } = context(null);
    const sub = await getTelemetrySubscriptionsHandler.handle(ctx, { clientInstanceId: '00000000-0000-0000-0000-000000000000' }, 0);
    expect(sub).toMatchObject({ throttleTimeMs: 0, errorCode: 0, subscriptionId: 5 });
    const push = await pushTelemetryHandler.handle(ctx, { clientInstanceId: 'x', subscriptionId: 5, terminating: false, compressionType: 0, metrics: Buffer.alloc(1) }, 0);
    expect(push).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.TELEMETRY_TOO_LARGE });
    expect(seen[0]).toEqual({ clientId: 'app-1', softwareName: 'librdkafka', softwareVersion: '2.5.0', sourceAddress: '10.0.0.9', sourcePort: 40000, principal: 'User:bob' });
  });
});
